package postgres

import (
	"errors"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
)

// TestBulkDecisionItemsKeepTheirOwnOutcome decides a batch in which every
// kind of item comes at once: each says what became of it, as if decided
// alone in the order given, and only the pending ones change.
func TestBulkDecisionItemsKeepTheirOwnOutcome(t *testing.T) {
	f := newMembershipFixture(t)
	ada := f.person("Ada Admin")
	g := f.group("Book Club", guildhall.Private, guildhall.GroupSettings{}, ada)
	bo, cy, di, ed := f.person("Bo"), f.person("Cy"), f.person("Di"), f.person("Ed")
	f.pending(g, bo, epoch)
	f.pending(g, cy, epoch)
	f.pending(g, di, epoch)
	f.exec(`UPDATE join_requests SET status = 'REJECTED' WHERE account_id = $1`, di.ID)
	f.pending(g, ed, epoch)
	f.member(g, ed, guildhall.RoleMember) // a member already, with a request still pending

	ids := []string{bo.ID, strings.ToUpper(cy.ID), bo.ID, di.ID, ed.ID, "00000000-0000-0000-0000-000000000000", "not an id"}
	res, err := f.ms.ApproveJoinRequests(f.ctx, ada, g.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind   error
		status guildhall.Status
	}{
		{nil, guildhall.Approved},                             // Bo
		{nil, guildhall.Approved},                             // Cy, id in capitals
		{guildhall.ErrFailedPrecondition, guildhall.Approved}, // Bo again: approved by the first mention
		{guildhall.ErrFailedPrecondition, guildhall.Rejected}, // Di, decided before
		{guildhall.ErrConflict, guildhall.Pending},            // Ed, a member already
		{guildhall.ErrNotFound, ""},
		{guildhall.ErrNotFound, ""},
	}
	if len(res) != len(want) {
		t.Fatalf("%d results for %d items", len(res), len(want))
	}
	for i, w := range want {
		r := res[i]
		if r.ID != ids[i] {
			t.Errorf("item %d is about %q, want %q", i, r.ID, ids[i])
		}
		if (w.kind == nil) != (r.Err == nil) || w.kind != nil && !errors.Is(r.Err, w.kind) {
			t.Errorf("item %d (%s): error %v, want %v", i, ids[i], r.Err, w.kind)
		}
		if w.status != "" && (r.Item == nil || r.Item.Status != w.status) {
			t.Errorf("item %d (%s): request %+v, want status %s", i, ids[i], r.Item, w.status)
		}
	}
	if n := f.count(`SELECT count(*) FROM group_members WHERE group_id = $1`, g.ID); n != 4 {
		t.Errorf("%d members after approving Bo and Cy (Ada and Ed were members); want 4", n)
	}
	if n := f.reload(g).MembersCount; n != 4 {
		t.Errorf("members count %d; want 4", n)
	}
	if n := f.count(`SELECT count(*) FROM audit_log WHERE action = $1`, guildhall.ActionJoinRequestApproved); n != 2 {
		t.Errorf("%d approvals audited; want 2", n)
	}
	if n := f.count(`SELECT count(*) FROM join_requests WHERE account_id = $1 AND status = 'PENDING'`, ed.ID); n != 1 {
		t.Errorf("Ed's request was decided; it should wait")
	}
}
