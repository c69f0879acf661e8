package postgres

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"time"

	"guildhall/internal/guildhall"
)

// The reads of the queue pages (a group's queue, the inbox, /me/requests)
// are each one prepared statement whose plan PostgreSQL keeps: the limit
// and the status are written into the SQL (a LIMIT $n makes the generic
// plan assume a tenth of the table and lose to a plan made anew for every
// call; a status passed as $n cannot use the indexes kept for pending
// requests), an offset is passed only when there is one, and the total
// is read in the same statement as the rows.

// statusSQL is " AND alias.status = 'STATUS'" for a request status, or ""
// for any status. Like a sort column, the status's SQL comes from a fixed
// map, never from formatting the value: a status passed as $n could not
// use the indexes kept for pending requests.
func statusSQL(alias string, s guildhall.Status) string {
	lit, ok := statusLiterals[s]
	if !ok {
		return ""
	}
	return ` AND ` + alias + `.status = ` + lit
}

// statusLiterals are the request statuses as SQL literals.
var statusLiterals = map[guildhall.Status]string{
	guildhall.Pending: `'PENDING'`, guildhall.Approved: `'APPROVED'`,
	guildhall.Rejected: `'REJECTED'`, guildhall.Canceled: `'CANCELED'`,
}

// requestPageRow is a join request of a page with the page's total, which
// the statement reads beside the rows (an InitPlan, computed once).
type requestPageRow struct {
	joinRequestRow
	Total int `db:"total"`
}

// selectRequestPage runs a page's statement, whose columns are total and
// then joinRequestColumns, through the statement cache and scans its rows
// (at most limit) by position: sqlx's scan finds each row's fields by
// reflection, a tenth of the server's CPU on a queue page.
func (db *DB) selectRequestPage(ctx context.Context, limit int, query string, args ...any) ([]requestPageRow, error) {
	return db.selectRequests(ctx, nil, limit, query, args...)
}

// selectGroupRequestPage is selectRequestPage for the requests of group g
// alone, whose statement reads neither the group's id, name nor slug
// (total, r.id, then groupRequestColumns): each row takes them from g,
// which the caller read, rather than from a join with groups and three
// more columns a row to send and decode.
func (db *DB) selectGroupRequestPage(ctx context.Context, g *guildhall.Group, limit int, query string, args ...any) ([]requestPageRow, error) {
	return db.selectRequests(ctx, g, limit, query, args...)
}

// selectRequests is selectRequestPage, or selectGroupRequestPage when g
// is not nil. Like the statement cache's other reads, it is not canceled
// with the request (uncanceled): no goroutines to watch its context.
func (db *DB) selectRequests(ctx context.Context, g *guildhall.Group, limit int, query string, args ...any) ([]requestPageRow, error) {
	ctx = uncanceled(ctx)
	rows, err := db.queryPrepared(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := scanRequestPage(rows, g, limit)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// scanRequestPage scans the rows of selectRequests. Its destinations are
// the ones database/sql fills without reflection: an int64 into an *int,
// or a NULL into a *time.Time, goes through reflect (the int formatted and
// parsed again), which cost more than the rest of the scan on a page of
// 50. The answers are read in place and copied only when there are some.
func scanRequestPage(rows *sql.Rows, g *guildhall.Group, limit int) ([]requestPageRow, error) {
	out := make([]requestPageRow, 0, limit)
	var (
		total                             any
		status                            string
		answers                           sql.RawBytes
		decidedAt, escalatedAt, expiresAt sql.NullTime
		decidedBy                         sql.NullString
	)
	for rows.Next() {
		out = append(out, requestPageRow{})
		r := &out[len(out)-1]
		var err error
		// In the order of joinRequestColumns, or of groupRequestColumns.
		if g == nil {
			err = rows.Scan(&total, &r.ID, &r.GroupID, &r.GroupName, &r.GroupSlug,
				&r.AccountID, &r.DisplayName, &status, &r.RejectionReason, &answers,
				&r.CreatedAt, &decidedAt, &decidedBy, &escalatedAt, &expiresAt)
		} else {
			r.GroupID, r.GroupName, r.GroupSlug = g.ID, g.Name, g.Slug
			err = rows.Scan(&total, &r.ID,
				&r.AccountID, &r.DisplayName, &status, &r.RejectionReason, &answers,
				&r.CreatedAt, &decidedAt, &decidedBy, &escalatedAt, &expiresAt)
		}
		if err != nil {
			return nil, err
		}
		n, ok := total.(int64)
		if !ok {
			return nil, fmt.Errorf("scan join requests: total is %T", total)
		}
		r.Total = int(n)
		r.Status = guildhall.Status(status)
		r.AnswersJSON = noAnswers
		if string(answers) != "[]" {
			r.AnswersJSON = bytes.Clone(answers)
		}
		r.DecidedAt, r.EscalatedAt, r.ExpiresAt = timeOrNil(&decidedAt), timeOrNil(&escalatedAt), timeOrNil(&expiresAt)
		if decidedBy.Valid {
			by := decidedBy.String
			r.DecidedBy = &by
		}
	}
	return out, rows.Err()
}

// noAnswers is the answers of a request that answered no question, as
// join_requests.answers holds them; the rows of a page share it.
var noAnswers = []byte("[]")

// timeOrNil is t's time, or nil when t is NULL.
func timeOrNil(t *sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	at := t.Time
	return &at
}

// groupRequestColumns are joinRequestColumns after the group's id, name and
// slug, which the statements here either take from the group the caller
// read (selectGroupRequestPage) or carry with the rows from the groups
// they read already (the inbox's d and k): a join with groups read each
// row's group again.
const groupRequestColumns = `r.account_id, a.display_name, r.status, r.rejection_reason, r.answers,
	r.created_at, r.decided_at, r.decided_by, r.escalated_at, ` + expiresAtColumn

// pageOf makes the page of rows read with their total. A statement that
// finds no row has no total to give: at offset 0 its total is 0, because
// the total counts exactly the requests the rows are read from, in the same
// snapshot; past the end, count says how many there are.
func pageOf(rows []requestPageRow, limit, offset int, count func() (int, error)) (*guildhall.Page[guildhall.JoinRequest], error) {
	page := &guildhall.Page[guildhall.JoinRequest]{Items: make([]guildhall.JoinRequest, 0, len(rows)), Offset: offset, Limit: limit}
	for i := range rows {
		r, err := rows[i].request()
		if err != nil {
			return nil, err
		}
		page.Items = append(page.Items, *r)
		page.Total = rows[i].Total
	}
	if len(rows) == 0 && offset > 0 {
		n, err := count()
		if err != nil {
			return nil, err
		}
		page.Total = n
	}
	return page, nil
}

// ListJoinRequests pages a group's join requests, newest first; q.Status
// filters. Those who decide them (guildhall.CanDecideJoinRequests) see them
// all; anyone else who can see the group sees only their own.
func (s *MembershipService) ListJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, q guildhall.RequestQuery) (*guildhall.Page[guildhall.JoinRequest], error) {
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	return s.ListJoinRequestsOf(ctx, actor, &guildhall.GroupView{Group: *g, ViewerRole: role}, q)
}

// ListJoinRequestsOf is ListJoinRequests for a group the caller has just
// read for actor (with the actor's role), as the queue page does: it saves
// reading the group twice. The rules are the same.
func (s *MembershipService) ListJoinRequestsOf(ctx context.Context, actor guildhall.Actor, gv *guildhall.GroupView, q guildhall.RequestQuery) (*guildhall.Page[guildhall.JoinRequest], error) {
	g, role := &gv.Group, gv.ViewerRole
	if !guildhall.CanSeeGroup(actor, g, role) {
		return nil, groupNotFound()
	}
	if actor.ID == "" && !actor.Elevated {
		return nil, guildhall.Unauthenticated("Sign in to see join requests.")
	}
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	// group_id = ANY(ARRAY[$1]), ordered by group_id first, reads the
	// group's own index in order (see oldestPendingSQL): the statistics of
	// a site where one group holds most pending requests would otherwise
	// walk the site's pending requests by date looking for this group's.
	filter := `r.group_id = ANY(ARRAY[$1::uuid])` + statusSQL("r", q.Status)
	order := `r.group_id, ` + requestOrder(q)
	if !q.OldestFirst {
		order = `r.group_id DESC, ` + requestOrder(q)
	}
	args := []any{g.ID}
	decider := guildhall.CanDecideJoinRequests(actor, g, role)
	if !decider {
		filter += ` AND r.account_id = $2`
		args = append(args, actor.ID)
	}
	countArgs := args
	count := func() (int, error) {
		var n int
		if err := s.db.getPrepared(ctx, &n, `SELECT count(*) FROM join_requests r WHERE `+filter, countArgs...); err != nil {
			return 0, fmt.Errorf("count join requests: %w", err)
		}
		return n, nil
	}
	total := `(SELECT count(*) FROM join_requests r WHERE ` + filter + `)`
	if decider && q.Status == guildhall.Pending {
		// The queue of pending requests is counted already.
		total = keptPendingSQL
		count = func() (int, error) {
			var n int
			if err := s.db.getPrepared(ctx, &n, `SELECT `+keptPendingSQL, g.ID); err != nil {
				return 0, fmt.Errorf("count join requests: %w", err)
			}
			return n, nil
		}
	}
	paging, args := pageSQL(q.Limit, q.Offset, args)
	rows, err := s.db.selectGroupRequestPage(ctx, g, q.Limit, `
		SELECT `+total+` AS total, r.id, `+groupRequestColumns+`
		FROM join_requests r JOIN accounts a ON a.id = r.account_id
		WHERE `+filter+`
		ORDER BY `+order+paging, args...)
	if err != nil {
		return nil, fmt.Errorf("list join requests: %w", err)
	}
	return pageOf(rows, q.Limit, q.Offset, count)
}

// keptPendingSQL is the kept count of group $1's pending requests.
const keptPendingSQL = `COALESCE((SELECT c.pending FROM group_pending_counts c WHERE c.group_id = $1::uuid), 0)`

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
	filter := `r.account_id = $1` + statusSQL("r", q.Status)
	count := func() (int, error) {
		var n int
		if err := s.db.getPrepared(ctx, &n, `SELECT count(*) FROM join_requests r WHERE `+filter, actor.ID); err != nil {
			return 0, fmt.Errorf("count my join requests: %w", err)
		}
		return n, nil
	}
	paging, args := pageSQL(q.Limit, q.Offset, []any{actor.ID, actor.IsSiteAdmin()})
	// The visibility test is guildhall.CanSeeGroup in SQL, as in groupVisible.
	var rows []struct {
		requestPageRow
		Visible   bool    `db:"visible"`
		KnownName *string `db:"known_group_name"`
	}
	err := s.db.selectPrepared(ctx, &rows, `
		SELECT (SELECT count(*) FROM join_requests r WHERE `+filter+`) AS total,
			`+joinRequestColumns+`, r.known_group_name,
			g.deleted_at IS NULL AND ($2::boolean OR g.privacy <> 'SECRET'
				OR EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1)) AS visible
		FROM join_requests r`+joinRequestFrom+`
		WHERE `+filter+`
		ORDER BY `+requestOrder(q)+paging, args...)
	if err != nil {
		return nil, fmt.Errorf("list my join requests: %w", err)
	}
	page := make([]requestPageRow, len(rows))
	for i := range rows {
		page[i] = rows[i].requestPageRow
		if !rows[i].Visible {
			page[i].GroupName, page[i].GroupSlug = hiddenGroupName, ""
			if rows[i].KnownName != nil {
				page[i].GroupName = *rows[i].KnownName
			}
		}
	}
	return pageOf(page, q.Limit, q.Offset, count)
}

// hiddenGroupName stands for the name of a group that left a requester's
// sight before its name was kept (requests older than the name's column).
const hiddenGroupName = "A group you can no longer see"

// Inbox pages the pending requests of every live group the actor may
// decide (guildhall.CanDecideJoinRequests in SQL), oldest first: the ones
// waiting longest come first. Its total is InboxCount, read in the same
// statement.
func (s *MembershipService) Inbox(ctx context.Context, actor guildhall.Actor, limit, offset int) (*guildhall.Page[guildhall.JoinRequest], error) {
	limit, err := checkPage(limit, offset)
	if err != nil {
		return nil, err
	}
	if actor.ID == "" && !actor.IsSiteAdmin() {
		return &guildhall.Page[guildhall.JoinRequest]{Items: []guildhall.JoinRequest{}, Limit: limit, Offset: offset}, nil
	}
	var rows []requestPageRow
	if actor.IsSiteAdmin() {
		paging, args := pageSQL(limit, offset, nil)
		rows, err = s.db.selectRequestPage(ctx, limit, `
			WITH k AS (
				SELECT q.*, dg.name AS group_name, dg.slug AS group_slug
				FROM join_requests q JOIN groups dg ON dg.id = q.group_id
				WHERE q.status = 'PENDING' AND dg.deleted_at IS NULL
				ORDER BY q.created_at, q.id`+paging+`
			)
			SELECT (`+siteInboxCountSQL+`) AS total, `+inboxRows, args...)
	} else {
		// Each group the actor decides gives its oldest offset+limit, and
		// the page is taken from their merge: it costs what it shows,
		// however long the queues behind it. The first page reads them
		// whole; a later one walks their ids and reads the page's requests
		// by primary key (oldestPendingSQL).
		paging, args := pageSQL(limit, offset, []any{actor.ID})
		perGroup, args := limitSQL(offset+limit, args)
		columns, rowsSQL := `q.*`, inboxRows
		if offset > 0 {
			columns, rowsSQL = `q.id, q.created_at`, inboxRowsByID
		}
		rows, err = s.db.selectRequestPage(ctx, limit, `
			WITH `+decidedGroupsSQL+`, k AS (
				SELECT p.*, d.group_name, d.group_slug FROM d CROSS JOIN LATERAL (`+fmt.Sprintf(oldestPendingSQL, columns, perGroup)+`) p
				ORDER BY p.created_at, p.id`+paging+`
			)
			SELECT (SELECT COALESCE(sum(d.pending), 0)::int FROM d) AS total, `+rowsSQL, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	return pageOf(rows, limit, offset, func() (int, error) { return s.InboxCount(ctx, actor) })
}

// decidedGroupsSQL is the CTEs waiting and d: d is the live groups with
// pending requests whose requests the account $1, not a site admin,
// decides (guildhall.CanDecideJoinRequests in SQL, as myInboxCountSQL
// counts them), with their kept pending counts and the names and slugs
// the page shows. waiting first keeps, of the
// account's memberships (group_members_account_idx alone), the groups the
// kept counts say have requests waiting; only those are read further (the
// role, the group's liveness and rule). A seeded member belongs to 50
// groups: reading each membership's row and group cost 250 buffers a
// view, the index and the counts 6.
const decidedGroupsSQL = `
	waiting AS MATERIALIZED (
		SELECT c.group_id, c.pending FROM group_members w JOIN group_pending_counts c ON c.group_id = w.group_id
		WHERE w.account_id = $1 AND c.pending <> 0
	), d AS MATERIALIZED (
		SELECT m.group_id, waiting.pending, dg.name AS group_name, dg.slug AS group_slug FROM waiting
		JOIN group_members m ON m.group_id = waiting.group_id AND m.account_id = $1
		JOIN groups dg ON dg.id = m.group_id
		WHERE dg.deleted_at IS NULL AND (m.role = 'ADMIN' OR dg.members_can_approve)
	)`

// oldestPendingSQL is the oldest pending requests (%s: their columns, %s:
// their LIMIT) of group d.group_id, in order through
// join_requests_group_pending_idx. The first page of the inbox reads them
// whole (q.*, then inboxRows): for the admin of a queue of 10,000 that
// cost PostgreSQL about 0.3 ms of CPU against 0.5 ms for their ids from
// the index and the page's 50 requests by primary key. Deeper, where each
// group gives offset+limit requests and the page keeps 50, the ids (q.id,
// q.created_at, then inboxRowsByID) cost less: 6 ms against 8-12 ms for
// the last page of that queue.
//
// "group_id = ANY(ARRAY[d.group_id]) ORDER BY group_id, created_at, id"
// is "group_id = d.group_id ORDER BY created_at, id" in a form that only
// that index serves in order. When one group holds most pending requests,
// the statistics say any group holds them all, and PostgreSQL would
// otherwise walk every pending request of the site through
// join_requests_pending_idx (created_at) looking for the group's: the
// inbox of someone whose groups wait for nothing took as long as the
// site's longest queue.
const oldestPendingSQL = `
	SELECT %s FROM join_requests q
	WHERE q.group_id = ANY(ARRAY[d.group_id]) AND q.status = 'PENDING'
	ORDER BY q.group_id, q.created_at, q.id
	%s`

// inboxRows ends either inbox: the requests of k (whole rows of
// join_requests with their groups' names and slugs), in order. The
// columns are joinRequestColumns.
const inboxRows = `r.id, r.group_id, r.group_name, r.group_slug, ` + groupRequestColumns + `
	FROM k r JOIN accounts a ON a.id = r.account_id
	ORDER BY r.created_at, r.id`

// inboxRowsByID is inboxRows for a k of ids: each request is read by its
// primary key, in a LATERAL that OFFSET 0 keeps from being flattened into
// a join. Joined plainly, the generic plan on a site whose join_requests
// held little more than one queue scanned the whole table (10,000 rows)
// and hashed it against the page's 50 ids.
const inboxRowsByID = `r.id, r.group_id, k.group_name, k.group_slug, ` + groupRequestColumns + `
	FROM k CROSS JOIN LATERAL (SELECT * FROM join_requests r WHERE r.id = k.id OFFSET 0) r
	JOIN accounts a ON a.id = r.account_id
	ORDER BY r.created_at, r.id`
