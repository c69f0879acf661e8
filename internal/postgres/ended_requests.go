package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
	"guildhall/internal/webhooks"
)

// endRequests says how endPendingJoinRequests ends a group's pending
// requests.
type endRequests struct {
	Status guildhall.Status
	// Action is the audit action; Cause is written in each audit entry.
	Action, Cause string
	// Reason is the rejection reason the requesters read.
	Reason string
	// Remember, when not empty, is the group name the requests keep
	// (known_group_name) because the group leaves their sight.
	Remember string
}

// endPendingJoinRequests moves every pending join request of g to e.Status
// in one statement: the requests, the members an approval adds, one audit
// row per request, and one event per request with the delivery of each to
// the endpoints that subscribe to it. The events are built in SQL from what
// the update returns rather than read back and marshalled in Go: a change
// that ends 10,000 requests spent most of its time shipping them to Go and
// back (docs/perf.md, "Privacy change with 10,000 pending"). The subject is
// the document json.Marshal gives for guildhall.EventSubject{Group: g,
// JoinRequest: r} (TestEndedRequestEventsAsGoWritesThem holds the two
// together): g marshalled once in Go, the request built by
// joinRequestSubject. It returns how many requests it ended. The caller
// holds the group lock and brings members_count up to date.
func endPendingJoinRequests(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, e endRequests) (int64, error) {
	group, err := json.Marshal(g)
	if err != nil {
		return 0, fmt.Errorf("event subject: %w", err)
	}
	types := guildhall.EventsOf(e.Action)
	if len(types) != 1 {
		return 0, fmt.Errorf("end pending join requests: %s raises %d events, want one", e.Action, len(types))
	}
	var out struct {
		Ended int64 `db:"ended"`
		targets
	}
	// Each ended request takes its audit id from the audit log's sequence
	// in "who", so its audit entry and its event are written from the
	// same row, without joining the inserted entries back to the requests.
	err = tx.GetContext(ctx, &out, `
		WITH ended AS (
			UPDATE join_requests
			SET status = $2::text, decided_at = now(), decided_by = NULLIF($3, '')::uuid, rejection_reason = $9,
				known_group_name = COALESCE(NULLIF($10, ''), known_group_name)
			WHERE group_id = $1 AND status = 'PENDING'
			RETURNING id, account_id, status, rejection_reason, answers, created_at, decided_by, escalated_at
		), who AS (
			SELECT q.*, nextval('audit_log_id_seq') AS audit_id FROM (
				SELECT e.*, a.display_name FROM ended e JOIN accounts a ON a.id = e.account_id
				ORDER BY e.created_at, e.id) q
		), added AS (
			-- Not ON CONFLICT: its speculative insertion costs every row
			-- an extra probe and WAL record, and under the group lock no
			-- one else adds members to g meanwhile.
			INSERT INTO group_members (group_id, account_id, role)
			SELECT $1, e.account_id, 'MEMBER' FROM ended e
			WHERE $2::text = 'APPROVED'
				AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.account_id = e.account_id)
		), audit AS (
			INSERT INTO audit_log (id, actor_id, actor_name, action, target_type, target_id, target_name, before, after)
			SELECT w.audit_id, NULLIF($3, '')::uuid, $4, $5, $6, w.id::text, $7,
				jsonb_build_object('status', 'PENDING'),
				jsonb_build_object('status', $2::text, 'subject', w.display_name, 'cause', $8::text)
			FROM who w
		), ev AS (
			INSERT INTO events (type, actor_id, actor_name, audit_id, group_id, subject)
			SELECT $12::text, NULLIF($3, '')::uuid, $4, w.audit_id, $1::uuid,
				jsonb_build_object('Group', $11::jsonb, 'JoinRequest', `+joinRequestSubject("$1", "$7", "$13")+`)
			FROM who w
			RETURNING id, type
		)
		SELECT (SELECT count(*) FROM who) AS ended, `+deliveryTargets("$1"),
		g.ID, e.Status, actor.ID, actorName(actor), e.Action, guildhall.TargetJoinRequest, g.Name, e.Cause, e.Reason,
		e.Remember, string(group), types[0], g.Slug)
	if err != nil {
		return 0, fmt.Errorf("end pending join requests: %w", err)
	}
	return out.Ended, out.enqueue(ctx, tx)
}

// deliveryTargets selects, from the events just inserted by the CTE "ev"
// (RETURNING id, type) about group groupID, every delivery to queue: each
// event to each enabled endpoint that subscribes to it, the site's
// endpoints and the group's, as recordEvents does. Read into targets.
func deliveryTargets(groupID string) string {
	return `COALESCE(array_agg(ev.id ORDER BY ev.id, h.id), '{}') AS events,
			COALESCE(array_agg(h.id ORDER BY ev.id, h.id), '{}') AS webhooks
		FROM ev JOIN webhooks h ON h.enabled
			AND (h.group_id IS NULL OR h.group_id = ` + groupID + `::uuid)
			AND (ev.type = ANY (h.event_types) OR '*' = ANY (h.event_types))`
}

// targets are the deliveries deliveryTargets selected.
type targets struct {
	Events   pq.StringArray `db:"events"`
	Webhooks pq.StringArray `db:"webhooks"`
}

// enqueue queues one delivery job per event and endpoint.
func (t *targets) enqueue(ctx context.Context, tx *sqlx.Tx) error {
	args := make([]webhooks.DeliverArgs, len(t.Events))
	for i := range t.Events {
		args[i] = webhooks.DeliverArgs{EventID: t.Events[i], WebhookID: t.Webhooks[i]}
	}
	return enqueueDeliveries(ctx, tx, args)
}

// joinRequestSubject is, in SQL, json.Marshal of the guildhall.JoinRequest
// that joinRequestColumns reads for the decided request w (with its
// requester's display_name) in the group whose id, name and slug are the
// parameters given: the same keys, times as Go writes them (goTime), and
// the answers as stored, which Go wrote from the same type. Every request
// is decided at the transaction's now(); a decided request has no expiry.
func joinRequestSubject(groupID, name, slug string) string {
	return `jsonb_build_object(
	'ID', w.id, 'GroupID', ` + groupID + `::uuid, 'GroupName', ` + name + `::text, 'GroupSlug', ` + slug + `::text,
	'AccountID', w.account_id, 'DisplayName', w.display_name,
	'Status', w.status, 'RejectionReason', w.rejection_reason, 'Answers', w.answers,
	'CreatedAt', ` + goTime("w.created_at") + `, 'DecidedAt', (SELECT ` + goTime("now()") + `),
	'DecidedBy', w.decided_by, 'EscalatedAt', ` + goTime("w.escalated_at") + `, 'ExpiresAt', NULL)`
}

// goTime is how encoding/json writes a time.Time that lib/pq read from the
// timestamptz ts: RFC 3339 with the session's offset, "Z" for UTC, and the
// fraction of a second without trailing zeros, which is PostgreSQL's own
// JSON form of a timestamptz but for the "Z".
func goTime(ts string) string {
	return `replace(to_jsonb(` + ts + `) #>> '{}', '+00:00', 'Z')`
}
