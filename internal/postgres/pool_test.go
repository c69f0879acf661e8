package postgres

import (
	"context"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// TestOneConnectionServesEveryAction runs reads and decisions on a pool of
// one connection: an action that held a connection (a transaction) while
// asking the pool for another would wait for itself forever there, and on
// a busy site with DefaultPoolSize connections, every request doing so at
// once would. Each step must finish within its deadline.
func TestOneConnectionServesEveryAction(t *testing.T) {
	f := newMembershipFixture(t)
	admin := f.person("Ada", siteAdminAccount)
	owner := f.person("Olu")
	asker := []guildhall.Actor{f.person("Pia"), f.person("Quin"), f.person("Ravi")}
	club := f.group("Quiet club", guildhall.Private, guildhall.GroupSettings{ShowMemberList: true}, owner)
	open := f.group("Open club", guildhall.Public, guildhall.GroupSettings{ShowMemberList: true}, owner)
	for _, a := range asker {
		f.pending(club, a, time.Time{})
	}
	f.db.SetPoolSize(1)

	step := func(name string, do func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(f.ctx, 10*time.Second)
		defer cancel()
		if err := do(ctx); err != nil {
			t.Fatalf("%s on one connection: %v", name, err)
		}
	}
	ms, gs := f.s.Membership, f.s.Groups
	step("join a public group", func(ctx context.Context) error { _, err := ms.Join(ctx, asker[0], open.ID, nil); return err })
	step("read a group", func(ctx context.Context) error { _, err := gs.GroupByID(ctx, asker[0], club.ID); return err })
	step("search the directory", func(ctx context.Context) error {
		_, err := gs.QueryGroups(ctx, asker[0], guildhall.GroupQuery{Limit: 20})
		return err
	})
	step("read the inbox", func(ctx context.Context) error { _, err := ms.Inbox(ctx, owner, 20, 0); return err })
	step("approve a request", func(ctx context.Context) error {
		_, err := ms.ApproveJoinRequests(ctx, owner, club.ID, []string{asker[0].ID})
		return err
	})
	step("reject a request", func(ctx context.Context) error {
		_, err := ms.RejectJoinRequests(ctx, owner, club.ID, []guildhall.MemberRejection{{AccountID: asker[1].ID, Reason: "full"}})
		return err
	})
	public := guildhall.Public
	step("turn the group public", func(ctx context.Context) error {
		_, err := gs.UpdateGroup(ctx, owner, club.ID, guildhall.GroupUpdate{Privacy: &public})
		return err
	})
	step("create a group", func(ctx context.Context) error {
		_, err := gs.CreateGroup(ctx, admin, guildhall.GroupInput{Name: "Night owls", Privacy: guildhall.Public}, admin.ID)
		return err
	})
	step("read notifications", func(ctx context.Context) error {
		_, err := f.s.Notifications.Notifications(ctx, asker[1], guildhall.NotificationQuery{Limit: 20})
		return err
	})
	step("read the audit log", func(ctx context.Context) error {
		_, err := f.s.Audit.ListAudit(ctx, admin, guildhall.AuditQuery{Limit: 20})
		return err
	})
	if got := f.role(club, asker[2]); got != guildhall.RoleMember {
		t.Errorf("after the group turned public its last requester is %q, want a member", got)
	}
}
