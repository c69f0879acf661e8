package postgres

import (
	"testing"

	"guildhall/internal/guildhall"
)

// The actors, deciders and groups the logs name lose no row and leave no
// dangling id when deleted by hand (migration 00070 replaced the foreign
// keys that did this with triggers); an audit entry takes its events.
func TestDeletedParentsLeaveNoDanglingIDs(t *testing.T) {
	f := newMembershipFixture(t)
	owner, decider, rita := f.person("Olga Owner"), f.person("Dan Decider"), f.person("Rita Requester")
	g := f.group("Chess Club", guildhall.Private, guildhall.DefaultGroupSettings(), owner, decider)
	f.pending(g, rita, epoch)
	res, err := f.ms.ApproveJoinRequests(f.ctx, decider, g.ID, []string{rita.ID})
	if err != nil || res[0].Err != nil {
		t.Fatalf("approve: %v %v", err, res)
	}
	named := map[string]string{
		"decided_by": `SELECT count(*) FROM join_requests WHERE decided_by = $1`,
		"audit":      `SELECT count(*) FROM audit_log WHERE actor_id = $1`,
		"events":     `SELECT count(*) FROM events WHERE actor_id = $1`,
	}
	for what, q := range named {
		if f.count(q, decider.ID) == 0 {
			t.Fatalf("the decision names no decider in %s", what)
		}
	}
	f.exec(`DELETE FROM accounts WHERE id = $1`, decider.ID)
	for what, q := range named {
		if c := f.count(q, decider.ID); c != 0 {
			t.Errorf("%d rows of %s name the deleted account", c, what)
		}
	}
	if c := f.count(`SELECT count(*) FROM audit_log WHERE action = $1 AND actor_name = 'Dan Decider' AND actor_id IS NULL`,
		guildhall.ActionJoinRequestApproved); c != 1 {
		t.Errorf("%d audit entries keep the deleted decider's name, want 1", c)
	}

	if f.count(`SELECT count(*) FROM notifications WHERE group_id = $1`, g.ID) == 0 {
		t.Fatal("Rita was not notified")
	}
	f.exec(`DELETE FROM groups WHERE id = $1`, g.ID)
	if c := f.count(`SELECT count(*) FROM notifications WHERE group_id = $1`, g.ID); c != 0 {
		t.Errorf("%d notifications name the deleted group", c)
	}
	if c := f.count(`SELECT count(*) FROM notifications WHERE account_id = $1 AND group_name = 'Chess Club'`, rita.ID); c != 1 {
		t.Errorf("Rita has %d notifications naming Chess Club, want hers kept", c)
	}

	before := f.count(`SELECT count(*) FROM events WHERE audit_id IS NOT NULL`)
	f.exec(`DELETE FROM audit_log WHERE action = $1`, guildhall.ActionJoinRequestApproved)
	if after := f.count(`SELECT count(*) FROM events WHERE audit_id IS NOT NULL`); after != before-1 {
		t.Errorf("deleting an audit entry left %d of %d events, want its one gone", after, before)
	}
	if c := f.count(`SELECT count(*) FROM events e WHERE audit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.id = e.audit_id)`); c != 0 {
		t.Errorf("%d events name a deleted audit entry", c)
	}
}

// A member row and a notification go with their account or group when
// deleted by hand, as their foreign keys' ON DELETE CASCADE did before
// migration 00135 replaced them with triggers.
func TestDeletedParentsTakeTheirMembersAndNotifications(t *testing.T) {
	f := newMembershipFixture(t)
	owner, rita, sam := f.person("Olga Owner"), f.person("Rita Requester"), f.person("Sam Second")
	g := f.group("Chess Club", guildhall.Private, guildhall.DefaultGroupSettings(), owner)
	other := f.group("Go Club", guildhall.Private, guildhall.DefaultGroupSettings(), owner)
	for _, a := range []guildhall.Actor{rita, sam} {
		for _, in := range []*guildhall.Group{g, other} {
			f.pending(in, a, epoch)
			res, err := f.ms.ApproveJoinRequests(f.ctx, owner, in.ID, []string{a.ID})
			if err != nil || res[0].Err != nil {
				t.Fatalf("approve: %v %v", err, res)
			}
		}
	}
	if c := f.count(`SELECT count(*) FROM notifications WHERE account_id = $1`, rita.ID); c != 2 {
		t.Fatalf("Rita has %d notifications, want 2", c)
	}

	f.exec(`DELETE FROM accounts WHERE id = $1`, rita.ID)
	for what, q := range map[string]string{
		"memberships":   `SELECT count(*) FROM group_members WHERE account_id = $1`,
		"notifications": `SELECT count(*) FROM notifications WHERE account_id = $1`,
	} {
		if c := f.count(q, rita.ID); c != 0 {
			t.Errorf("the deleted account keeps %d %s", c, what)
		}
	}
	if c := f.count(`SELECT count(*) FROM group_members WHERE account_id = $1`, sam.ID); c != 2 {
		t.Errorf("Sam has %d memberships left, want 2", c)
	}

	f.exec(`DELETE FROM groups WHERE id = $1`, g.ID)
	if c := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1`, g.ID); c != 0 {
		t.Errorf("the deleted group keeps %d members", c)
	}
	if c := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1`, other.ID); c != 2 {
		t.Errorf("the other group has %d members left, want its owner and Sam", c)
	}
}
