package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

func TestAPIGroupLifecycle(t *testing.T) {
	w := newWorld(t, nil)
	w.policy(guildhall.AllMembers)
	ada, token := w.person("Ada Member")

	created := w.expect(token, "POST", "/groups", map[string]any{"group": map[string]any{
		"name": "  Hiking Club ", "description": "Hills.", "privacyStatus": "PRIVATE",
		"settings": map[string]any{"membersCanApprove": true},
	}}, 201)
	id := str(created, "group.id")
	for path, want := range map[string]any{
		"group.name": "Hiking Club", "group.slug": "hiking-club", "group.description": "Hills.",
		"group.privacyStatus": "PRIVATE", "group.ownerId": ada.ID, "group.membersCount": 1.0,
		"group.settings.membersCanApprove": true, "group.settings.membersCanInvite": false,
		"group.settings.showMemberList": true,
	} {
		if got := at(created, path); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	for _, f := range []string{"createdDate", "updatedDate", "lastActivityDate"} {
		s := str(created, "group."+f)
		if ts, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") || time.Since(ts) > time.Minute {
			t.Errorf("%s = %q, want a recent RFC 3339 time in UTC", f, s)
		}
	}

	w.expect(token, "GET", "/groups/"+id, nil, 200)
	if got := w.expect(token, "GET", "/groups/by-slug/hiking-club", nil, 200); str(got, "group.id") != id {
		t.Errorf("by slug: %v", got)
	}

	// PATCH changes only what it is given.
	updated := w.expect(token, "PATCH", "/groups/"+id, map[string]any{"group": map[string]any{
		"name": "Hill Walkers", "settings": map[string]any{"showMemberList": false}}}, 200)
	for path, want := range map[string]any{
		"group.name": "Hill Walkers", "group.slug": "hill-walkers", "group.description": "Hills.",
		"group.privacyStatus": "PRIVATE", "group.settings.membersCanApprove": true, "group.settings.showMemberList": false,
	} {
		if got := at(updated, path); got != want {
			t.Errorf("after PATCH %s = %v, want %v", path, got, want)
		}
	}
	// The old slug still finds the group, with its new slug.
	if got := w.expect(token, "GET", "/groups/by-slug/hiking-club", nil, 200); str(got, "group.slug") != "hill-walkers" {
		t.Errorf("old slug: %v", got)
	}
	w.expect(token, "PATCH", "/groups/"+id, map[string]any{"group": map[string]any{}}, 200)

	t.Run("invalid fields are named as sent", func(t *testing.T) {
		w.expectViolation(token, "PATCH", "/groups/"+id, map[string]any{"group": map[string]any{"name": "  "}}, "group.name")
		w.expectViolation(token, "PATCH", "/groups/"+id, map[string]any{"group": map[string]any{"privacyStatus": "HIDDEN"}}, "group.privacyStatus")
		w.expectViolation(token, "PATCH", "/groups/"+id, map[string]any{"group": map[string]any{"description": strings.Repeat("d", 20481)}}, "group.description")
		w.expectViolation(token, "POST", "/groups", map[string]any{"group": map[string]any{"name": strings.Repeat("n", 101)}}, "group.name")
		w.expectViolation(token, "PATCH", "/groups/"+id, map[string]any{}, "group")
	})

	deleted := w.expect(token, "DELETE", "/groups/"+id, nil, 200)
	if str(deleted, "group.id") != id {
		t.Errorf("delete answered %v", deleted)
	}
	w.expectError(token, "GET", "/groups/"+id, nil, 404, "NOT_FOUND")
	w.expectError(token, "DELETE", "/groups/"+id, nil, 404, "NOT_FOUND")
	w.expectError(token, "GET", "/groups/by-slug/hill-walkers", nil, 404, "NOT_FOUND")
	w.expectError(token, "GET", "/groups/not-a-uuid", nil, 404, "NOT_FOUND")
}

func TestAPICreateFollowsThePolicy(t *testing.T) {
	w := newWorld(t, nil)
	ada, token := w.person("Ada Member")
	elevated := w.app.APIToken(t, w.root, true)
	newGroup := func(name string) map[string]any { return map[string]any{"group": map[string]any{"name": name}} }

	w.policy(guildhall.MembersWithApproval) // the default
	req := w.expect(token, "POST", "/groups", newGroup("Book Club"), 202)
	if str(req, "createRequest.status") != "PENDING" || str(req, "createRequest.group.name") != "Book Club" ||
		str(req, "createRequest.requesterId") != ada.ID || at(req, "createRequest.group.id") != nil {
		t.Errorf("create request = %v", req)
	}
	w.expect(w.rootTok, "POST", "/groups", newGroup("Admins' Club"), 201)

	w.policy(guildhall.AdminsOnly)
	w.expectError(token, "POST", "/groups", newGroup("Chess"), 403, "PERMISSION_DENIED")
	w.expect(w.rootTok, "POST", "/groups", newGroup("Chess"), 201)

	w.policy(guildhall.AllMembers)
	w.expect(token, "POST", "/groups", newGroup("Go Club"), 201)

	t.Run("elevated tokens must name the creator", func(t *testing.T) {
		w.policy(guildhall.AdminsOnly)
		w.expectViolation(elevated, "POST", "/groups", newGroup("Nobody's"), "creatorId")
		w.expectViolation(elevated, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Ghost's"},
			"creatorId": "00000000-0000-0000-0000-000000000000"}, "creatorId")
		got := w.expect(elevated, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Ada's"}, "creatorId": ada.ID}, 201)
		if str(got, "group.ownerId") != ada.ID {
			t.Errorf("owner = %s, want Ada", str(got, "group.ownerId"))
		}
	})
	t.Run("others cannot name a creator", func(t *testing.T) {
		w.policy(guildhall.AllMembers)
		w.expectError(token, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Root's"}, "creatorId": w.root.ID},
			403, "PERMISSION_DENIED")
		w.expect(token, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Mine"}, "creatorId": ada.ID}, 201)
	})
}

func TestAPIListAndQueryGroups(t *testing.T) {
	w := newWorld(t, nil)
	owner, token := w.person("Olga Owner")
	names := []string{"Hiking", "Hill Runners", "Chess", "Choir", "Go", "Hikers Secret"}
	privacy := []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Public, guildhall.Private, guildhall.Public, guildhall.Secret}
	for i, n := range names {
		w.group(owner, n, privacy[i])
	}
	bob, _ := w.person("Bob Member")
	carl, _ := w.person("Carl Member")
	// Chess gets 3 members, Go 2.
	chess := w.expect(token, "POST", "/groups/query", map[string]any{"query": map[string]any{"filter": map[string]any{"name": "chess"}}}, 200)
	chessID := str(chess, "groups.0.id")
	w.expect(token, "POST", "/groups/"+chessID+"/members", map[string]any{"memberIds": []string{bob.ID, carl.ID}}, 200)

	t.Run("list, newest first, with offset metadata", func(t *testing.T) {
		page := w.expect(token, "GET", "/groups?limit=2&offset=1", nil, 200)
		if got := ids(page, "groups", "name"); !slices.Equal(got, []string{"Go", "Choir"}) {
			t.Errorf("page = %v", got)
		}
		if num(page, "metadata.count") != 2 || num(page, "metadata.offset") != 1 || num(page, "metadata.total") != 6 {
			t.Errorf("metadata = %v", at(page, "metadata"))
		}
		w.expectViolation(token, "GET", "/groups?limit=101", nil, "limit")
		w.expectViolation(token, "GET", "/groups?limit=ten", nil, "limit")
		w.expectViolation(token, "GET", "/groups?offset=-1", nil, "offset")
	})

	query := func(q map[string]any) map[string]any {
		t.Helper()
		return w.expect(token, "POST", "/groups/query", map[string]any{"query": q}, 200)
	}
	for _, tc := range []struct {
		name  string
		query map[string]any
		want  []string
		total int
	}{
		{"starts with, case-insensitive, by name", map[string]any{
			"filter": map[string]any{"name": map[string]any{"$startsWith": "HI"}},
			"sort":   []any{map[string]any{"fieldName": "name", "order": "ASC"}}},
			[]string{"Hikers Secret", "Hiking", "Hill Runners"}, 3},
		{"contains and privacy in", map[string]any{
			"filter": map[string]any{"name": map[string]any{"$contains": "h"}, "privacyStatus": map[string]any{"$in": []string{"PRIVATE", "SECRET"}}},
			"sort":   []any{map[string]any{"fieldName": "name"}}},
			[]string{"Choir", "Hikers Secret", "Hill Runners"}, 3},
		{"a bare value is $eq", map[string]any{"filter": map[string]any{"privacyStatus": "PUBLIC"},
			"sort": []any{map[string]any{"fieldName": "name", "order": "DESC"}}},
			[]string{"Hiking", "Go", "Chess"}, 3},
		{"members count", map[string]any{"filter": map[string]any{"membersCount": map[string]any{"$gte": 2}}},
			[]string{"Chess"}, 1},
		{"name in, not equal", map[string]any{"filter": map[string]any{"name": map[string]any{"$in": []string{"go", "CHESS", "choir"}, "$ne": "choir"}},
			"sort": []any{map[string]any{"fieldName": "membersCount", "order": "DESC"}}},
			[]string{"Chess", "Go"}, 2},
		{"dates", map[string]any{"filter": map[string]any{"createdDate": map[string]any{"$gt": "0001-01-01T00:00:00Z", "$lt": "9999-12-31T23:59:59Z"},
			"lastActivityDate": map[string]any{"$gte": "2000-01-01T00:00:00+05:00"}}, "paging": map[string]any{"limit": 1}},
			[]string{"Hikers Secret"}, 6},
		{"nothing", map[string]any{"filter": map[string]any{"name": "no such group"}}, []string{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := query(tc.query)
			if names := ids(got, "groups", "name"); !slices.Equal(names, tc.want) && (len(names) != 0 || len(tc.want) != 0) {
				t.Errorf("groups = %v, want %v", names, tc.want)
			}
			if num(got, "metadata.total") != tc.total {
				t.Errorf("total = %d, want %d", num(got, "metadata.total"), tc.total)
			}
		})
	}

	t.Run("cursor paging both ways", func(t *testing.T) {
		sort := []any{map[string]any{"fieldName": "name"}}
		first := query(map[string]any{"sort": sort, "cursorPaging": map[string]any{"limit": 2}})
		if got := ids(first, "groups", "name"); !slices.Equal(got, []string{"Chess", "Choir"}) {
			t.Fatalf("first page = %v", got)
		}
		if at(first, "metadata.total") != nil || at(first, "metadata.offset") != nil || num(first, "metadata.count") != 2 {
			t.Errorf("cursor metadata = %v", at(first, "metadata"))
		}
		next := str(first, "metadata.cursors.next")
		second := query(map[string]any{"sort": sort, "cursorPaging": map[string]any{"limit": 2, "cursor": next}})
		if got := ids(second, "groups", "name"); !slices.Equal(got, []string{"Go", "Hikers Secret"}) {
			t.Fatalf("second page = %v", got)
		}
		back := query(map[string]any{"sort": sort, "cursorPaging": map[string]any{"limit": 2, "cursor": str(second, "metadata.cursors.prev")}})
		if got := ids(back, "groups", "name"); !slices.Equal(got, []string{"Chess", "Choir"}) {
			t.Errorf("back = %v", got)
		}
		w.expectViolation(token, "POST", "/groups/query", map[string]any{"query": map[string]any{
			"cursorPaging": map[string]any{"cursor": next}}}, "query.cursorPaging.cursor") // another sort
		w.expectViolation(token, "POST", "/groups/query", map[string]any{"query": map[string]any{
			"sort": sort, "cursorPaging": map[string]any{"cursor": "n.garbage"}}}, "query.cursorPaging.cursor")
	})

	t.Run("errors name the field", func(t *testing.T) {
		for body, field := range map[string]string{
			`{"query": {"filter": {"foo": 1}}}`:                                 "query.filter.foo",
			`{"query": {"filter": {"name": {"$regex": "."}}}}`:                  "query.filter.name.$regex",
			`{"query": {"filter": {"membersCount": "many"}}}`:                   "query.filter.membersCount",
			`{"query": {"filter": {"membersCount": {"$gt": 99999999999}}}}`:     "query.filter.membersCount.$gt",
			`{"query": {"filter": {"name": {"$contains": "\u0000"}}}}`:          "query.filter.name.$contains",
			`{"query": {"sort": [{"fieldName": "slug"}]}}`:                      "query.sort[0].fieldName",
			`{"query": {"paging": {"limit": 500}}}`:                             "query.paging.limit",
			`{"query": {"filter": {"name": "x"}, "fields": ["id"]}}`:            "query.fields",
			`{"query": {"filter": {"createdDate": {"$gt": "last tuesday"}}}}`:   "query.filter.createdDate.$gt",
			`{"query": {"filter": {"privacyStatus": {"$in": ["PUBLIC", 1]}}}}`:  "query.filter.privacyStatus.$in",
			`{"query": {"paging": {"limit": 1}, "cursorPaging": {"limit": 1}}}`: "query",
		} {
			w.expectViolation(token, "POST", "/groups/query", body, field)
		}
	})
}

// A group whose slug is a word of the API's paths is still found by slug:
// /groups/by-slug/members reads as by-slug, and a group's own members page
// and the methods a path takes are unchanged beside it.
func TestAPIBySlugBesideMembersPaths(t *testing.T) {
	w := newWorld(t, nil)
	ada, token := w.person("Ada Member")
	g := w.group(ada, "Members", guildhall.Public)
	if g.Slug != "members" {
		t.Fatalf("slug %q, want members", g.Slug)
	}
	if got := w.expect(token, "GET", "/groups/by-slug/members", nil, 200); str(got, "group.id") != g.ID {
		t.Errorf("by-slug/members found %v, want the group %s", got, g.ID)
	}
	if got := w.expect(token, "GET", "/groups/"+g.ID+"/members", nil, 200); len(at(got, "members").([]any)) != 1 {
		t.Errorf("members of %s: %v, want the owner alone", g.ID, got)
	}
	w.expect(token, "GET", "/groups/"+g.ID+"/join-requests", nil, 200)
	w.expectError(token, "GET", "/groups/"+g.ID+"/nothing-here", nil, 404, "NOT_FOUND")
	res := w.app.APIRequest(t, token, "PUT", "/groups/"+g.ID+"/members", nil)
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT members: %d, Allow %q; want 405 with GET, POST", res.StatusCode, res.Header.Get("Allow"))
	}
}
