package api_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// TestAPIPermissionTable runs the rules of groups and joining again through
// the API: actor × privacy × action → status code, each case on a fresh
// group whose admin is groupAdmin and whose members are member and mate.
func TestAPIPermissionTable(t *testing.T) {
	w := newWorld(t, nil)
	groupAdmin, groupAdminTok := w.person("Gina GroupAdmin")
	member, memberTok := w.person("Mia Member")
	mate, _ := w.person("Mo Mate")
	_, otherTok := w.person("Oscar Other")
	_, privateTok := w.person("Pia Private", testapp.PrivateProfile)
	newbie, _ := w.person("Ned Newbie")
	sam := w.app.Account(t, "sam@example.com", "Sam SiteAdmin", testapp.SiteAdmin)
	tokens := map[string]string{
		"site admin": w.rootTok, "group admin": groupAdminTok, "member": memberTok,
		"other": otherTok, "private profile": privateTok, "elevated": w.app.APIToken(t, sam, true),
	}
	actors := []string{"site admin", "group admin", "member", "other", "private profile", "elevated"}
	privacies := []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret}

	type call struct {
		method, path string
		body         any
	}
	// want holds the status per actor for PUBLIC, PRIVATE and SECRET.
	for _, action := range []struct {
		name string
		call func(g *guildhall.Group) call
		want map[string][3]int
	}{
		{"get", func(g *guildhall.Group) call { return call{"GET", "/groups/" + g.ID, nil} }, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {200, 200, 200},
			"other": {200, 200, 404}, "private profile": {200, 200, 404}, "elevated": {200, 200, 200}}},
		{"get by slug", func(g *guildhall.Group) call { return call{"GET", "/groups/by-slug/" + g.Slug, nil} }, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {200, 200, 200},
			"other": {200, 200, 404}, "private profile": {200, 200, 404}, "elevated": {200, 200, 200}}},
		{"update", func(g *guildhall.Group) call {
			return call{"PATCH", "/groups/" + g.ID, map[string]any{"group": map[string]any{"description": "New."}}}
		}, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 403},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
		{"delete", func(g *guildhall.Group) call { return call{"DELETE", "/groups/" + g.ID, nil} }, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 403},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
		{"join", func(g *guildhall.Group) call { return call{"POST", "/groups/" + g.ID + "/join", nil} }, map[string][3]int{
			"site admin": {201, 202, 403}, "group admin": {409, 409, 409}, "member": {409, 409, 409},
			"other": {201, 202, 404}, "private profile": {403, 403, 404}, "elevated": {201, 202, 403}}},
		{"list members", func(g *guildhall.Group) call { return call{"GET", "/groups/" + g.ID + "/members", nil} }, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {200, 200, 200},
			"other": {200, 403, 404}, "private profile": {200, 403, 404}, "elevated": {200, 200, 200}}},
		{"add member", func(g *guildhall.Group) call {
			return call{"POST", "/groups/" + g.ID + "/members", map[string]any{"memberIds": []string{newbie.ID}}}
		}, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 200},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
		{"decide join requests", func(g *guildhall.Group) call {
			return call{"POST", "/groups/" + g.ID + "/join-requests/approve", map[string]any{"memberIds": []string{newbie.ID}}}
		}, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 403},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
		{"make admin", func(g *guildhall.Group) call {
			return call{"POST", "/groups/" + g.ID + "/roles", map[string]any{"memberIds": []string{mate.ID}, "role": "ADMIN"}}
		}, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 403},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
		{"remove member", func(g *guildhall.Group) call { return call{"DELETE", "/groups/" + g.ID + "/members/" + mate.ID, nil} }, map[string][3]int{
			"site admin": {200, 200, 200}, "group admin": {200, 200, 200}, "member": {403, 403, 403},
			"other": {403, 403, 404}, "private profile": {403, 403, 404}, "elevated": {200, 200, 200}}},
	} {
		for _, actor := range actors {
			for i, p := range privacies {
				t.Run(fmt.Sprintf("%s/%s/%s", action.name, actor, p), func(t *testing.T) {
					g := w.group(groupAdmin, fmt.Sprintf("%s %s %s", action.name, actor, p), p)
					w.member(g, member, guildhall.RoleMember)
					w.member(g, mate, guildhall.RoleMember)
					c := action.call(g)
					got, out := w.app.API(t, tokens[actor], c.method, c.path, c.body)
					if want := action.want[actor][i]; got != want {
						t.Errorf("%s %s as %s: status %d, want %d (%v)", c.method, c.path, actor, got, want, out)
					}
					if got >= 400 {
						checkErrorBody(t, out, got)
					}
				})
			}
		}
	}
}

// TestAPISecretGroupIsNotThere: to a caller who may not see a secret group,
// every endpoint answers exactly as for a group that does not exist, and
// no list, query, count or total includes it.
func TestAPISecretGroupIsNotThere(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	outsider, outsiderTok := w.person("Oscar Outsider")
	secret := w.group(owner, "Hidden Hikers", guildhall.Secret)
	w.group(owner, "Open Hikers", guildhall.Public)
	unknown := "0b6c1d3e-0000-4000-8000-000000000000"

	calls := func(id string) [][3]any {
		return [][3]any{
			{"GET", "/groups/" + id, nil},
			{"PATCH", "/groups/" + id, map[string]any{"group": map[string]any{"name": "Found you"}}},
			{"DELETE", "/groups/" + id, nil},
			{"POST", "/groups/" + id + "/join", nil},
			{"POST", "/groups/" + id + "/leave", nil},
			{"GET", "/groups/" + id + "/join-requests", nil},
			{"POST", "/groups/" + id + "/join-requests/query", map[string]any{"query": map[string]any{}}},
			{"POST", "/groups/" + id + "/join-requests/approve", map[string]any{"memberIds": []string{outsider.ID}}},
			{"POST", "/groups/" + id + "/join-requests/reject", map[string]any{"rejections": []any{map[string]any{"memberId": outsider.ID}}}},
			{"POST", "/groups/" + id + "/join-requests/cancel", nil},
			{"GET", "/groups/" + id + "/members", nil},
			{"POST", "/groups/" + id + "/members", map[string]any{"memberIds": []string{outsider.ID}}},
			{"DELETE", "/groups/" + id + "/members/" + owner.ID, nil}, // the owner's id: the one member an outsider could know
			{"POST", "/groups/" + id + "/roles", map[string]any{"memberIds": []string{outsider.ID}, "role": "ADMIN"}},
		}
	}
	hidden, missing, names := calls(secret.ID), calls(unknown), calls("{id}")
	for i, c := range hidden {
		t.Run(names[i][0].(string)+" "+names[i][1].(string), func(t *testing.T) {
			got, out := w.app.API(t, outsiderTok, c[0].(string), c[1].(string), c[2])
			_, want := w.app.API(t, outsiderTok, missing[i][0].(string), missing[i][1].(string), missing[i][2])
			if got != 404 || !reflect.DeepEqual(out, want) {
				t.Errorf("status %d body %v; want the 404 of an unknown group, %v", got, out, want)
			}
		})
	}
	t.Run("by slug", func(t *testing.T) {
		_, out := w.app.API(t, outsiderTok, "GET", "/groups/by-slug/"+secret.Slug, nil)
		_, want := w.app.API(t, outsiderTok, "GET", "/groups/by-slug/no-such-slug", nil)
		if !reflect.DeepEqual(out, want) || str(out, "details.applicationError.code") != "NOT_FOUND" {
			t.Errorf("by slug: %v, want %v", out, want)
		}
	})
	t.Run("lists, queries and totals", func(t *testing.T) {
		for _, c := range [][3]any{
			{"GET", "/groups", nil},
			{"POST", "/groups/query", map[string]any{"query": map[string]any{"filter": map[string]any{"name": map[string]any{"$contains": "hikers"}}}}},
			{"POST", "/groups/query", map[string]any{"query": map[string]any{"filter": map[string]any{"privacyStatus": "SECRET"}}}},
			{"POST", "/groups/query", map[string]any{"query": map[string]any{"filter": map[string]any{"name": "Hidden Hikers"}, "cursorPaging": map[string]any{}}}},
		} {
			out := w.expect(outsiderTok, c[0].(string), c[1].(string), c[2], 200)
			if slices.Contains(ids(out, "groups", "id"), secret.ID) {
				t.Errorf("%s %s lists the secret group", c[0], c[1])
			}
			if total, ok := at(out, "metadata.total").(float64); ok && int(total) != len(list(out, "groups")) {
				t.Errorf("%s %s: total %v counts what it does not show", c[0], c[1], total)
			}
		}
		// Its members and site admins do see it.
		for _, tok := range []string{ownerTok, w.rootTok} {
			out := w.expect(tok, "POST", "/groups/query", map[string]any{"query": map[string]any{"filter": map[string]any{"privacyStatus": "SECRET"}}}, 200)
			if !slices.Equal(ids(out, "groups", "id"), []string{secret.ID}) || num(out, "metadata.total") != 1 {
				t.Errorf("a member or site admin: %v", out)
			}
		}
	})
}
