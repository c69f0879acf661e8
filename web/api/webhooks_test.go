package api_test

import (
	"strings"
	"testing"

	"guildhall/internal/guildhall"
)

func TestAPIWebhooks(t *testing.T) {
	w := newWorld(t, nil)
	owner, ownerTok := w.person("Olga Owner")
	_, memberTok := w.person("Mo Member")
	g := w.group(owner, "Hiking Club", guildhall.Public)

	got := w.expect(w.rootTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "http://127.0.0.1:9/hook", "eventTypes": []any{"*"}}}, 201)
	hook := at(got, "webhook").(map[string]any)
	if !strings.HasPrefix(str(got, "secret"), "whsec_") || at(hook, "groupId") != nil || at(hook, "enabled") != true ||
		str(hook, "createdDate") == "" || at(hook, "secret") != nil {
		t.Fatalf("register = %v", got)
	}
	id := str(hook, "id")

	w.expectViolation(w.rootTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "gopher://x", "eventTypes": []any{"*"}}}, "webhook.url")
	w.expectViolation(w.rootTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "https://example.com/", "eventTypes": []any{"group.exploded"}}}, "webhook.eventTypes")
	w.expectError(ownerTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "https://example.com/", "eventTypes": []any{"*"}}}, 403, "PERMISSION_DENIED")
	w.expectError(memberTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "https://example.com/", "eventTypes": []any{"*"}, "groupId": g.ID}}, 403, "PERMISSION_DENIED")

	// The group's admin manages the group's endpoints, and sees only those.
	mine := w.expect(ownerTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "http://127.0.0.1:9/hiking", "eventTypes": []any{"member.added", "member.left"}, "groupId": g.ID}}, 201)
	// The pages' rule: specific types win over "*".
	both := at(w.expect(w.rootTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "http://127.0.0.1:9/both", "eventTypes": []any{"*", "member.added"}}}, 201), "webhook").(map[string]any)
	if ts := at(both, "eventTypes").([]any); len(ts) != 1 || ts[0] != "member.added" {
		t.Errorf(`eventTypes ["*", "member.added"] stored as %v, want ["member.added"]`, ts)
	}
	w.expect(w.rootTok, "DELETE", "/webhooks/"+str(both, "id"), nil, 200)
	hidden := w.expect(w.rootTok, "POST", "/webhooks", map[string]any{"webhook": map[string]any{
		"url": "http://127.0.0.1:9/secret", "eventTypes": []any{"*"}, "groupId": w.group(owner, "Quiet Room", guildhall.Secret).ID}}, 201)
	listed := list(w.expect(ownerTok, "GET", "/webhooks", nil, 200), "webhooks")
	if len(listed) != 2 || str(listed[0], "groupId") != g.ID {
		t.Errorf("owner lists %v", listed)
	}
	if n := len(list(w.expect(w.rootTok, "GET", "/webhooks", nil, 200), "webhooks")); n != 3 {
		t.Errorf("site admin lists %d endpoints, want 3", n)
	}
	// Signed in but not allowed: the site's endpoint and a visible group's
	// are refused with the reason; a secret group's is not found.
	for _, call := range [][2]string{{"GET", "/deliveries"}, {"PATCH", ""}, {"DELETE", ""}, {"POST", "/test"},
		{"POST", "/deliveries/00000000-0000-0000-0000-000000000000/redeliver"}} {
		var body any
		if call[0] == "PATCH" {
			body = map[string]any{"webhook": map[string]any{"enabled": false}}
		}
		w.expectError(memberTok, call[0], "/webhooks/"+id+call[1], body, 403, "PERMISSION_DENIED")
		w.expectError(memberTok, call[0], "/webhooks/"+str(mine, "webhook.id")+call[1], body, 403, "PERMISSION_DENIED")
		w.expectError(memberTok, call[0], "/webhooks/"+str(hidden, "webhook.id")+call[1], body, 404, "NOT_FOUND")
		w.expectError(memberTok, call[0], "/webhooks/00000000-0000-0000-0000-000000000000"+call[1], body, 404, "NOT_FOUND")
	}
	w.expectError(ownerTok, "DELETE", "/webhooks/"+id, nil, 403, "PERMISSION_DENIED")

	off := w.expect(w.rootTok, "PATCH", "/webhooks/"+id, map[string]any{"webhook": map[string]any{"enabled": false}}, 200)
	if at(off, "webhook.enabled") != false || !strings.Contains(str(off, "webhook.disabledReason"), "Root Admin") {
		t.Errorf("disable = %v", off)
	}
	page := w.expect(w.rootTok, "GET", "/webhooks/"+id+"/deliveries?limit=5", nil, 200)
	if len(list(page, "deliveries")) != 0 || num(page, "metadata.total") != 0 {
		t.Errorf("deliveries = %v", page)
	}
	w.expectError(w.rootTok, "POST", "/webhooks/"+id+"/deliveries/00000000-0000-0000-0000-000000000000/redeliver", nil, 409, "FAILED_PRECONDITION")
	w.expect(w.rootTok, "PATCH", "/webhooks/"+id, map[string]any{"webhook": map[string]any{"enabled": true}}, 200)
	w.expectError(w.rootTok, "POST", "/webhooks/"+id+"/deliveries/00000000-0000-0000-0000-000000000000/redeliver", nil, 404, "NOT_FOUND")
	w.expect(w.rootTok, "POST", "/webhooks/"+id+"/test", nil, 202)

	w.expect(ownerTok, "DELETE", "/webhooks/"+str(mine, "webhook.id"), nil, 200)
	if n := len(list(w.expect(ownerTok, "GET", "/webhooks?groupId="+g.ID, nil, 200), "webhooks")); n != 0 {
		t.Errorf("after delete the group has %d endpoints", n)
	}
}
