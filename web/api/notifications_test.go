package api_test

import (
	"testing"
	"time"

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

// The request lifecycle settings travel with the site settings, and
// pending requests carry expiresDate while expiry is on.
// TestAPILifecycleTimerOffWithNull: GET shows an off timer as null, so
// PATCH takes null to turn one off, alone or beside another field; a field
// left out stays as it is.
func TestAPILifecycleTimerOffWithNull(t *testing.T) {
	w := newWorld(t, nil)
	w.expect(w.rootTok, "PATCH", "/settings", map[string]any{"expireAfterDays": 7, "remindAfterDays": 5, "escalateAfterDays": 3}, 200)
	got := w.expect(w.rootTok, "PATCH", "/settings", `{"remindAfterDays": null}`, 200)
	if at(got, "settings.remindAfterDays") != nil || num(got, "settings.expireAfterDays") != 7 || num(got, "settings.escalateAfterDays") != 3 {
		t.Errorf("remindAfterDays null alone = %v", got)
	}
	got = w.expect(w.rootTok, "PATCH", "/settings", `{"creationPolicy": "ALL_MEMBERS", "expireAfterDays": null}`, 200)
	if at(got, "settings.expireAfterDays") != nil || num(got, "settings.escalateAfterDays") != 3 ||
		str(got, "settings.creationPolicy") != "ALL_MEMBERS" {
		t.Errorf("expireAfterDays null beside creationPolicy = %v", got)
	}
	got = w.expect(w.rootTok, "GET", "/settings", nil, 200)
	if at(got, "settings.expireAfterDays") != nil || at(got, "settings.remindAfterDays") != nil || num(got, "settings.escalateAfterDays") != 3 {
		t.Errorf("settings after the nulls = %v", got)
	}
	w.expectViolation(w.rootTok, "PATCH", "/settings", `{"escalateAfterDays": "3"}`, "escalateAfterDays")
	w.expectViolation(w.rootTok, "PATCH", "/settings", `{}`, "body")
	if got := w.expect(w.rootTok, "GET", "/settings", nil, 200); num(got, "settings.escalateAfterDays") != 3 {
		t.Errorf("a refused PATCH changed the settings: %v", got)
	}
}

func TestAPILifecycleSettingsAndExpiresDate(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	_, adaTok := w.person("Ada Asker")
	private := w.group(owner, "Hiking Club", guildhall.Private)
	got := w.expect(adaTok, "POST", "/groups/"+private.ID+"/join", nil, 202)
	if at(got, "joinRequest.expiresDate") != nil {
		t.Errorf("expiresDate while expiry is off: %v", got)
	}
	got = w.expect(w.rootTok, "GET", "/settings", nil, 200)
	if at(got, "settings.expireAfterDays") != nil || str(got, "settings.creationPolicy") != "MEMBERS_WITH_APPROVAL" {
		t.Errorf("default settings = %v", got)
	}
	w.expectViolation(w.rootTok, "PATCH", "/settings", map[string]any{"expireAfterDays": 4000}, "expireAfterDays")
	w.expectError(ownerTok, "PATCH", "/settings", map[string]any{"expireAfterDays": 3}, 403, "PERMISSION_DENIED")
	got = w.expect(w.rootTok, "PATCH", "/settings", map[string]any{"expireAfterDays": 3, "escalateAfterDays": 2}, 200)
	if num(got, "settings.expireAfterDays") != 3 || num(got, "settings.escalateAfterDays") != 2 ||
		at(got, "settings.remindAfterDays") != nil || str(got, "settings.creationPolicy") != "MEMBERS_WITH_APPROVAL" {
		t.Errorf("settings after PATCH = %v", got)
	}
	list := w.expect(ownerTok, "GET", "/groups/"+private.ID+"/join-requests", nil, 200)
	r := at(list, "joinRequests.0")
	created, _ := time.Parse(time.RFC3339, str(r, "createdDate"))
	expires, err := time.Parse(time.RFC3339, str(r, "expiresDate"))
	if err != nil || !expires.Equal(created.Add(72*time.Hour)) {
		t.Errorf("expiresDate = %q, created %q", str(r, "expiresDate"), str(r, "createdDate"))
	}
	got = w.expect(w.rootTok, "PATCH", "/settings", map[string]any{"expireAfterDays": 0}, 200)
	if at(got, "settings.expireAfterDays") != nil || num(got, "settings.escalateAfterDays") != 2 {
		t.Errorf("turning expiry off = %v", got)
	}
}

// A notification about a group that turned secret names neither its id nor
// its slug to who may no longer see it; its members still get both.
func TestAPINotificationsHideASecretGroup(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	_, adaTok := w.person("Ada Asker")
	g := w.group(owner, "Hiking Club", guildhall.Private)
	w.expect(adaTok, "POST", "/groups/"+g.ID+"/join", nil, 202)
	secret := guildhall.Secret
	if _, err := w.app.Services.Groups.UpdateGroup(w.ctx, guildhall.ActorFor(owner), g.ID, guildhall.GroupUpdate{Privacy: &secret}); err != nil {
		t.Fatal(err)
	}
	w.app.StartJobs(t) // the change's notifications are written by its job
	w.app.WaitJobs(t)
	items := list(w.expect(adaTok, "GET", "/notifications", nil, 200), "notifications")
	if len(items) != 1 || str(items[0], "message") != "Your request to join Hiking Club was rejected: The group is now secret and takes no requests." {
		t.Fatalf("Ada's notifications = %v", items)
	}
	if at(items[0], "groupId") != nil || str(items[0], "url") != "/me/requests" {
		t.Errorf("Ada's notification names the secret group: groupId %v, url %v", at(items[0], "groupId"), at(items[0], "url"))
	}
	w.expectError(adaTok, "GET", "/groups/"+g.ID, nil, 404, "NOT_FOUND")
	for _, n := range list(w.expect(ownerTok, "GET", "/notifications", nil, 200), "notifications") {
		if str(n, "groupId") != g.ID {
			t.Errorf("the owner's notification %v should name the group", n)
		}
	}
}
