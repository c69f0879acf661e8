package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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
// request read in one statement, then decided and the approved added as
// members in one more, their requesters notified, and the audit entries
// and events written in one (auditDecisions). Each item keeps its own outcome, as if
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
	err = s.db.warmStmts(ctx, currentRequestsSQL, finishJoinRequestsSQL, auditDecisionsSQL, notifySQL(false, recipientsFrom))
	if err != nil {
		return nil, err
	}
	var results []guildhall.BulkResult[guildhall.JoinRequest]
	err = s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
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
		at := map[string]int{} // requester → the item that decides it
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
			reason := ""
			if reasons != nil {
				reason = reasons[i]
			}
			decideIDs, decideReasons = append(decideIDs, id), append(decideReasons, reason)
		}
		decided, err := finishJoinRequests(ctx, s.db, tx, actor, g, decideIDs, decideReasons, status)
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
		return s.afterDecisions(ctx, tx, actor, g, decideIDs, decided, status)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
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
	var rows []currentRequest
	err := db.selectTx(ctx, tx, &rows, currentRequestsSQL, g.ID, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("read join requests: %w", err)
	}
	out := make(map[string]currentRequest, len(rows))
	for _, r := range rows {
		out[strings.ToLower(r.AccountID)] = r
	}
	return out, nil
}

// finishJoinRequestsSQL moves the pending requests of group $1 from the
// requesters $2 to status $4 with the reasons $3, decided by $5, adds the
// approved as members, and returns the requests.
const finishJoinRequestsSQL = `
		WITH x AS (
			SELECT * FROM unnest($2::uuid[], $3::text[]) AS x(account_id, reason)
		), r AS (
			UPDATE join_requests j
			SET status = $4, rejection_reason = x.reason, decided_at = now(), decided_by = $5
			FROM x
			WHERE j.group_id = $1 AND j.account_id = x.account_id AND j.status = 'PENDING'
			RETURNING j.*
		), added AS (
			INSERT INTO group_members (group_id, account_id, role)
			SELECT $1, account_id, 'MEMBER' FROM r WHERE $4 = 'APPROVED'
		)
		SELECT ` + joinRequestColumns + ` FROM r` + joinRequestFrom

// finishJoinRequests moves the pending requests of accountIDs to join g to
// status in one statement, each with its reason, adds the approved
// requesters as members in the same statement, and returns them by
// requester (lowercase ids, as accountIDs are). The caller holds the group lock; a request that stopped being
// pending meanwhile (its requester cancelled) is left out.
func finishJoinRequests(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, accountIDs, reasons []string, status guildhall.Status) (map[string]*guildhall.JoinRequest, error) {
	out := make(map[string]*guildhall.JoinRequest, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var rows []joinRequestRow
	err := db.selectTx(ctx, tx, &rows, finishJoinRequestsSQL,
		g.ID, pq.Array(accountIDs), pq.Array(reasons), status, nullIfEmpty(actor.ID))
	if err != nil {
		return nil, fmt.Errorf("decide join requests: %w", err)
	}
	for i := range rows {
		r, err := rows[i].request()
		if err != nil {
			return nil, err
		}
		out[strings.ToLower(r.AccountID)] = r
	}
	return out, nil
}

// afterDecisions does what follows the decisions of accountIDs, set-based:
// the members count follows the approvals, each requester is told, and the
// audit log and the events record every decision.
func (s *MembershipService) afterDecisions(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, accountIDs []string, decided map[string]*guildhall.JoinRequest, status guildhall.Status) error {
	var done []*guildhall.JoinRequest
	for _, id := range accountIDs {
		if r := decided[id]; r != nil {
			done = append(done, r)
		}
	}
	if len(done) == 0 {
		return nil
	}
	if status == guildhall.Approved { // finishJoinRequests added the members
		if err := syncMembersCount(ctx, tx, g); err != nil {
			return err
		}
	}
	// One notification per distinct reason (usually one for the batch).
	byReason := map[string][]string{}
	var order []string
	for _, r := range done {
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
	action := guildhall.ActionJoinRequestApproved
	if status == guildhall.Rejected {
		action = guildhall.ActionJoinRequestRejected
	}
	return auditDecisions(ctx, s.db, tx, actor, g, action, done)
}

// auditDecisionsSQL writes the audit entries and events of the decided
// requests $1 (see auditDecisions) and selects their deliveries.
var auditDecisionsSQL = `
		WITH w AS (
			SELECT q.*, nextval('audit_log_id_seq') AS audit_id FROM (
				SELECT r.id, r.account_id, r.status, r.rejection_reason, r.answers, r.created_at, r.decided_at,
					r.decided_by, r.escalated_at, a.display_name
				FROM unnest($1::uuid[]) WITH ORDINALITY AS x(id, n)
				JOIN join_requests r ON r.id = x.id JOIN accounts a ON a.id = r.account_id
				ORDER BY x.n) q
		), audit AS (
			INSERT INTO audit_log (id, actor_id, actor_name, action, target_type, target_id, target_name, before, after)
			SELECT w.audit_id, NULLIF($2, '')::uuid, $3, $4, $5, w.id::text, $6,
				jsonb_build_object('status', $11::text),
				jsonb_build_object('status', w.status, 'subject', w.display_name)
					|| CASE WHEN w.status = $12::text THEN jsonb_build_object('reason', w.rejection_reason) ELSE '{}' END
			FROM w
		), ev AS (
			-- (SELECT $9::jsonb): the group parsed once, not per row.
			INSERT INTO events (type, actor_id, actor_name, audit_id, group_id, subject)
			SELECT $7::text, NULLIF($2, '')::uuid, $3, w.audit_id, $8::uuid,
				jsonb_build_object('Group', (SELECT $9::jsonb), 'JoinRequest', ` + joinRequestSubject("$8", "$6", "$10") + `)
			FROM w
			RETURNING id, type
		)
		SELECT ` + deliveryTargets("$8")

// auditDecisions writes, in one statement, the audit entry of each decided
// request of done (ids in done's order, as writing them one by one would
// give) and its event, built in SQL as endPendingJoinRequests builds them
// (the group as the decisions left it, marshalled once in Go), and queues
// the event's deliveries: no subject is marshalled per request in Go, and
// no audit id comes back to Go to be sent again with the events.
func auditDecisions(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, action string, done []*guildhall.JoinRequest) error {
	group, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("event subject: %w", err)
	}
	types := guildhall.EventsOf(action)
	if len(types) != 1 {
		return fmt.Errorf("audit decisions: %s raises %d events, want one", action, len(types))
	}
	ids := make([]string, len(done))
	for i, r := range done {
		ids[i] = r.ID
	}
	var out targets
	err = db.getTx(ctx, tx, &out, auditDecisionsSQL,
		pq.Array(ids), actor.ID, actorName(actor), action, guildhall.TargetJoinRequest, g.Name, types[0], g.ID,
		string(group), g.Slug, guildhall.Pending, guildhall.Rejected)
	if err != nil {
		return fmt.Errorf("audit %d decisions: %w", len(done), err)
	}
	return out.enqueue(ctx, tx)
}
