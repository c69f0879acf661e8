package postgres

import (
	"context"
	"fmt"

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
	// The queue of pending requests is counted already.
	var total *int
	if own == nil && q.Status == guildhall.Pending {
		n, err := pendingCount(ctx, s.db, g.ID)
		if err != nil {
			return nil, err
		}
		total = &n
	}
	return s.pageJoinRequestsFrom(ctx, `join_requests r`+joinRequestFrom, filter, requestOrder(q), args, q.Limit, q.Offset, total)
}

// MyJoinRequests pages the actor's own requests across groups, newest
// first, whatever happened to the groups since: a request to a group the
// actor can no longer see (turned secret, deleted) keeps its row, under the
// name the group had when it left the actor's sight and without its slug,
// so the row neither disappears nor reveals what the group is now.
func (s *MembershipService) MyJoinRequests(ctx context.Context, actor guildhall.Actor, q guildhall.RequestQuery) (*guildhall.Page[guildhall.JoinRequest], error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to see your requests.")
	}
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	const filter = `r.account_id = $1 AND ($2::text IS NULL OR r.status = $2)`
	args := []any{actor.ID, nullIfEmpty(string(q.Status)), actor.IsSiteAdmin()}
	page := &guildhall.Page[guildhall.JoinRequest]{Offset: q.Offset, Limit: q.Limit}
	if err := s.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM join_requests r WHERE `+filter, args[:2]...); err != nil {
		return nil, fmt.Errorf("count my join requests: %w", err)
	}
	// The visibility test is guildhall.CanSeeGroup in SQL, as in groupVisible.
	var rows []struct {
		joinRequestRow
		Visible   bool    `db:"visible"`
		KnownName *string `db:"known_group_name"`
	}
	err := s.db.SelectContext(ctx, &rows, `
		SELECT `+joinRequestColumns+`, r.known_group_name,
			g.deleted_at IS NULL AND ($3::boolean OR g.privacy <> 'SECRET'
				OR EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1)) AS visible
		FROM join_requests r`+joinRequestFrom+`
		WHERE `+filter+`
		ORDER BY `+requestOrder(q)+`
		LIMIT $4 OFFSET $5`, append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, fmt.Errorf("list my join requests: %w", err)
	}
	page.Items = make([]guildhall.JoinRequest, 0, len(rows))
	for i := range rows {
		r, err := rows[i].request()
		if err != nil {
			return nil, err
		}
		if !rows[i].Visible {
			r.GroupName, r.GroupSlug = hiddenGroupName, ""
			if rows[i].KnownName != nil {
				r.GroupName = *rows[i].KnownName
			}
		}
		page.Items = append(page.Items, *r)
	}
	return page, nil
}

// hiddenGroupName stands for the name of a group that left a requester's
// sight before its name was kept (requests older than the name's column).
const hiddenGroupName = "A group you can no longer see"

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
	total, err := s.InboxCount(ctx, actor)
	if err != nil {
		return nil, err
	}
	if actor.IsSiteAdmin() {
		// Every pending request, in the order of join_requests_pending_idx.
		from, where, args := inboxQuery(actor, true)
		return s.pageJoinRequestsFrom(ctx, from, where, `r.created_at, r.id`, args, limit, offset, &total)
	}
	// The oldest offset+limit of each group the actor decides, read in
	// order from the group's index, then merged: a page costs what it
	// shows, however long the queues behind it.
	const from = `(
			SELECT m.group_id FROM group_members m JOIN groups dg ON dg.id = m.group_id
			WHERE m.account_id = $1 AND dg.deleted_at IS NULL AND (m.role = 'ADMIN' OR dg.members_can_approve)
		) d
		CROSS JOIN LATERAL (
			SELECT * FROM join_requests q
			WHERE q.group_id = d.group_id AND q.status = 'PENDING'
			ORDER BY q.created_at, q.id
			LIMIT $2
		) r` + joinRequestFrom
	return s.pageJoinRequestsFrom(ctx, from, `true`, `r.created_at, r.id`, []any{actor.ID, offset + limit}, limit, offset, &total)
}

// pageJoinRequests counts and reads one page of the join requests that
// filter selects, in order; filter and order are constants of the callers,
// never input.
func (s *MembershipService) pageJoinRequests(ctx context.Context, filter, order string, args []any, limit, offset int) (*guildhall.Page[guildhall.JoinRequest], error) {
	return s.pageJoinRequestsFrom(ctx, `join_requests r`+joinRequestFrom, filter, order, args, limit, offset, nil)
}

// pageJoinRequestsFrom is pageJoinRequests over another FROM (constant
// too); total, when known from the kept counts, saves counting.
func (s *MembershipService) pageJoinRequestsFrom(ctx context.Context, from, filter, order string, args []any, limit, offset int, total *int) (*guildhall.Page[guildhall.JoinRequest], error) {
	page := &guildhall.Page[guildhall.JoinRequest]{Offset: offset, Limit: limit}
	if total != nil {
		page.Total = *total
	} else if err := s.db.getPrepared(ctx, &page.Total, `SELECT count(*) FROM `+from+` WHERE `+filter, args...); err != nil {
		return nil, fmt.Errorf("count join requests: %w", err)
	}
	var err error
	n := len(args)
	var rows []joinRequestRow
	err = s.db.selectPrepared(ctx, &rows, fmt.Sprintf(`
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
