package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// onPrivacyChange runs inside UpdateGroup's transaction, with the group row
// locked, after the privacy moved from before.Privacy to after.Privacy: it
// does to the pending join requests what
// guildhall.PendingRequestsOnPrivacyChange says (approving adds each
// requester). after.MembersCount is updated to the members the change added.
//
// A join that arrived before the change waited for nothing and is pending
// here; one that arrives after waits for the group lock and then sees the
// new privacy. So no request is left pending in a group that no longer
// takes requests.
//
// expect, when not nil, is how many requests the caller confirmed the
// change decides; deciding another number is refused (the transaction
// then rolls back whole).
func onPrivacyChange(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, before, after *guildhall.Group, expect *int) error {
	var decided int64
	var err error
	switch status := guildhall.PendingRequestsOnPrivacyChange(before.Privacy, after.Privacy); status {
	case guildhall.Approved:
		decided, err = endPendingJoinRequests(ctx, tx, actor, after, status,
			guildhall.ActionJoinRequestApproved, "privacy changed to "+after.Privacy.Label(), "")
		if err == nil {
			err = syncMembersCount(ctx, tx, after)
		}
		if err == nil && decided > 0 {
			err = db.notifyEndedJoinRequests(ctx, tx, before, status, "")
		}
	case guildhall.Rejected:
		decided, err = endPendingJoinRequests(ctx, tx, actor, after, status,
			guildhall.ActionJoinRequestRejected, "privacy changed to "+after.Privacy.Label(), reasonTurnedSecret)
		if err == nil && decided > 0 {
			err = db.notifyEndedJoinRequests(ctx, tx, before, status, reasonTurnedSecret)
		}
	}
	if err == nil && after.Privacy == guildhall.Secret && before.Privacy != guildhall.Secret {
		err = rememberGroupName(ctx, tx, before)
	}
	if err != nil {
		return err
	}
	return guildhall.ConfirmedDecisions(expect, int(decided))
}

// PreviewPrivacyChange says what changing the group's privacy to "to"
// would do to its pending join requests, for the confirmation page of
// those who may change it (guildhall.CanManageGroup).
func (s *MembershipService) PreviewPrivacyChange(ctx context.Context, actor guildhall.Actor, groupID string, to guildhall.Privacy) (*guildhall.PrivacyPreview, error) {
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	if !guildhall.CanManageGroup(actor, g, role) {
		return nil, guildhall.Forbidden("Only the admins of %s can change its privacy.", g.Name)
	}
	if err := guildhall.CheckPrivacy(to); err != nil {
		return nil, err
	}
	var n int
	err = s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'PENDING'`, g.ID)
	if err != nil {
		return nil, fmt.Errorf("count pending requests: %w", err)
	}
	p := guildhall.EffectOfPrivacyChange(g.Privacy, to, n)
	return &p, nil
}

// Reasons of the join requests a group's change ends, which their
// requesters read on /me/requests.
const (
	reasonTurnedSecret = "The group is now secret and takes no requests."
	reasonDeleted      = "The group was deleted."
)

// onGroupDeleted runs inside DeleteGroup's transaction: it rejects the
// group's pending join requests, saying why (the UI contract: the requester
// still sees the request, Rejected, and why).
func onGroupDeleted(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group) error {
	if g.Privacy != guildhall.Secret { // a secret group's requesters knew it by an older name
		if err := rememberGroupName(ctx, tx, g); err != nil {
			return err
		}
	}
	n, err := endPendingJoinRequests(ctx, tx, actor, g, guildhall.Rejected,
		guildhall.ActionJoinRequestRejected, "group deleted", reasonDeleted)
	if err != nil || n == 0 {
		return err
	}
	return db.notifyEndedJoinRequests(ctx, tx, g, guildhall.Rejected, reasonDeleted)
}

// rememberGroupName keeps g's name, as its requesters last saw it, on every
// join request to it: g is leaving their sight (turning secret, deleted),
// and /me/requests goes on listing their requests under that name.
func rememberGroupName(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group) error {
	_, err := tx.ExecContext(ctx, `UPDATE join_requests SET known_group_name = $2 WHERE group_id = $1`, g.ID, g.Name)
	if err != nil {
		return fmt.Errorf("remember group name: %w", err)
	}
	return nil
}

// endPendingJoinRequests moves every pending join request of g to status in
// one statement: the requests, the members an approval adds and one audit
// row per request, set-based rather than a query per request; then the
// requests' events, also in one statement. It returns how many requests it
// ended. The caller holds the group lock and brings members_count up to
// date.
func endPendingJoinRequests(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, status guildhall.Status, action, cause, reason string) (int64, error) {
	var audited []struct {
		AuditID   int64  `db:"id"`
		RequestID string `db:"target_id"`
	}
	err := tx.SelectContext(ctx, &audited, `
		WITH ended AS (
			UPDATE join_requests
			SET status = $2::text, decided_at = now(), decided_by = NULLIF($3, '')::uuid, rejection_reason = $9
			WHERE group_id = $1 AND status = 'PENDING'
			RETURNING id, account_id
		), added AS (
			INSERT INTO group_members (group_id, account_id, role)
			SELECT $1, account_id, 'MEMBER' FROM ended WHERE $2::text = 'APPROVED'
			ON CONFLICT (group_id, account_id) DO NOTHING
		)
		INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, target_name, before, after)
		SELECT NULLIF($3, '')::uuid, $4, $5, $6, e.id::text, $7,
			jsonb_build_object('status', 'PENDING'),
			jsonb_build_object('status', $2::text, 'subject', a.display_name, 'cause', $8::text)
		FROM ended e JOIN accounts a ON a.id = e.account_id
		RETURNING id, target_id`,
		g.ID, status, actor.ID, actorName(actor), action, guildhall.TargetJoinRequest, g.Name, cause, reason)
	if err != nil {
		return 0, fmt.Errorf("end pending join requests: %w", err)
	}
	if len(audited) == 0 {
		return 0, nil
	}
	ids := make([]string, len(audited))
	auditOf := make(map[string]int64, len(audited))
	for i, a := range audited {
		ids[i], auditOf[a.RequestID] = a.RequestID, a.AuditID
	}
	var rows []joinRequestRow
	err = tx.SelectContext(ctx, &rows, `SELECT `+joinRequestColumns+` FROM join_requests r`+joinRequestFrom+`
		WHERE r.id = ANY ($1) ORDER BY r.created_at, r.id`, pq.Array(ids))
	if err != nil {
		return 0, fmt.Errorf("read ended join requests: %w", err)
	}
	var evs []newEvent
	for i := range rows {
		r, err := rows[i].request()
		if err != nil {
			return 0, err
		}
		evs = append(evs, eventsOf(guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: action,
			Subject: &guildhall.EventSubject{JoinRequest: r, Group: g},
		}, auditOf[r.ID])...)
	}
	return int64(len(audited)), recordEvents(ctx, tx, evs)
}
