package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// ListJoinRequests pages a group's join requests, newest first; q.Status
// filters. Those who decide them (guildhall.CanDecideJoinRequests) see them
// all; anyone else who can see the group sees only their own.
func (s *MembershipService) ListJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, q guildhall.RequestQuery) (*guildhall.Page[guildhall.JoinRequest], error) {
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	if actor.ID == "" && !actor.Elevated {
		return nil, guildhall.Unauthenticated("Sign in to see join requests.")
	}
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	const filter = `r.group_id = $1 AND ($2::text IS NULL OR r.status = $2) AND ($3::uuid IS NULL OR r.account_id = $3)`
	var own any // nil: every request
	if !guildhall.CanDecideJoinRequests(actor, g, role) {
		own = actor.ID
	}
	args := []any{g.ID, nullIfEmpty(string(q.Status)), own}
	return s.pageJoinRequests(ctx, filter, requestOrder(q), args, q.Limit, q.Offset)
}

// MyJoinRequests pages the actor's own requests across groups, newest
// first. A request to a group the actor can no longer see (deleted, or
// turned secret) is left out, like the group itself.
func (s *MembershipService) MyJoinRequests(ctx context.Context, actor guildhall.Actor, q guildhall.RequestQuery) (*guildhall.Page[guildhall.JoinRequest], error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to see your requests.")
	}
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	// The visibility test is guildhall.CanSeeGroup in SQL, as in groupVisible.
	const filter = `r.account_id = $1 AND ($2::text IS NULL OR r.status = $2)
		AND g.deleted_at IS NULL
		AND ($3::boolean OR g.privacy <> 'SECRET'
			OR EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1))`
	args := []any{actor.ID, nullIfEmpty(string(q.Status)), actor.IsSiteAdmin()}
	return s.pageJoinRequests(ctx, filter, requestOrder(q), args, q.Limit, q.Offset)
}

// inboxQuery is the FROM and WHERE of the pending requests of every live
// group the actor may decide: guildhall.CanDecideJoinRequests in SQL, so
// the inbox and its count are one query each, not one per group. For a
// site admin that is every pending request; for anyone else the viewer's
// memberships drive the query (group_members by account, then
// join_requests by group), so it costs what the viewer's groups hold, not
// what the whole site holds.
// The count (the navigation's badge, on every page) leaves out the
// requesters' accounts, which only the listing shows.
func inboxQuery(actor guildhall.Actor, listing bool) (from, where string, args []any) {
	from = `join_requests r JOIN groups g ON g.id = r.group_id`
	where = `r.status = 'PENDING' AND g.deleted_at IS NULL`
	if !actor.IsSiteAdmin() {
		from = `group_members m JOIN join_requests r ON r.group_id = m.group_id AND r.status = 'PENDING'
			JOIN groups g ON g.id = r.group_id`
		where = `m.account_id = $1 AND g.deleted_at IS NULL AND (m.role = 'ADMIN' OR g.members_can_approve)`
		args = []any{nullIfEmpty(actor.ID)}
	}
	if listing {
		from += ` JOIN accounts a ON a.id = r.account_id`
	}
	return from, where, args
}

// Inbox pages the pending requests of every group the actor may decide,
// oldest first: the ones waiting longest come first.
func (s *MembershipService) Inbox(ctx context.Context, actor guildhall.Actor, limit, offset int) (*guildhall.Page[guildhall.JoinRequest], error) {
	limit, err := checkPage(limit, offset)
	if err != nil {
		return nil, err
	}
	from, where, args := inboxQuery(actor, true)
	return s.pageJoinRequestsFrom(ctx, from, where, `r.created_at, r.id`, args, limit, offset)
}

// InboxCount counts what Inbox lists.
func (s *MembershipService) InboxCount(ctx context.Context, actor guildhall.Actor) (int, error) {
	from, where, args := inboxQuery(actor, false)
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM `+from+` WHERE `+where, args...); err != nil {
		return 0, fmt.Errorf("count inbox: %w", err)
	}
	return n, nil
}

// pageJoinRequests counts and reads one page of the join requests that
// filter selects, in order; filter and order are constants of the callers,
// never input.
func (s *MembershipService) pageJoinRequests(ctx context.Context, filter, order string, args []any, limit, offset int) (*guildhall.Page[guildhall.JoinRequest], error) {
	return s.pageJoinRequestsFrom(ctx, `join_requests r`+joinRequestFrom, filter, order, args, limit, offset)
}

// pageJoinRequestsFrom is pageJoinRequests over another FROM (constant too).
func (s *MembershipService) pageJoinRequestsFrom(ctx context.Context, from, filter, order string, args []any, limit, offset int) (*guildhall.Page[guildhall.JoinRequest], error) {
	page := &guildhall.Page[guildhall.JoinRequest]{Offset: offset, Limit: limit}
	err := s.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM `+from+` WHERE `+filter, args...)
	if err != nil {
		return nil, fmt.Errorf("count join requests: %w", err)
	}
	n := len(args)
	var rows []joinRequestRow
	err = s.db.SelectContext(ctx, &rows, fmt.Sprintf(`
		SELECT `+joinRequestColumns+`
		FROM `+from+`
		WHERE `+filter+`
		ORDER BY `+order+`
		LIMIT $%d OFFSET $%d`, n+1, n+2), append(args, limit, offset)...)
	if err != nil {
		return nil, fmt.Errorf("list join requests: %w", err)
	}
	if page.Items, err = joinRequests(rows); err != nil {
		return nil, err
	}
	return page, nil
}

// ApproveJoinRequests approves the pending request of each of accountIDs:
// each requester becomes a member in the same transaction as the decision.
// Each request is decided in its own transaction, so one that cannot be
// (not found, already decided) leaves the others decided.
func (s *MembershipService) ApproveJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs []string) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	if err := checkBulk("memberIds", len(accountIDs)); err != nil {
		return nil, err
	}
	return s.decideEach(ctx, actor, groupID, accountIDs, func(tx *sqlx.Tx, g *guildhall.Group, r *guildhall.JoinRequest, _ int) (*guildhall.JoinRequest, error) {
		decided, err := finishJoinRequest(ctx, tx, actor, r.ID, guildhall.Approved, "")
		if err != nil {
			return nil, err
		}
		if _, err := insertMember(ctx, tx, g, r.AccountID, guildhall.RoleMember); err != nil {
			return nil, err
		}
		if err := notifyJoinDecision(ctx, tx, g, decided); err != nil {
			return nil, err
		}
		return decided, writeAudit(ctx, tx, requestAudit(actor, guildhall.ActionJoinRequestApproved, g, decided, r.Status, nil))
	})
}

// RejectJoinRequests rejects the pending request of each requester, with a
// reason the requester sees.
func (s *MembershipService) RejectJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, rejections []guildhall.MemberRejection) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	ids, reasons, err := splitRejections(rejections, func(rj guildhall.MemberRejection) (string, string) { return rj.AccountID, rj.Reason })
	if err != nil {
		return nil, err
	}
	return s.decideEach(ctx, actor, groupID, ids, func(tx *sqlx.Tx, g *guildhall.Group, r *guildhall.JoinRequest, i int) (*guildhall.JoinRequest, error) {
		decided, err := finishJoinRequest(ctx, tx, actor, r.ID, guildhall.Rejected, reasons[i])
		if err != nil {
			return nil, err
		}
		if err := notifyJoinDecision(ctx, tx, g, decided); err != nil {
			return nil, err
		}
		return decided, writeAudit(ctx, tx, requestAudit(actor, guildhall.ActionJoinRequestRejected, g, decided, r.Status,
			map[string]any{"reason": decided.RejectionReason}))
	})
}

// decideEach decides the request of each requester of the group, as
// guildhall.CanDecideJoinRequests allows (eachOnGroup): the group row locked
// first, then the request row. A request that is no longer pending is left
// as it is and its item says so.
func (s *MembershipService) decideEach(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs []string,
	decide func(tx *sqlx.Tx, g *guildhall.Group, r *guildhall.JoinRequest, i int) (*guildhall.JoinRequest, error),
) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	deciders := groupRule{guildhall.CanDecideJoinRequests, guildhall.NotDecider}
	return eachOnGroup(ctx, s.db, actor, groupID, accountIDs, deciders, func(tx *sqlx.Tx, g *guildhall.Group, i int, res *guildhall.BulkResult[guildhall.JoinRequest]) error {
		r, err := lockJoinRequest(ctx, tx, g, accountIDs[i])
		if err != nil {
			return err
		}
		res.Item = r
		if err := guildhall.StillPending(r.Status); err != nil {
			return err
		}
		decided, err := decide(tx, g, r, i)
		if err != nil {
			return err
		}
		res.Item = decided
		return nil
	})
}

// lockJoinRequest locks the request of accountID to join g: the pending one
// if there is one, else the latest, so that a decision on a request decided
// meanwhile is told so rather than not found.
func lockJoinRequest(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, accountID string) (*guildhall.JoinRequest, error) {
	none := guildhall.NotFound("There is no request from this person to join %s.", g.Name)
	if !isUUID(accountID) {
		return nil, none
	}
	var row joinRequestRow
	err := tx.GetContext(ctx, &row, `
		SELECT `+joinRequestColumns+`
		FROM join_requests r`+joinRequestFrom+`
		WHERE r.group_id = $1 AND r.account_id = $2
		ORDER BY r.status = 'PENDING' DESC, r.created_at DESC, r.id DESC
		LIMIT 1
		FOR UPDATE OF r`, g.ID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, none
	}
	if err != nil {
		return nil, fmt.Errorf("lock join request: %w", err)
	}
	return row.request()
}

// finishJoinRequest moves the locked pending request id to status.
func finishJoinRequest(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string, status guildhall.Status, reason string) (*guildhall.JoinRequest, error) {
	var row joinRequestRow
	err := tx.GetContext(ctx, &row, `
		WITH r AS (
			UPDATE join_requests
			SET status = $2, rejection_reason = $3, decided_at = now(), decided_by = $4
			WHERE id = $1
			RETURNING *
		)
		SELECT `+joinRequestColumns+` FROM r`+joinRequestFrom,
		id, status, reason, nullIfEmpty(actor.ID))
	if err != nil {
		return nil, fmt.Errorf("decide join request: %w", err)
	}
	return row.request()
}
