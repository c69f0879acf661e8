package api_test

import (
	"testing"

	"guildhall/internal/guildhall"
)

func TestAPINotifications(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	_, adaTok := w.person("Ada Asker")
	_, bobTok := w.person("Bob Asker")
	private := w.group(owner, "Hiking Club", guildhall.Private)
	for _, tok := range []string{adaTok, bobTok} {
		w.expect(tok, "POST", "/groups/"+private.ID+"/join", nil, 202)
	}

	got := w.expect(ownerTok, "GET", "/notifications?unread=true", nil, 200)
	items := list(got, "notifications")
	if len(items) != 1 || num(got, "metadata.total") != 1 {
		t.Fatalf("owner's unread notifications = %v", got)
	}
	n := items[0]
	if str(n, "message") != "2 new requests to join Hiking Club" || str(n, "kind") != "join_requests.new" ||
		num(n, "count") != 2 || at(n, "read") != false || str(n, "groupId") != private.ID {
		t.Errorf("notification = %v", n)
	}
	if url := str(n, "url"); url != "/groups/"+private.Slug+"/requests" {
		t.Errorf("url = %q", url)
	}

	w.expectViolation(ownerTok, "GET", "/notifications?unread=maybe", nil, "unread")
	w.expectViolation(ownerTok, "POST", "/notifications/read", map[string]any{"ids": []any{"x"}}, "ids[0]")
	w.expectViolation(ownerTok, "POST", "/notifications/read", `{"id": []}`, "id")

	// Someone else's ids change nothing.
	marked := w.expect(adaTok, "POST", "/notifications/read", map[string]any{"ids": []any{str(n, "id")}}, 200)
	if num(marked, "marked") != 0 {
		t.Errorf("Ada marked the owner's notification: %v", marked)
	}
	marked = w.expect(ownerTok, "POST", "/notifications/read", nil, 200)
	if num(marked, "marked") != 1 || num(marked, "unread") != 0 {
		t.Errorf("mark all = %v", marked)
	}
	got = w.expect(ownerTok, "GET", "/notifications?unread=true", nil, 200)
	if num(got, "metadata.total") != 0 {
		t.Errorf("unread after marking all = %v", got)
	}
	got = w.expect(ownerTok, "GET", "/notifications", nil, 200)
	if len(list(got, "notifications")) != 1 || at(list(got, "notifications")[0], "read") != true {
		t.Errorf("all notifications = %v", got)
	}
	w.expectError("", "GET", "/notifications", nil, 401, "UNAUTHENTICATED")
}
