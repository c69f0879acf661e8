package postgres

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/webhooks"
)

// eventRow is an event as stored, with the endpoints it was queued for.
type eventRow struct {
	Type    string `db:"type"`
	Subject []byte `db:"subject"`
	Actor   string `db:"actor_name"`
	Audited bool   `db:"audited"`
}

func (f *membershipFixture) events() []eventRow {
	f.t.Helper()
	var rows []eventRow
	err := f.db.SelectContext(f.ctx, &rows, `
		SELECT type, subject, actor_name, audit_id IS NOT NULL AS audited FROM events ORDER BY at, type`)
	if err != nil {
		f.t.Fatal(err)
	}
	return rows
}

func types(rows []eventRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Type
	}
	return out
}

// queued returns, per endpoint URL, the event types queued for delivery.
func (f *membershipFixture) queued() map[string][]string {
	f.t.Helper()
	var rows []struct {
		URL  string `db:"url"`
		Type string `db:"type"`
	}
	err := f.db.SelectContext(f.ctx, &rows, `
		SELECT w.url, e.type FROM river_job j
		JOIN events e ON e.id = (j.args->>'eventId')::uuid
		JOIN webhooks w ON w.id = (j.args->>'webhookId')::uuid
		WHERE j.kind = 'webhook_delivery' ORDER BY j.id`)
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.URL] = append(out[r.URL], r.Type)
	}
	return out
}

func (f *membershipFixture) webhook(actor guildhall.Actor, url, groupID string, types ...string) *guildhall.Webhook {
	f.t.Helper()
	w, secret, err := f.s.Webhooks.CreateWebhook(f.ctx, actor, guildhall.NewWebhook{URL: url, EventTypes: types, GroupID: groupID})
	if err != nil {
		f.t.Fatalf("create webhook %s: %v", url, err)
	}
	if len(secret) < 40 || secret[:6] != "whsec_" {
		f.t.Fatalf("secret %q is not whsec_ and base64", secret)
	}
	return w
}

// Every change raises its event in its own transaction, with the API's
// subject, and queues a delivery for each endpoint that subscribes: the
// site's hear everything they chose, a group's only that group's.
func TestEventsAndDeliveriesFollowChanges(t *testing.T) {
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	owner := f.person("Olga Owner")
	joiner := f.person("Jo Joiner")
	f.webhook(admin, "https://all.example/", "", "*")
	f.webhook(admin, "https://joins.example/", "", guildhall.EventJoinRequestSubmitted, guildhall.EventJoinRequestApproved)

	if _, err := f.s.Settings.SetCreationPolicy(f.ctx, admin, guildhall.AllMembers); err != nil {
		t.Fatal(err)
	}
	c, err := f.s.Groups.CreateGroup(f.ctx, owner, guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	g := c.Group
	f.webhook(owner, "https://hiking.example/", g.ID, "*")
	other := f.group("Chess Club", guildhall.Public, guildhall.DefaultGroupSettings(), admin)
	f.webhook(admin, "https://chess.example/", other.ID, "*")

	if _, err := f.ms.Join(f.ctx, joiner, g.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ms.ApproveJoinRequests(f.ctx, owner, g.ID, []string{joiner.ID}); err != nil {
		t.Fatal(err)
	}
	if err := f.ms.Leave(f.ctx, joiner, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Settings.SetCreationPolicy(f.ctx, admin, guildhall.MembersWithApproval); err != nil {
		t.Fatal(err)
	}

	want := []string{"site_settings.updated", "group.created", "join_request.submitted", "join_request.approved", "member.left", "site_settings.updated"}
	got := f.events()
	if !slices.Equal(types(got), want) {
		t.Fatalf("events %v, want %v", types(got), want)
	}
	var approved struct {
		JoinRequest *guildhall.JoinRequest
		Group       *guildhall.Group
	}
	if err := json.Unmarshal(got[3].Subject, &approved); err != nil {
		t.Fatal(err)
	}
	if approved.JoinRequest == nil || approved.JoinRequest.Status != guildhall.Approved || approved.JoinRequest.AccountID != joiner.ID ||
		approved.Group == nil || approved.Group.ID != g.ID || got[3].Actor != "Olga Owner" || !got[3].Audited {
		t.Errorf("approval event %s by %q: want the approved request of Jo in Hiking Club, by Olga, audited", got[3].Subject, got[3].Actor)
	}

	q := f.queued()
	wantQueued := map[string][]string{
		"https://all.example/":    want,
		"https://joins.example/":  {"join_request.submitted", "join_request.approved"},
		"https://hiking.example/": {"join_request.submitted", "join_request.approved", "member.left"},
	}
	for url, w := range wantQueued {
		if !slices.Equal(q[url], w) {
			t.Errorf("queued for %s: %v, want %v", url, q[url], w)
		}
	}
	if len(q["https://chess.example/"]) != 0 {
		t.Errorf("the chess club's endpoint got %v of another group", q["https://chess.example/"])
	}
}

// A privacy change that decides pending requests in bulk raises an event
// per request and the group.updated naming the privacy; a change refused
// whole leaves no event and queues nothing.
func TestPrivacyChangeEventsInBulk(t *testing.T) {
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	g := f.group("Hiking Club", guildhall.Private, guildhall.DefaultGroupSettings(), admin)
	f.webhook(admin, "https://all.example/", "", "*")
	for _, n := range []string{"Ann", "Bob", "Cy"} {
		f.pending(g, f.person(n), f.db.Now())
	}

	public := guildhall.Public
	wrong := 2
	_, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &public, ExpectDecided: &wrong})
	if !errors.Is(err, guildhall.ErrFailedPrecondition) {
		t.Fatalf("update with a stale count: %v, want refused", err)
	}
	if evs := f.events(); len(evs) != 0 || len(f.queued()) != 0 {
		t.Fatalf("a refused change left events %v and deliveries %v", types(evs), f.queued())
	}

	three := 3
	if _, err := f.s.Groups.UpdateGroup(f.ctx, admin, g.ID, guildhall.GroupUpdate{Privacy: &public, ExpectDecided: &three}); err != nil {
		t.Fatal(err)
	}
	f.workFanOuts()
	got := f.events()
	want := []string{"group.updated", "join_request.approved", "join_request.approved", "join_request.approved"}
	if !slices.Equal(types(got), want) {
		t.Fatalf("events %v, want %v", types(got), want)
	}
	var updated struct{ Changes map[string]guildhall.Change }
	if err := json.Unmarshal(got[0].Subject, &updated); err != nil {
		t.Fatal(err)
	}
	if c := updated.Changes["privacy"]; c.From != "PRIVATE" || c.To != "PUBLIC" {
		t.Errorf("group.updated changes %v, want privacy PRIVATE → PUBLIC", updated.Changes)
	}
	if n := len(f.queued()["https://all.example/"]); n != 4 {
		t.Errorf("%d deliveries queued, want 4", n)
	}
}

// Group admins manage their group's endpoints only; site endpoints are for
// site admins; others are not told an endpoint exists.
func TestWebhookRules(t *testing.T) {
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	owner := f.person("Olga Owner")
	member := f.person("Mo Member")
	g := f.group("Hiking Club", guildhall.Public, guildhall.DefaultGroupSettings(), owner)
	f.member(g, member, guildhall.RoleMember)
	site := f.webhook(admin, "https://site.example/", "", "*")
	own := f.webhook(owner, "https://hiking.example/", g.ID, guildhall.EventMemberAdded)

	for _, tt := range []struct {
		name  string
		actor guildhall.Actor
		group string
		want  error
	}{
		{"member adds to the site", owner, "", guildhall.ErrForbidden},
		{"member adds to a group they do not admin", member, g.ID, guildhall.ErrForbidden},
		{"site admin adds to any group", admin, g.ID, nil},
	} {
		_, _, err := f.s.Webhooks.CreateWebhook(f.ctx, tt.actor, guildhall.NewWebhook{URL: "https://x.example/", EventTypes: []string{"*"}, GroupID: tt.group})
		if !errors.Is(err, tt.want) { // errors.Is(nil, nil) holds
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Who may see what an endpoint is for is refused with the reason; a
	// secret group's endpoint is not told to who may not see the group.
	if _, err := f.s.Webhooks.Webhook(f.ctx, owner, site.ID); !errors.Is(err, guildhall.ErrForbidden) {
		t.Errorf("a group admin reads the site's endpoint: %v, want forbidden", err)
	}
	if _, err := f.s.Webhooks.DeleteWebhook(f.ctx, member, own.ID); !errors.Is(err, guildhall.ErrForbidden) {
		t.Errorf("a member deletes the group's endpoint: %v, want forbidden", err)
	}
	quiet := f.group("Quiet Room", guildhall.Secret, guildhall.DefaultGroupSettings(), admin)
	hidden := f.webhook(admin, "https://quiet.example/", quiet.ID, "*")
	if _, err := f.s.Webhooks.Deliveries(f.ctx, member, hidden.ID, 5, 0); !errors.Is(err, guildhall.ErrNotFound) {
		t.Errorf("a stranger reads a secret group's endpoint: %v, want not found", err)
	}
	list, err := f.s.Webhooks.ListWebhooks(f.ctx, owner, guildhall.WebhookScope{All: true})
	if err != nil || len(list) != 2 || list[0].ID != own.ID || *list[1].GroupID != g.ID {
		t.Errorf("the owner lists %v (%v), want the group's two endpoints only", list, err)
	}
	_, _, err = f.s.Webhooks.CreateWebhook(f.ctx, admin, guildhall.NewWebhook{URL: "ftp://x", EventTypes: []string{"group.exploded"}})
	var ve *guildhall.ValidationError
	if !errors.As(err, &ve) || ve.For("url") == "" || ve.For("eventTypes") == "" {
		t.Errorf("bad URL and type: %v, want both fields named", err)
	}
}

// Redeliver replaces the event's retry chain to that endpoint: the pending
// job is cancelled in the same transaction, so the log never shows an
// attempt twice.
func TestRedeliverReplacesThePendingChain(t *testing.T) {
	f := newMembershipFixture(t)
	f.s.Webhooks.SetGuard(&webhooks.Guard{AllowPrivate: true})
	admin := f.person("Ada Admin", siteAdminAccount)
	hook := f.webhook(admin, "https://site.example/", "", "*")
	if err := f.s.Webhooks.SendTestEvent(f.ctx, admin, hook.ID); err != nil {
		t.Fatal(err)
	}
	var eventID string
	if err := f.db.GetContext(f.ctx, &eventID, `SELECT args->>'eventId' FROM river_job WHERE kind = 'webhook_delivery'`); err != nil {
		t.Fatal(err)
	}
	// The first attempt failed; its job waits to retry.
	if _, err := f.s.Webhooks.RecordDelivery(f.ctx, &guildhall.Delivery{WebhookID: hook.ID, EventID: eventID, At: time.Now(), Error: "refused"}); err != nil {
		t.Fatal(err)
	}
	log, err := f.s.Webhooks.Deliveries(f.ctx, admin, hook.ID, 5, 0)
	if err != nil || len(log.Items) != 1 {
		t.Fatalf("log = %v, %v", log, err)
	}
	for range 2 {
		if err := f.s.Webhooks.Redeliver(f.ctx, admin, hook.ID, log.Items[0].ID); err != nil {
			t.Fatal(err)
		}
	}
	pending := f.count(`SELECT count(*) FROM river_job WHERE kind = 'webhook_delivery' AND finalized_at IS NULL
		AND args->>'eventId' = $1 AND args->>'webhookId' = $2`, eventID, hook.ID)
	cancelled := f.count(`SELECT count(*) FROM river_job WHERE kind = 'webhook_delivery' AND state = 'cancelled'`)
	if pending != 1 || cancelled != 2 {
		t.Errorf("after two redeliveries %d chains are pending and %d cancelled, want 1 and 2", pending, cancelled)
	}
}
