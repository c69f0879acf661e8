package postgres

import (
	"slices"
	"testing"

	"guildhall/internal/guildhall"
)

// messages are a's notifications as people read them, newest first, with
// a "*" before the unread ones.
func (f *membershipFixture) messages(a guildhall.Actor) []string {
	f.t.Helper()
	page, err := f.s.Notifications.Notifications(f.ctx, a, guildhall.NotificationQuery{Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	out := []string{}
	for _, n := range page.Items {
		m := n.Message()
		if n.Unread() {
			m = "*" + m
		}
		out = append(out, m)
	}
	return out
}

// unread is a's navigation count.
func (f *membershipFixture) unread(a guildhall.Actor) int {
	f.t.Helper()
	n, err := f.s.Notifications.UnreadCount(f.ctx, a)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *membershipFixture) wantMessages(a guildhall.Actor, want ...string) {
	f.t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := f.messages(a); !slices.Equal(got, want) {
		f.t.Errorf("%s's notifications = %q, want %q", a.DisplayName, got, want)
	}
}

func (f *membershipFixture) wantUnread(a guildhall.Actor, want int) {
	f.t.Helper()
	if got := f.unread(a); got != want {
		f.t.Errorf("%s's unread count = %d, want %d", a.DisplayName, got, want)
	}
	stored := f.count(`SELECT count(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL`, a.ID)
	if stored != want {
		f.t.Errorf("%s has %d unread notification rows, but the counter says %d", a.DisplayName, stored, want)
	}
}

func TestNewJoinRequestsAreOneNotificationPerGroupAndBatch(t *testing.T) {
	f := newMembershipFixture(t)
	owner := f.person("Olga Owner")
	co := f.person("Carl Coadmin")
	plain := f.person("Mia Member")
	hiking := f.group("Hiking Club", guildhall.Private, noSettings, owner, co)
	f.member(hiking, plain, guildhall.RoleMember)
	chess := f.group("Chess Club", guildhall.Private, noSettings, owner)

	for i := range 12 {
		_, err := f.ms.Join(f.ctx, f.person("Asker "+string(rune('A'+i))), hiking.ID, nil)
		expectKind(t, err, nil)
	}
	_, err := f.ms.Join(f.ctx, f.person("Chess Fan"), chess.ID, nil)
	expectKind(t, err, nil)

	f.wantMessages(owner, "*1 new request to join Chess Club", "*12 new requests to join Hiking Club")
	f.wantUnread(owner, 2)
	f.wantMessages(co, "*12 new requests to join Hiking Club")
	f.wantMessages(plain) // members decide only when the group lets them
	f.wantUnread(plain, 0)

	// Once read, the batch is closed: the next request starts a new one.
	n, err := f.s.Notifications.MarkRead(f.ctx, owner, nil)
	expectKind(t, err, nil)
	if n != 2 {
		t.Errorf("MarkRead marked %d, want 2", n)
	}
	f.wantUnread(owner, 0)
	_, err = f.ms.Join(f.ctx, f.person("Late Larry"), hiking.ID, nil)
	expectKind(t, err, nil)
	f.wantMessages(owner, "*1 new request to join Hiking Club", "1 new request to join Chess Club", "12 new requests to join Hiking Club")
	f.wantUnread(owner, 1)
	f.wantUnread(co, 1) // co never read theirs: still one notification
	// With email off nothing is queued to send.
	if n := f.count(`SELECT count(*) FROM river_job WHERE kind = 'notification_email'`); n != 0 {
		t.Errorf("%d email jobs queued with email off", n)
	}
	if n := f.count(`SELECT count(*) FROM notifications WHERE digest_due`); n != 0 {
		t.Errorf("%d notifications waiting for a digest with email off", n)
	}
}

func TestMembersWhoMayApproveHearOfRequests(t *testing.T) {
	f := newMembershipFixture(t)
	owner := f.person("Olga Owner")
	plain := f.person("Mia Member")
	g := f.group("Open Minds", guildhall.Private, allSettings, owner)
	f.member(g, plain, guildhall.RoleMember)
	_, err := f.ms.Join(f.ctx, f.person("Asker"), g.ID, nil)
	expectKind(t, err, nil)
	f.wantMessages(plain, "*1 new request to join Open Minds")
}

func TestRequestersHearOfEveryDecision(t *testing.T) {
	f := newMembershipFixture(t)
	owner := f.person("Olga Owner")
	ann, bob, cy := f.person("Ann"), f.person("Bob"), f.person("Cy")
	g := f.group("Hiking Club", guildhall.Private, noSettings, owner)
	for _, a := range []guildhall.Actor{ann, bob, cy} {
		_, err := f.ms.Join(f.ctx, a, g.ID, nil)
		expectKind(t, err, nil)
	}
	_, err := f.ms.ApproveJoinRequests(f.ctx, owner, g.ID, []string{ann.ID})
	expectKind(t, err, nil)
	_, err = f.ms.RejectJoinRequests(f.ctx, owner, g.ID, []guildhall.MemberRejection{{AccountID: bob.ID, Reason: "Members only from the valley."}})
	expectKind(t, err, nil)
	f.wantMessages(ann, "*Your request to join Hiking Club was approved")
	f.wantMessages(bob, "*Your request to join Hiking Club was rejected: Members only from the valley.")

	// A privacy change decides Cy's request: Cy hears of it under the
	// name they knew, and the link does not reveal the secret group.
	secret := guildhall.Secret
	_, err = f.s.Groups.UpdateGroup(f.ctx, owner, g.ID, guildhall.GroupUpdate{Privacy: &secret})
	expectKind(t, err, nil)
	f.workFanOuts()
	f.wantMessages(cy, "*Your request to join Hiking Club was rejected: The group is now secret and takes no requests.")
	page, err := f.s.Notifications.Notifications(f.ctx, cy, guildhall.NotificationQuery{})
	expectKind(t, err, nil)
	if link := page.Items[0].Link(); link != "/me/requests" {
		t.Errorf("link = %q, want /me/requests", link)
	}
	if id := page.Items[0].GroupID; id != nil {
		t.Errorf("Cy's notification names the secret group's id %s", *id)
	}
	page, err = f.s.Notifications.Notifications(f.ctx, ann, guildhall.NotificationQuery{})
	expectKind(t, err, nil)
	if link, want := page.Items[0].Link(), "/groups/"+f.reload(g).Slug; link != want {
		t.Errorf("a member's link = %q, want %q", link, want)
	}
	if id := page.Items[0].GroupID; id == nil || *id != g.ID {
		t.Errorf("a member's notification names group %v, want %s", id, g.ID)
	}
}

func TestAddedPeopleAndCreateRequestersAreNotified(t *testing.T) {
	f := newMembershipFixture(t)
	admin := f.person("Sam Siteadmin", siteAdminAccount)
	admin2 := f.person("Sue Siteadmin", siteAdminAccount)
	owner := f.person("Olga Owner")
	newbie := f.person("Nina Newbie")
	g := f.group("Book Club", guildhall.Secret, noSettings, owner)
	_, err := f.ms.AddMembers(f.ctx, owner, g.ID, []string{newbie.ID})
	expectKind(t, err, nil)
	f.wantMessages(newbie, "*You were added to Book Club")
	f.wantMessages(owner)

	var ids []string
	for _, name := range []string{"Garden Club", "Choir"} {
		c, err := f.s.Groups.CreateGroup(f.ctx, newbie, guildhall.GroupInput{Name: name, Privacy: guildhall.Public}, "")
		expectKind(t, err, nil)
		if c.Request == nil {
			t.Fatal("the default policy should ask for approval")
		}
		ids = append(ids, c.Request.ID)
	}
	f.wantMessages(admin, "*2 new requests to create a group")
	f.wantMessages(admin2, "*2 new requests to create a group")
	_, err = f.s.CreateRequests.ApproveCreateRequests(f.ctx, admin, ids[:1])
	expectKind(t, err, nil)
	_, err = f.s.CreateRequests.RejectCreateRequests(f.ctx, admin, []guildhall.Rejection{{ID: ids[1], Reason: "We have one."}})
	expectKind(t, err, nil)
	f.wantMessages(newbie, "*Your request to create Choir was rejected: We have one.",
		"*Your request to create Garden Club was approved", "*You were added to Book Club")
	f.wantUnread(newbie, 3)
}

func TestMarkReadByIDsTouchesOnlyYours(t *testing.T) {
	f := newMembershipFixture(t)
	owner := f.person("Olga Owner")
	other := f.person("Otto Other")
	a := f.group("A Club", guildhall.Private, noSettings, owner)
	b := f.group("B Club", guildhall.Private, noSettings, owner)
	for _, g := range []*guildhall.Group{a, b} {
		_, err := f.ms.Join(f.ctx, f.person("Asker"), g.ID, nil)
		expectKind(t, err, nil)
	}
	page, err := f.s.Notifications.Notifications(f.ctx, owner, guildhall.NotificationQuery{UnreadOnly: true})
	expectKind(t, err, nil)
	if page.Total != 2 {
		t.Fatalf("unread total = %d, want 2", page.Total)
	}
	n, err := f.s.Notifications.MarkRead(f.ctx, other, []string{page.Items[0].ID})
	expectKind(t, err, nil)
	if n != 0 {
		t.Errorf("someone else marked %d of owner's notifications", n)
	}
	n, err = f.s.Notifications.MarkRead(f.ctx, owner, []string{page.Items[0].ID, page.Items[0].ID})
	expectKind(t, err, nil)
	if n != 1 {
		t.Errorf("marked %d, want 1", n)
	}
	f.wantUnread(owner, 1)
	_, err = f.s.Notifications.MarkRead(f.ctx, owner, []string{"nope"})
	expectField(t, err, "ids[0]")
	f.wantUnread(owner, 1)
}
