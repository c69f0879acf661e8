package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// ApproveJoinRequests approves the pending request of each of accountIDs:
// each requester becomes a member in the same transaction as the decision.
// An item that cannot be decided (not found, already decided, already a
// member) says why and leaves the others decided (see decideSet).
func (s *MembershipService) ApproveJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs []string) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	if err := checkBulk("memberIds", len(accountIDs)); err != nil {
		return nil, err
	}
	return s.decideSet(ctx, actor, groupID, accountIDs, nil, guildhall.Approved)
}

// RejectJoinRequests rejects the pending request of each requester, with a
// reason the requester sees.
func (s *MembershipService) RejectJoinRequests(ctx context.Context, actor guildhall.Actor, groupID string, rejections []guildhall.MemberRejection) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	ids, reasons, err := splitRejections(rejections, func(rj guildhall.MemberRejection) (string, string) { return rj.AccountID, rj.Reason })
	if err != nil {
		return nil, err
	}
	return s.decideSet(ctx, actor, groupID, ids, reasons, guildhall.Rejected)
}

// currentRequest is the request of one requester that a decision meets:
// the pending one if there is one, else the latest, and whether the
// requester is a member already.
type currentRequest struct {
	joinRequestRow
	IsMember bool `db:"is_member"`
}

// decideSet decides the requests of accountIDs in one transaction, set by
// set rather than one by one: the group locked and the rule asked on the
// locked row (the whole call is refused when actor may not decide), every
// request read in one statement, then decided in one more (decideSQL: the
// requests, the members the approvals add and their count, the audit
// entries and events), and their requesters notified. Each item keeps its own outcome, as if
// decided alone in the order given: one that cannot be decided says why
// (not found; already decided, also when the same requester comes twice;
// already a member) and is left as it was, and the others are decided.
// reasons, for rejections, has one reason per item.
func (s *MembershipService) decideSet(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs, reasons []string, status guildhall.Status) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	// Refuse before taking the lock, as any reader would be.
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	if !guildhall.CanDecideJoinRequests(actor, g, role) {
		return nil, guildhall.NotDecider(g)
	}
	// The decision's statements, prepared once (getTx, selectTx).
	err = s.db.warmStmts(ctx, lockGroupSQL, roleInSQL, currentRequestsSQL, decideSQL, notifySQL(false, recipientsFrom))
	if err != nil {
		return nil, err
	}
	var results []guildhall.BulkResult[guildhall.JoinRequest]
	err = s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := s.db.lockGroupTx(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		if !guildhall.CanDecideJoinRequests(actor, g, role) {
			return guildhall.NotDecider(g)
		}
		current, err := currentRequests(ctx, s.db, tx, g, accountIDs)
		if err != nil {
			return err
		}
		results = make([]guildhall.BulkResult[guildhall.JoinRequest], len(accountIDs))
		var decideIDs, decideReasons []string
		at := map[string]int{}                         // requester → the item that decides it
		pending := map[string]*guildhall.JoinRequest{} // requester → the request it decides, as read
		for i, id := range accountIDs {
			res := &results[i]
			res.ID = id
			id = strings.ToLower(id) // uuids compare case-blind
			cur, ok := current[id]
			switch {
			case !ok:
				res.Err = guildhall.NotFound("There is no request from this person to join %s.", g.Name)
				continue
			case at[id] > 0:
				continue // a second mention: filled in once the first is decided
			}
			r, err := cur.request()
			if err != nil {
				return err
			}
			res.Item = r
			if res.Err = guildhall.StillPending(r.Status); res.Err != nil {
				continue
			}
			if status == guildhall.Approved && cur.IsMember {
				res.Err = guildhall.Conflict("This person is already a member of %s.", g.Name)
				continue
			}
			at[id] = i + 1
			pending[id] = r
			reason := ""
			if reasons != nil {
				reason = reasons[i]
			}
			decideIDs, decideReasons = append(decideIDs, id), append(decideReasons, reason)
		}
		decided, err := decide(ctx, s.db, tx, actor, g, decideIDs, decideReasons, status, pending)
		if err != nil {
			return err
		}
		for i, id := range accountIDs {
			id = strings.ToLower(id)
			first := at[id] - 1
			switch {
			case first == i:
				results[i].Item = decided[id]
			case first >= 0 && results[i].Err == nil && results[i].Item == nil:
				// The same requester again: decided by the first mention.
				results[i].Item = decided[id]
				results[i].Err = guildhall.StillPending(status)
			}
		}
		return s.notifyDecisions(ctx, tx, g, decideIDs, decided, status)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// lockGroupTx is lockGroup through the statement cache (getTx), for a
// decision's transaction, which would otherwise parse and plan both
// statements on every call (and lib/pq send each in two round trips).
func (db *DB) lockGroupTx(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string) (*guildhall.Group, guildhall.Role, error) {
	return lockedGroup(actor, id, func(dest any, query string, args ...any) error {
		return db.getTx(ctx, tx, dest, query, args...)
	})
}

// currentRequestsSQL reads, for group $1, each of the requesters $2's
// pending request or else latest one, with whether they are a member.
const currentRequestsSQL = `
		SELECT DISTINCT ON (r.account_id) ` + joinRequestColumns + `,
			EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = r.group_id AND m.account_id = r.account_id) AS is_member
		FROM join_requests r` + joinRequestFrom + `
		WHERE r.group_id = $1 AND r.account_id = ANY ($2::uuid[])
		ORDER BY r.account_id, r.status = 'PENDING' DESC, r.created_at DESC, r.id DESC`

// currentRequests reads, for each of accountIDs, its pending request to
// join g or else its latest one, with whether it is a member already, by
// lowercase id. Ids that are not ids, and requesters with no request, are
// not in the map.
func currentRequests(ctx context.Context, db *DB, tx *sqlx.Tx, g *guildhall.Group, accountIDs []string) (map[string]currentRequest, error) {
	ids := make([]string, 0, len(accountIDs))
	for _, id := range accountIDs {
		if isUUID(id) {
			ids = append(ids, id)
		}
	}
	rows, err := db.queryTx(ctx, tx, currentRequestsSQL, g.ID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read join requests: %w", err)
	}
	defer func() { _ = rows.Close() }()
	out := make(map[string]currentRequest, len(ids))
	for rows.Next() {
		var r currentRequest
		var status string
		// By position, in the order of currentRequestsSQL: sqlx's scan
		// finds each row's fields by reflection, a fifth of a decision's
		// CPU in Go.
		err := rows.Scan(&r.ID, &r.GroupID, &r.GroupName, &r.GroupSlug,
			&r.AccountID, &r.DisplayName, &status, &r.RejectionReason, &r.AnswersJSON,
			&r.CreatedAt, &r.DecidedAt, &r.DecidedBy, &r.EscalatedAt, &r.ExpiresAt, &r.IsMember)
		if err != nil {
			return nil, fmt.Errorf("read join requests: %w", err)
		}
		r.Status = guildhall.Status(status)
		out[strings.ToLower(r.AccountID)] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read join requests: %w", err)
	}
	return out, nil
}

// queryTx is tx.QueryContext through the statement cache (see getTx), for
// rows scanned by position.
func (db *DB) queryTx(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := db.txStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// decideSQL is the decision itself, in one statement: it moves the
// pending requests of group $1 from the requesters $2 (in that order) to
// status $4 with the reasons $3, decided by $5; adds the approved as
// members and brings the group's members_count to the member rows (those
// the statement's snapshot sees, plus those it adds) when it approves
// any; numbers each decided request's audit entry from audit_log_id_seq in
// $2's order and writes it and its event (the subject built in SQL, the
// group $11 as marshalled in Go with the count just set); and returns each
// decided request's new columns, the count, and the event deliveries to
// queue (on the first row only). The requests are not read again: their
// other columns are those currentRequests read under the same lock.
var decideSQL = `
		WITH x AS (
			SELECT * FROM unnest($2::uuid[], $3::text[]) WITH ORDINALITY AS x(account_id, reason, n)
		), r AS (
			UPDATE join_requests j
			SET status = $4, rejection_reason = x.reason, decided_at = now(), decided_by = $5
			FROM x
			WHERE j.group_id = $1 AND j.account_id = x.account_id AND j.status = 'PENDING'
			RETURNING j.id, j.account_id, j.status, j.rejection_reason, j.answers, j.created_at, j.decided_at,
				j.decided_by, j.escalated_at, x.n
		), added AS (
			INSERT INTO group_members (group_id, account_id, role)
			SELECT $1, account_id, 'MEMBER' FROM r WHERE $4 = 'APPROVED'
			RETURNING 1
		), counted AS (
			-- As syncMembersCount, in this statement: its snapshot does not
			-- see the members added, so they are counted from added.
			UPDATE groups
			SET members_count = (SELECT count(*) FROM group_members WHERE group_id = $1) + (SELECT count(*) FROM added),
				last_activity_at = now()
			WHERE id = $1 AND $4 = 'APPROVED' AND EXISTS (SELECT 1 FROM r)
			RETURNING members_count
		), w AS (
			SELECT q.*, nextval('audit_log_id_seq') AS audit_id FROM (
				SELECT r.*, a.display_name FROM r JOIN accounts a ON a.id = r.account_id ORDER BY r.n) q
		), audit AS (
			INSERT INTO audit_log (id, actor_id, actor_name, action, target_type, target_id, target_name, before, after)
			SELECT w.audit_id, $5, $6, $7, $8, w.id::text, $9,
				jsonb_build_object('status', $13::text),
				jsonb_build_object('status', w.status, 'subject', w.display_name)
					|| CASE WHEN w.status = $14::text THEN jsonb_build_object('reason', w.rejection_reason) ELSE '{}' END
			FROM w
		), ev AS (
			-- The group parsed once, not per row, with the count set above.
			INSERT INTO events (type, actor_id, actor_name, audit_id, group_id, subject)
			SELECT $10::text, $5, $6, w.audit_id, $1::uuid,
				jsonb_build_object('Group', (SELECT COALESCE((SELECT jsonb_set($11::jsonb, '{MembersCount}', to_jsonb(members_count)) FROM counted), $11::jsonb)),
					'JoinRequest', ` + joinRequestSubject("$1", "$9", "$12") + `)
			FROM w
			RETURNING id, type
		)
		SELECT w.account_id, w.status, w.rejection_reason, w.decided_at, w.decided_by,
			(SELECT members_count FROM counted) AS members_count, t.events, t.webhooks
		FROM w LEFT JOIN (SELECT ` + deliveryTargets("$1") + `) t ON w.n = (SELECT min(n) FROM w)
		ORDER BY w.n`

// decidedRow is what decideSQL returns of one decided request.
type decidedRow struct {
	AccountID       string           `db:"account_id"`
	Status          guildhall.Status `db:"status"`
	RejectionReason string           `db:"rejection_reason"`
	DecidedAt       *time.Time       `db:"decided_at"`
	DecidedBy       *string          `db:"decided_by"`
	MembersCount    sql.NullInt64    `db:"members_count"`
	Events          pq.StringArray   `db:"events"`
	Webhooks        pq.StringArray   `db:"webhooks"`
}

// decide decides the pending requests of accountIDs (lowercase ids, in
// the order given) to join g with status, each with its reason, in one
// statement (decideSQL): the requests, the members, the count, the audit
// entries and events; it queues the events' deliveries and returns the
// decided requests by requester, pending[id] as read with what the
// decision changed. The caller holds the group lock; a request that
// stopped being pending meanwhile (its requester cancelled) is left out.
func decide(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, accountIDs, reasons []string,
	status guildhall.Status, pending map[string]*guildhall.JoinRequest,
) (map[string]*guildhall.JoinRequest, error) {
	out := make(map[string]*guildhall.JoinRequest, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	action := guildhall.ActionJoinRequestApproved
	if status == guildhall.Rejected {
		action = guildhall.ActionJoinRequestRejected
	}
	types := guildhall.EventsOf(action)
	if len(types) != 1 {
		return nil, fmt.Errorf("decide join requests: %s raises %d events, want one", action, len(types))
	}
	group, err := json.Marshal(g)
	if err != nil {
		return nil, fmt.Errorf("event subject: %w", err)
	}
	rows, err := scanDecided(db.queryTx(ctx, tx, decideSQL,
		g.ID, pq.Array(accountIDs), pq.Array(reasons), status, nullIfEmpty(actor.ID), actorName(actor),
		action, guildhall.TargetJoinRequest, g.Name, types[0], string(group), g.Slug, guildhall.Pending, guildhall.Rejected))
	if err != nil {
		return nil, fmt.Errorf("decide join requests: %w", err)
	}
	var deliveries targets
	for _, row := range rows {
		id := strings.ToLower(row.AccountID)
		before := pending[id]
		if before == nil {
			return nil, fmt.Errorf("decide join requests: %s was not read", id)
		}
		r := *before
		r.Status, r.RejectionReason, r.DecidedAt, r.DecidedBy, r.ExpiresAt = row.Status, row.RejectionReason, row.DecidedAt, row.DecidedBy, nil
		out[id] = &r
		if row.MembersCount.Valid {
			g.MembersCount = int(row.MembersCount.Int64)
		}
		deliveries.Events = append(deliveries.Events, row.Events...)
		deliveries.Webhooks = append(deliveries.Webhooks, row.Webhooks...)
	}
	return out, deliveries.enqueue(ctx, tx)
}

// scanDecided scans the rows of decideSQL by position.
func scanDecided(rows *sql.Rows, err error) ([]decidedRow, error) {
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []decidedRow
	for rows.Next() {
		var r decidedRow
		var status string
		err := rows.Scan(&r.AccountID, &status, &r.RejectionReason, &r.DecidedAt, &r.DecidedBy,
			&r.MembersCount, &r.Events, &r.Webhooks)
		if err != nil {
			return nil, err
		}
		r.Status = guildhall.Status(status)
		out = append(out, r)
	}
	return out, rows.Err()
}

// notifyDecisions tells each requester of done, in the order decided, of
// the decision: one notification statement per distinct reason (usually
// one for the batch).
func (s *MembershipService) notifyDecisions(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, accountIDs []string, decided map[string]*guildhall.JoinRequest, status guildhall.Status) error {
	byReason := map[string][]string{}
	var order []string
	for _, id := range accountIDs {
		r := decided[id]
		if r == nil {
			continue
		}
		if _, ok := byReason[r.RejectionReason]; !ok {
			order = append(order, r.RejectionReason)
		}
		byReason[r.RejectionReason] = append(byReason[r.RejectionReason], r.AccountID)
	}
	for _, reason := range order {
		_, err := s.db.notify(ctx, tx, newNotification{Kind: guildhall.JoinRequestDecided, GroupID: g.ID, GroupName: g.Name,
			Status: status, Reason: reason}, byReason[reason])
		if err != nil {
			return err
		}
	}
	return nil
}
