package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// onPrivacyChange runs inside UpdateGroup's transaction, with the group row
// locked, after the privacy moved from before.Privacy to after.Privacy: it
// does to the pending join requests what
// guildhall.PendingRequestsOnPrivacyChange says (approving adds each
// requester). after.MembersCount is updated to the members the change added.
// The audit entry, event and notification of each request it ends are
// written asynchronously, by a job queued in this transaction
// (EndedRequestsFanOut), a moment after the change commits.
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
	// A group turning secret leaves its requesters' sight: every request
	// to it keeps the name they knew. The requests still pending are named
	// by the statement that ends them, so each row is written once.
	remember := ""
	if after.Privacy == guildhall.Secret && before.Privacy != guildhall.Secret {
		remember = before.Name
		if err := rememberGroupName(ctx, tx, before.ID, remember); err != nil {
			return err
		}
	}
	// The change writes the new state: the requests ended, the members
	// added, the counts. Each request's audit entry, event and
	// notification follow a moment later, written by the job it queues
	// (EndedRequestsFanOut): 10,000 of each do not fit in the change.
	cause := "privacy changed to " + after.Privacy.Label()
	var decided int64
	var err error
	switch status := guildhall.PendingRequestsOnPrivacyChange(before.Privacy, after.Privacy); status {
	case guildhall.Approved:
		decided, err = endPendingJoinRequests(ctx, db, tx, actor, after, endRequests{Status: status,
			Action: guildhall.ActionJoinRequestApproved, Cause: cause, Remember: remember, KnownAs: before.Name, Later: true})
		if err == nil {
			err = syncMembersCount(ctx, tx, after)
		}
	case guildhall.Rejected:
		decided, err = endPendingJoinRequests(ctx, db, tx, actor, after, endRequests{Status: status,
			Action: guildhall.ActionJoinRequestRejected, Cause: cause, Reason: reasonTurnedSecret, Remember: remember,
			KnownAs: before.Name, Later: true})
	default:
		if remember != "" { // requests pending in a group that turns secret from public
			err = rememberPendingGroupName(ctx, tx, before.ID, remember)
		}
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
// still sees the request, Rejected, and why). Unlike a privacy change, it
// writes each request's audit entry, event and notification in the same
// transaction.
func onGroupDeleted(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group) error {
	remember := ""
	if g.Privacy != guildhall.Secret { // a secret group's requesters knew it by an older name
		remember = g.Name
		if err := rememberGroupName(ctx, tx, g.ID, remember); err != nil {
			return err
		}
	}
	_, err := endPendingJoinRequests(ctx, db, tx, actor, g, endRequests{Status: guildhall.Rejected,
		Action: guildhall.ActionJoinRequestRejected, Cause: "group deleted", Reason: reasonDeleted, Remember: remember, KnownAs: g.Name})
	return err
}

// rememberGroupName keeps name, the group's name as its requesters last
// saw it, on every decided join request to group groupID: the group is
// leaving their sight (turning secret, deleted), and /me/requests goes on
// listing their requests under that name. The pending ones are named by
// endPendingJoinRequests (or rememberPendingGroupName) instead, so that
// none of them is written twice in the change's transaction (a row the
// transaction wrote has its foreign keys checked again on every rewrite).
func rememberGroupName(ctx context.Context, tx *sqlx.Tx, groupID, name string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE join_requests SET known_group_name = $2
		WHERE group_id = $1 AND status <> 'PENDING' AND known_group_name IS DISTINCT FROM $2`, groupID, name)
	if err != nil {
		return fmt.Errorf("remember group name: %w", err)
	}
	return nil
}

// rememberPendingGroupName is rememberGroupName for the requests that stay
// pending (a public group, whose requests are never pending, turning
// secret: none in practice, but the rule does not depend on it).
func rememberPendingGroupName(ctx context.Context, tx *sqlx.Tx, groupID, name string) error {
	_, err := tx.ExecContext(ctx, `
		UPDATE join_requests SET known_group_name = $2 WHERE group_id = $1 AND status = 'PENDING'`, groupID, name)
	if err != nil {
		return fmt.Errorf("remember group name: %w", err)
	}
	return nil
}
