package postgres

import (
	"slices"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// clock lets a test move the services' time forward instead of waiting.
type clock struct{ now time.Time }

func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// testClock makes the fixture's services read c's time.
func (f *membershipFixture) testClock() *clock {
	c := &clock{now: time.Now()}
	f.db.Now = func() time.Time { return c.now }
	return c
}

func days(n int) *int { return &n }

func (f *membershipFixture) lifecycle(admin guildhall.Actor, l guildhall.RequestLifecycle) {
	f.t.Helper()
	var u guildhall.SettingsUpdate
	u.Lifecycle(l)
	_, err := f.s.Settings.UpdateSettings(f.ctx, admin, u)
	expectKind(f.t, err, nil)
}

func (f *membershipFixture) run() guildhall.LifecycleRun {
	f.t.Helper()
	run, err := f.s.Lifecycle.Run(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return run
}

func TestLifecycleIsOffByDefault(t *testing.T) {
	f := newMembershipFixture(t)
	c := f.testClock()
	owner := f.person("Olga Owner")
	g := f.group("Hiking Club", guildhall.Private, noSettings, owner)
	ann := f.person("Ann")
	f.pending(g, ann, c.now.Add(-400*24*time.Hour))
	if run := f.run(); run != (guildhall.LifecycleRun{}) {
		t.Errorf("with every timer off, a pass did %+v", run)
	}
	if got := f.statuses(g, ann); !slices.Equal(got, []guildhall.Status{guildhall.Pending}) {
		t.Errorf("statuses = %v", got)
	}
}

func TestExpiredRequestsAreRejectedNotifiedAndAudited(t *testing.T) {
	f := newMembershipFixture(t)
	c := f.testClock()
	admin := f.person("Sam Siteadmin", siteAdminAccount)
	owner := f.person("Olga Owner")
	g := f.group("Hiking Club", guildhall.Private, noSettings, owner)
	ann, bob, cy := f.person("Ann"), f.person("Bob"), f.person("Cy")
	f.pending(g, ann, c.now.Add(-5*24*time.Hour))
	f.pending(g, bob, c.now.Add(-1*time.Hour))
	created, err := f.s.Groups.CreateGroup(f.ctx, cy, guildhall.GroupInput{Name: "Choir", Privacy: guildhall.Public}, "")
	expectKind(t, err, nil)
	f.lifecycle(admin, guildhall.RequestLifecycle{ExpireAfterDays: days(3)})

	// The API's objects say when they will expire.
	page, err := f.ms.ListJoinRequests(f.ctx, owner, g.ID, guildhall.RequestQuery{Status: guildhall.Pending, OldestFirst: true})
	expectKind(t, err, nil)
	if e := page.Items[0].ExpiresAt; e == nil || !e.Equal(page.Items[0].CreatedAt.Add(72*time.Hour)) {
		t.Errorf("expiresAt = %v, want created + 3 days", e)
	}

	if run := f.run(); run.Expired != 1 {
		t.Fatalf("first pass expired %d, want Ann's request only", run.Expired)
	}
	f.wantMessages(ann, "*Your request to join Hiking Club was rejected: Expired after 3 days without a decision")
	if got := f.statuses(g, bob); !slices.Equal(got, []guildhall.Status{guildhall.Pending}) {
		t.Errorf("Bob's fresh request: %v", got)
	}

	c.advance(3*24*time.Hour + time.Minute)
	if run := f.run(); run.Expired != 2 {
		t.Fatalf("three days later a pass expired %d, want Bob's and Cy's", run.Expired)
	}
	if run := f.run(); run.Expired != 0 {
		t.Errorf("a second pass expired %d again", run.Expired)
	}
	f.wantMessages(cy, "*Your request to create Choir was rejected: Expired after 3 days without a decision")
	cr, err := f.s.CreateRequests.CreateRequestByID(f.ctx, cy, created.Request.ID)
	expectKind(t, err, nil)
	if cr.Status != guildhall.Rejected || cr.ExpiresAt != nil || cr.DecidedBy != nil {
		t.Errorf("Cy's create request = %+v", cr)
	}
	want := []string{
		"Guildhall rejected Ann's request to join Hiking Club (reason: Expired after 3 days without a decision) (expired)",
		"Guildhall rejected Bob's request to join Hiking Club (reason: Expired after 3 days without a decision) (expired)",
		"Guildhall rejected the creation of Choir (reason: Expired after 3 days without a decision)",
	}
	if got := f.sentences(guildhall.ActionJoinRequestRejected, guildhall.ActionCreateRequestRejected); !slices.Equal(got, want) {
		t.Errorf("audit = %q\nwant %q", got, want)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE actor_id IS NULL AND action LIKE '%rejected'`); n != 3 {
		t.Errorf("%d expiries recorded with the system as actor, want 3", n)
	}
}

func TestRemindersComeOncePerRequestBatchedPerDecider(t *testing.T) {
	f := newMembershipFixture(t)
	c := f.testClock()
	admin := f.person("Sam Siteadmin", siteAdminAccount)
	owner := f.person("Olga Owner")
	hiking := f.group("Hiking Club", guildhall.Private, noSettings, owner)
	chess := f.group("Chess Club", guildhall.Private, noSettings, owner)
	f.pending(hiking, f.person("Ann"), c.now.Add(-3*24*time.Hour))
	f.pending(hiking, f.person("Bob"), c.now.Add(-3*24*time.Hour))
	f.pending(chess, f.person("Cy"), c.now.Add(-3*24*time.Hour))
	f.pending(chess, f.person("Dee"), c.now)
	f.lifecycle(admin, guildhall.RequestLifecycle{RemindAfterDays: days(2)})

	if run := f.run(); run.Reminded != 3 {
		t.Fatalf("reminded about %d, want 3", run.Reminded)
	}
	f.wantMessages(owner, "*3 requests have waited a while for your decision")
	if run := f.run(); run.Reminded != 0 {
		t.Errorf("a second pass reminded about %d again", run.Reminded)
	}
	c.advance(2*24*time.Hour + time.Minute)
	if run := f.run(); run.Reminded != 1 {
		t.Fatalf("reminded about %d, want Dee's", run.Reminded)
	}
	// Unread, the reminder grows instead of a second one arriving.
	f.wantMessages(owner, "*4 requests have waited a while for your decision")
	f.wantUnread(owner, 1)
	f.wantMessages(admin)
}

func TestEscalatedRequestsAreMarkedUntilDecided(t *testing.T) {
	f := newMembershipFixture(t)
	c := f.testClock()
	admin := f.person("Sam Siteadmin", siteAdminAccount)
	owner := f.person("Olga Owner")
	g := f.group("Hiking Club", guildhall.Private, noSettings, owner)
	ann, bob := f.person("Ann"), f.person("Bob")
	f.pending(g, ann, c.now.Add(-8*24*time.Hour))
	f.pending(g, bob, c.now.Add(-1*24*time.Hour))
	f.lifecycle(admin, guildhall.RequestLifecycle{EscalateAfterDays: days(7)})

	if run := f.run(); run.Escalated != 1 {
		t.Fatalf("escalated %d, want 1", run.Escalated)
	}
	f.wantMessages(admin, "*1 request has waited too long and now waits for site admins too")
	f.wantMessages(owner)
	inbox, err := f.ms.Inbox(f.ctx, admin, 20, 0)
	expectKind(t, err, nil)
	if len(inbox.Items) != 2 || inbox.Items[0].DisplayName != "Ann" || inbox.Items[0].EscalatedAt == nil || inbox.Items[1].EscalatedAt != nil {
		t.Fatalf("site admin's inbox = %+v", inbox.Items)
	}
	_, err = f.ms.ApproveJoinRequests(f.ctx, admin, g.ID, []string{ann.ID})
	expectKind(t, err, nil)
	inbox, err = f.ms.Inbox(f.ctx, admin, 20, 0)
	expectKind(t, err, nil)
	if len(inbox.Items) != 1 || inbox.Items[0].DisplayName != "Bob" {
		t.Errorf("after the decision the inbox = %+v", inbox.Items)
	}
	c.advance(7 * 24 * time.Hour)
	if run := f.run(); run.Escalated != 1 {
		t.Fatalf("escalated %d, want Bob's", run.Escalated)
	}
	f.wantMessages(admin, "*2 requests have waited too long and now waits for site admins too")
}

func TestLifecycleSettingsAreCheckedAndAudited(t *testing.T) {
	f := newMembershipFixture(t)
	admin := f.person("Sam Siteadmin", siteAdminAccount)
	member := f.person("Mia Member")
	_, err := f.s.Settings.UpdateSettings(f.ctx, member, guildhall.SettingsUpdate{ExpireAfterDays: days(3)})
	expectKind(t, err, guildhall.ErrForbidden)
	_, err = f.s.Settings.UpdateSettings(f.ctx, admin, guildhall.SettingsUpdate{ExpireAfterDays: days(-1), EscalateAfterDays: days(4000)})
	expectField(t, err, "expireAfterDays")
	expectField(t, err, "escalateAfterDays")
	f.lifecycle(admin, guildhall.RequestLifecycle{ExpireAfterDays: days(30), RemindAfterDays: days(3)})
	f.lifecycle(admin, guildhall.RequestLifecycle{ExpireAfterDays: days(30), RemindAfterDays: days(3)})
	st, err := f.s.Settings.SiteSettings(f.ctx)
	expectKind(t, err, nil)
	if deref(st.ExpireAfterDays) != 30 || deref(st.RemindAfterDays) != 3 || st.EscalateAfterDays != nil {
		t.Errorf("settings = %+v", st.RequestLifecycle)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = $1`, guildhall.ActionLifecycleChanged); n != 1 {
		t.Errorf("%d lifecycle changes recorded, want 1 (the second changed nothing)", n)
	}
	// Only the fields given change; 0 turns one off.
	_, err = f.s.Settings.UpdateSettings(f.ctx, admin, guildhall.SettingsUpdate{RemindAfterDays: days(0)})
	expectKind(t, err, nil)
	st, err = f.s.Settings.SiteSettings(f.ctx)
	expectKind(t, err, nil)
	if deref(st.ExpireAfterDays) != 30 || st.RemindAfterDays != nil {
		t.Errorf("settings = %+v", st.RequestLifecycle)
	}
}
