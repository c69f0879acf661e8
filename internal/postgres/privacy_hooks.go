package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// onPrivacyChange runs inside UpdateGroup's transaction, with the group row
// locked, after the privacy moved from before.Privacy to after.Privacy:
// PRIVATE → PUBLIC approves every pending join request and adds its
// requester, PRIVATE → SECRET rejects them; any other change leaves them
// alone. after.MembersCount is updated to the members the change added.
//
// A join that arrived before the change waited for nothing and is pending
// here; one that arrives after waits for the group lock and then sees the
// new privacy. So no request is left pending in a group that no longer
// takes requests.
//
// expect, when not nil, is how many requests the caller confirmed the
// change decides; deciding another number is refused (the transaction
// then rolls back whole).
func onPrivacyChange(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, before, after *guildhall.Group, expect *int) error {
	var decided int64
	var err error
	if before.Privacy == guildhall.Private {
		switch after.Privacy {
		case guildhall.Public:
			decided, err = endPendingJoinRequests(ctx, tx, actor, after, guildhall.Approved,
				guildhall.ActionJoinRequestApproved, "privacy changed to Public")
			if err == nil {
				err = syncMembersCount(ctx, tx, after)
			}
			if err == nil && decided > 0 {
				err = notifyEndedJoinRequests(ctx, tx, before, guildhall.Approved, "")
			}
		case guildhall.Secret:
			decided, err = endPendingJoinRequests(ctx, tx, actor, after, guildhall.Rejected,
				guildhall.ActionJoinRequestRejected, "privacy changed to Secret")
			if err == nil && decided > 0 {
				err = notifyEndedJoinRequests(ctx, tx, before, guildhall.Rejected, "The group is now secret and takes no requests.")
			}
		}
	}
	if err != nil {
		return err
	}
	if expect != nil && int(decided) != *expect {
		return guildhall.FailedPrecondition("This change would now decide %d pending join requests, not the %d you confirmed: nothing was changed; look again.",
			decided, *expect)
	}
	return nil
}

// onGroupDeleted runs inside DeleteGroup's transaction: it cancels the
// group's pending join requests.
func onGroupDeleted(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group) error {
	n, err := endPendingJoinRequests(ctx, tx, actor, g, guildhall.Canceled,
		guildhall.ActionJoinRequestCanceled, "group deleted")
	if err != nil || n == 0 {
		return err
	}
	return notifyEndedJoinRequests(ctx, tx, g, guildhall.Canceled, "The group was deleted.")
}

// endPendingJoinRequests moves every pending join request of g to status in
// one statement: the requests, the members an approval adds and one audit
// row per request, set-based rather than a query per request. It returns
// how many requests it ended. The caller holds the group lock and brings
// members_count up to date.
func endPendingJoinRequests(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, status guildhall.Status, action, cause string) (int64, error) {
	res, err := tx.ExecContext(ctx, `
		WITH ended AS (
			UPDATE join_requests
			SET status = $2::text, decided_at = now(), decided_by = NULLIF($3, '')::uuid
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
		FROM ended e JOIN accounts a ON a.id = e.account_id`,
		g.ID, status, actor.ID, actorName(actor), action, guildhall.TargetJoinRequest, g.Name, cause)
	if err != nil {
		return 0, fmt.Errorf("end pending join requests: %w", err)
	}
	return res.RowsAffected()
}
