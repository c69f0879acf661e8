package api_test

import (
	"slices"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

func TestAPIJoinLeaveAndRequests(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	ada, adaTok := w.person("Ada Member")
	bob, bobTok := w.person("Bob Member")
	carl, carlTok := w.person("Carl Member")
	_, privTok := w.person("Pia Private", testapp.PrivateProfile)
	public := w.group(owner, "Open Air", guildhall.Public)
	private := w.group(owner, "Inner Circle", guildhall.Private)

	t.Run("public: join at once, once", func(t *testing.T) {
		got := w.expect(adaTok, "POST", "/groups/"+public.ID+"/join", nil, 201)
		if str(got, "member.memberId") != ada.ID || str(got, "member.role") != "MEMBER" || str(got, "member.displayName") != "Ada Member" {
			t.Errorf("member = %v", got)
		}
		w.expectError(adaTok, "POST", "/groups/"+public.ID+"/join", nil, 409, "ALREADY_EXISTS")
		w.expectError(privTok, "POST", "/groups/"+public.ID+"/join", nil, 403, "PERMISSION_DENIED")
	})

	t.Run("private: a request, once", func(t *testing.T) {
		for _, tok := range []string{adaTok, bobTok, carlTok} {
			got := w.expect(tok, "POST", "/groups/"+private.ID+"/join", map[string]any{"answers": []any{}}, 202)
			if str(got, "joinRequest.status") != "PENDING" || str(got, "joinRequest.groupId") != private.ID {
				t.Errorf("join request = %v", got)
			}
		}
		w.expectError(adaTok, "POST", "/groups/"+private.ID+"/join", nil, 409, "ALREADY_EXISTS")
		w.expectViolation(adaTok, "POST", "/groups/"+private.ID+"/join", `{"answer": []}`, "answer")
	})

	t.Run("list and query requests", func(t *testing.T) {
		all := w.expect(ownerTok, "GET", "/groups/"+private.ID+"/join-requests?status=PENDING", nil, 200)
		if got := ids(all, "joinRequests", "memberId"); len(got) != 3 || num(all, "metadata.total") != 3 {
			t.Errorf("admin sees %v", got)
		}
		// A requester sees only their own request.
		own := w.expect(bobTok, "GET", "/groups/"+private.ID+"/join-requests", nil, 200)
		if got := ids(own, "joinRequests", "memberId"); !slices.Equal(got, []string{bob.ID}) || num(own, "metadata.total") != 1 {
			t.Errorf("a requester sees %v", own)
		}
		paged := w.expect(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/query", map[string]any{"query": map[string]any{
			"filter": map[string]any{"status": map[string]any{"$eq": "PENDING"}}, "paging": map[string]any{"limit": 2, "offset": 2}}}, 200)
		if num(paged, "metadata.count") != 1 || num(paged, "metadata.total") != 3 || num(paged, "metadata.offset") != 2 {
			t.Errorf("query metadata = %v", at(paged, "metadata"))
		}
		w.expectViolation(ownerTok, "GET", "/groups/"+private.ID+"/join-requests?status=WAITING", nil, "status")
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/query",
			`{"query": {"filter": {"status": "WAITING"}}}`, "query.filter.status")
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/query",
			`{"query": {"filter": {"group": "x"}}}`, "query.filter.group")
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/query",
			`{"query": {"sort": []}}`, "query.sort")
	})

	t.Run("bulk decisions report per item", func(t *testing.T) {
		w.expectError(adaTok, "POST", "/groups/"+private.ID+"/join-requests/approve", map[string]any{"memberIds": []string{bob.ID}},
			403, "PERMISSION_DENIED")
		got := w.expect(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/approve",
			map[string]any{"memberIds": []string{ada.ID, owner.ID}}, 200)
		if done := ids(got, "joinRequests", "memberId"); !slices.Equal(done, []string{ada.ID}) || str(got, "joinRequests.0.status") != "APPROVED" {
			t.Errorf("approved %v", at(got, "joinRequests"))
		}
		if failed := ids(got, "errors", "id"); !slices.Equal(failed, []string{owner.ID}) || str(got, "errors.0.code") == "" || str(got, "errors.0.description") == "" {
			t.Errorf("errors = %v", at(got, "errors"))
		}
		// Deciding again changes nothing and says so.
		again := w.expect(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/reject",
			map[string]any{"rejections": []any{map[string]any{"memberId": ada.ID}, map[string]any{"memberId": bob.ID, "reason": "Full."}}}, 200)
		if done := ids(again, "joinRequests", "memberId"); !slices.Equal(done, []string{bob.ID}) || str(again, "joinRequests.0.rejectionReason") != "Full." {
			t.Errorf("rejected %v", at(again, "joinRequests"))
		}
		if failed := ids(again, "errors", "id"); !slices.Equal(failed, []string{ada.ID}) {
			t.Errorf("errors = %v", at(again, "errors"))
		}
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/reject",
			map[string]any{"rejections": []any{map[string]any{"memberId": carl.ID, "reason": strings.Repeat("r", 1001)}}}, "rejections[0].reason")
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/approve", `{}`, "memberIds")
		tooMany := make([]string, 101)
		for i := range tooMany {
			tooMany[i] = carl.ID
		}
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/approve", map[string]any{"memberIds": tooMany}, "memberIds")
	})

	t.Run("cancel own request", func(t *testing.T) {
		got := w.expect(carlTok, "POST", "/groups/"+private.ID+"/join-requests/cancel", nil, 200)
		if str(got, "joinRequest.status") != "CANCELED" || str(got, "joinRequest.memberId") != carl.ID {
			t.Errorf("canceled = %v", got)
		}
		// Again: the request is no longer pending (409), and nobody else's
		// cancel finds one (404).
		w.expect(carlTok, "POST", "/groups/"+private.ID+"/join-requests/cancel", nil, 409)
		w.expect(ownerTok, "POST", "/groups/"+private.ID+"/join-requests/cancel", nil, 404)
	})

	t.Run("members, roles and leaving", func(t *testing.T) {
		list := w.expect(ownerTok, "GET", "/groups/"+private.ID+"/members?limit=10", nil, 200)
		if got := ids(list, "members", "memberId"); len(got) != 2 || num(list, "metadata.total") != 2 {
			t.Errorf("members = %v", got)
		}
		added := w.expect(ownerTok, "POST", "/groups/"+private.ID+"/members", map[string]any{"memberIds": []string{carl.ID, ada.ID}}, 200)
		if done, failed := ids(added, "members", "memberId"), ids(added, "errors", "id"); !slices.Equal(done, []string{carl.ID}) || !slices.Equal(failed, []string{ada.ID}) || str(added, "errors.0.code") != "ALREADY_EXISTS" {
			t.Errorf("added %v, errors %v", done, at(added, "errors"))
		}
		roles := w.expect(ownerTok, "POST", "/groups/"+private.ID+"/roles", map[string]any{"memberIds": []string{ada.ID}, "role": "ADMIN"}, 200)
		if str(roles, "members.0.role") != "ADMIN" {
			t.Errorf("roles = %v", roles)
		}
		w.expectViolation(ownerTok, "POST", "/groups/"+private.ID+"/roles", map[string]any{"memberIds": []string{ada.ID}, "role": "OWNER"}, "role")
		w.expectError(carlTok, "POST", "/groups/"+private.ID+"/roles", map[string]any{"memberIds": []string{carl.ID}, "role": "ADMIN"}, 403, "PERMISSION_DENIED")
		w.expect(adaTok, "DELETE", "/groups/"+private.ID+"/members/"+carl.ID, nil, 200)
		w.expect(adaTok, "DELETE", "/groups/"+private.ID+"/members/"+carl.ID, nil, 404)
		w.expect(adaTok, "POST", "/groups/"+private.ID+"/leave", nil, 200)
		// Olga is the last admin now.
		w.expectError(ownerTok, "POST", "/groups/"+private.ID+"/leave", nil, 409, "FAILED_PRECONDITION")
	})
}

func TestAPICreateRequests(t *testing.T) {
	w := newWorld(t, nil)
	ada, adaTok := w.person("Ada Member")
	_, bobTok := w.person("Bob Member")
	submit := func(tok, name string) string {
		t.Helper()
		got := w.expect(tok, "POST", "/groups", map[string]any{"group": map[string]any{"name": name, "privacyStatus": "PRIVATE"}}, 202)
		return str(got, "createRequest.id")
	}
	r1, r2, r3 := submit(adaTok, "Book Club"), submit(adaTok, "Film Club"), submit(bobTok, "Bob's Club")

	all := w.expect(w.rootTok, "GET", "/create-requests?status=PENDING", nil, 200)
	if got := ids(all, "createRequests", "id"); !slices.Equal(got, []string{r3, r2, r1}) || num(all, "metadata.total") != 3 {
		t.Errorf("site admin sees %v, want all, newest first", got)
	}
	own := w.expect(bobTok, "GET", "/create-requests", nil, 200)
	if got := ids(own, "createRequests", "id"); !slices.Equal(got, []string{r3}) {
		t.Errorf("Bob sees %v, want his own", got)
	}
	queried := w.expect(w.rootTok, "POST", "/create-requests/query", map[string]any{"query": map[string]any{
		"filter": map[string]any{"status": "PENDING"}, "sort": []any{map[string]any{"fieldName": "createdDate", "order": "DESC"}},
		"paging": map[string]any{"limit": 1}}}, 200)
	if got := ids(queried, "createRequests", "id"); !slices.Equal(got, []string{r3}) || num(queried, "metadata.total") != 3 {
		t.Errorf("query = %v", got)
	}
	oldest := w.expect(w.rootTok, "POST", "/create-requests/query", map[string]any{"query": map[string]any{
		"filter": map[string]any{"status": "PENDING"}, "sort": []any{map[string]any{"fieldName": "createdDate", "order": "ASC"}}}}, 200)
	if got := ids(oldest, "createRequests", "id"); !slices.Equal(got, []string{r1, r2, r3}) {
		t.Errorf("oldest first = %v, want %v", got, []string{r1, r2, r3})
	}
	w.expectViolation(w.rootTok, "POST", "/create-requests/query", `{"query": {"sort": [{"fieldName": "createdDate", "order": "UP"}]}}`, "query.sort[0].order")
	w.expectViolation(w.rootTok, "POST", "/create-requests/query", `{"query": {"sort": [{"fieldName": "name"}]}}`, "query.sort[0].fieldName")

	w.expectError(adaTok, "POST", "/create-requests/approve", map[string]any{"createRequestIds": []string{r1}}, 403, "PERMISSION_DENIED")
	approved := w.expect(w.rootTok, "POST", "/create-requests/approve",
		map[string]any{"createRequestIds": []string{r1, "00000000-0000-0000-0000-000000000000"}}, 200)
	if str(approved, "createRequests.0.status") != "APPROVED" || str(approved, "createRequests.0.group.id") == "" || str(approved, "createRequests.0.decidedBy") != w.root.ID {
		t.Errorf("approved = %v", at(approved, "createRequests"))
	}
	if str(approved, "errors.0.code") != "NOT_FOUND" {
		t.Errorf("errors = %v", at(approved, "errors"))
	}
	groupID := str(approved, "createRequests.0.group.id")
	if got := w.expect(adaTok, "GET", "/groups/"+groupID, nil, 200); str(got, "group.ownerId") != ada.ID {
		t.Errorf("the approved group = %v, want Ada as owner", got)
	}

	rejected := w.expect(w.rootTok, "POST", "/create-requests/reject", map[string]any{"rejections": []any{
		map[string]any{"createRequestId": r2, "reason": "Too many clubs."}, map[string]any{"createRequestId": r1}}}, 200)
	if str(rejected, "createRequests.0.rejectionReason") != "Too many clubs." || str(rejected, "errors.0.code") != "FAILED_PRECONDITION" || str(rejected, "errors.0.id") != r1 {
		t.Errorf("rejected = %v", rejected)
	}
	w.expectViolation(w.rootTok, "POST", "/create-requests/reject", map[string]any{"rejections": []any{
		map[string]any{"createRequestId": r3, "reason": strings.Repeat("x", 1001)}}}, "rejections[0].reason")

	w.expectError(adaTok, "POST", "/create-requests/"+r3+"/cancel", nil, 404, "NOT_FOUND") // Bob's
	if got := w.expect(bobTok, "POST", "/create-requests/"+r3+"/cancel", nil, 200); str(got, "createRequest.status") != "CANCELED" {
		t.Errorf("cancel = %v", got)
	}
	w.expectError(bobTok, "POST", "/create-requests/"+r3+"/cancel", nil, 409, "FAILED_PRECONDITION")
}

func TestAPISiteSettings(t *testing.T) {
	w := newWorld(t, nil)
	_, token := w.person("Ada Member")
	elevated := w.app.APIToken(t, w.root, true)
	if got := w.expect(w.rootTok, "GET", "/settings", nil, 200); str(got, "settings.creationPolicy") != "MEMBERS_WITH_APPROVAL" {
		t.Errorf("settings = %v", got)
	}
	w.expectError(token, "GET", "/settings", nil, 403, "PERMISSION_DENIED")
	w.expectError(token, "PATCH", "/settings", map[string]any{"creationPolicy": "ALL_MEMBERS"}, 403, "PERMISSION_DENIED")
	w.expectViolation(w.rootTok, "PATCH", "/settings", map[string]any{"creationPolicy": "EVERYONE"}, "creationPolicy")
	if got := w.expect(elevated, "PATCH", "/settings", map[string]any{"creationPolicy": "ALL_MEMBERS"}, 200); str(got, "settings.creationPolicy") != "ALL_MEMBERS" {
		t.Errorf("after PATCH: %v", got)
	}
	w.expect(token, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Now Allowed"}}, 201)
}
