package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
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
	// KnownAs is the group's name in the requesters' notifications.
	KnownAs string
	// Later leaves the fan-out (each request's audit entry, event and
	// notification) to an EndedRequestsFanOut job queued in the change's
	// transaction, instead of writing it in that transaction.
	Later bool
}

// endPendingJoinRequests moves every pending join request of g to e.Status
// in one statement, with the members an approval adds, and draws from
// audit_log_id_seq one id per request for its audit entry
// (decision_audit_id). Then the fan-out, one audit entry, one event
// (queued for each endpoint that subscribes) and one notification per
// request, is written by fanOutEndedRequests: in this transaction, or,
// with e.Later, by a job queued in it, which the worker runs a moment
// after the change commits (a privacy change ending 10,000 requests spent
// two thirds of its time on that fan-out: docs/perf.md, "Privacy change
// with 10,000 pending"). The event's group is g as the caller passes it.
// It returns how many requests it ended. The caller holds the group lock
// and brings members_count up to date.
func endPendingJoinRequests(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, e endRequests) (int64, error) {
	group, err := json.Marshal(g)
	if err != nil {
		return 0, fmt.Errorf("event subject: %w", err)
	}
	if types := guildhall.EventsOf(e.Action); len(types) != 1 { // refused here, not by a job retried in vain
		return 0, fmt.Errorf("end pending join requests: %s raises %d events, want one", e.Action, len(types))
	}
	var out struct {
		Ended     int64     `db:"ended"`
		DecidedAt time.Time `db:"decided_at"`
	}
	// Each request draws its audit entry's id as it is ended, in whatever
	// order the update meets them; the fan-out hands the ids out again
	// in the requests' order. Drawing them in that order here would take
	// a join of the requests with themselves, which stale statistics (a
	// queue just refilled, counted when it was empty) turn into 10,000 ×
	// 10,000 comparisons.
	err = tx.GetContext(ctx, &out, `
		WITH ended AS (
			UPDATE join_requests
			SET status = $2::text, decided_at = now(), decided_by = NULLIF($3, '')::uuid, rejection_reason = $4,
				known_group_name = COALESCE(NULLIF($5, ''), known_group_name),
				decision_audit_id = nextval('audit_log_id_seq')
			WHERE group_id = $1 AND status = 'PENDING'
			RETURNING account_id
		), added AS (
			-- Not ON CONFLICT: its speculative insertion costs every row
			-- an extra probe and WAL record, and under the group lock no
			-- one else adds members to g meanwhile.
			INSERT INTO group_members (group_id, account_id, role)
			SELECT $1, e.account_id, 'MEMBER' FROM ended e
			WHERE $2::text = 'APPROVED'
				AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.group_id = $1 AND m.account_id = e.account_id)
		)
		SELECT (SELECT count(*) FROM ended) AS ended, now() AS decided_at`,
		g.ID, e.Status, actor.ID, e.Reason, e.Remember)
	if err != nil {
		return 0, fmt.Errorf("end pending join requests: %w", err)
	}
	if out.Ended == 0 {
		return 0, nil
	}
	job := EndedRequestsFanOut{
		GroupID: g.ID, Status: e.Status, DecidedAt: out.DecidedAt,
		ActorID: actor.ID, ActorName: actorName(actor), Action: e.Action, Cause: e.Cause, Reason: e.Reason,
		GroupName: g.Name, GroupSlug: g.Slug, KnownAs: e.KnownAs, Group: group,
	}
	if e.Later {
		_, err = jobs.InsertTx(ctx, tx, job, nil)
	} else {
		_, err = fanOutEndedRequests(ctx, db, tx, job)
	}
	return out.Ended, err
}

// EndedRequestsFanOut is the job that writes what a change that ended a
// group's pending join requests at once tells about each of them: its
// audit entry (under the id the change drew for it, dated at the change),
// its event (dated at the change, with the group as the change left it)
// and that event's webhook deliveries, and its requester's notification
// with their unread count. The change queues it in its own transaction;
// the fan-out therefore appears a moment after the change commits, the
// same rows, texts and payloads as if the change had written them.
type EndedRequestsFanOut struct {
	GroupID string           `json:"groupId"`
	Status  guildhall.Status `json:"status"`
	// DecidedAt is the change's now(): with GroupID and Status it names
	// the requests the change ended.
	DecidedAt time.Time `json:"decidedAt"`
	ActorID   string    `json:"actorId,omitempty"`
	ActorName string    `json:"actorName"`
	Action    string    `json:"action"`
	Cause     string    `json:"cause"`
	Reason    string    `json:"reason,omitempty"`
	// GroupName and GroupSlug are the group's after the change (audit
	// target, the request in the event); KnownAs is the name the
	// requesters' notifications give.
	GroupName string `json:"groupName"`
	GroupSlug string `json:"groupSlug"`
	KnownAs   string `json:"knownAs"`
	// Group is the event subject's group, marshalled by the change.
	Group json.RawMessage `json:"group"`
}

// Kind names the job in the queue.
func (EndedRequestsFanOut) Kind() string { return "ended_requests_fan_out" }

// FanOutEndedRequests works an EndedRequestsFanOut job in a transaction of
// its own and returns how many audit entries it wrote: none when a run
// before it wrote them (a retry, or the same job run twice at once, which
// waits for the other and then finds its entries), so nothing is written
// twice.
func (s *MembershipService) FanOutEndedRequests(ctx context.Context, job EndedRequestsFanOut) (int64, error) {
	var n int64
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		n, err = fanOutEndedRequests(ctx, s.db, tx, job)
		return err
	})
	return n, err
}

// fanOutEndedRequests writes, in tx, the fan-out of the requests job names
// (see EndedRequestsFanOut): the audit entries and events in one
// statement, built in SQL (the subject is the document json.Marshal gives
// for guildhall.EventSubject{Group: g, JoinRequest: r}, which
// TestEndedRequestEventsAsGoWritesThem holds them to), the deliveries
// queued, then the notifications; nothing when a run before wrote them.
func fanOutEndedRequests(ctx context.Context, db *DB, tx *sqlx.Tx, job EndedRequestsFanOut) (int64, error) {
	types := guildhall.EventsOf(job.Action)
	if len(types) != 1 {
		return 0, fmt.Errorf("ended join requests: %s raises %d events, want one", job.Action, len(types))
	}
	// Runs of the same job (a retry after a lost acknowledgement, two
	// instances at once) take turns, and a run after one that committed
	// finds its entries and writes nothing: all of a change's entries are
	// written in one transaction, so one found means all were, with their
	// events and notifications. The lock first, then the look in a
	// statement of its own: a statement sees what committed before it
	// began, and the run it waited for committed while it waited.
	_, err := tx.ExecContext(ctx, `
		SELECT pg_advisory_xact_lock(hashtextextended($1::text || ' ' || $2::text || ' ' || $3::timestamptz::text, 0))`,
		job.GroupID, job.Status, job.DecidedAt)
	if err != nil {
		return 0, fmt.Errorf("fan out ended join requests: %w", err)
	}
	var done bool
	err = tx.GetContext(ctx, &done, `
		SELECT EXISTS (
			SELECT 1 FROM join_requests r JOIN audit_log a ON a.id = r.decision_audit_id
			WHERE r.group_id = $1 AND r.status = $2 AND r.decided_at = $3)`,
		job.GroupID, job.Status, job.DecidedAt)
	if err != nil {
		return 0, fmt.Errorf("fan out ended join requests: %w", err)
	}
	if done {
		return 0, nil
	}
	var out struct {
		Written int64 `db:"written"`
		targets
	}
	// w pairs the requests, in their order (created_at, id), with the
	// audit ids the change drew for them, in theirs, so the entries are
	// numbered as they always were; it is read by each insert in one
	// pass, and neither joins another CTE, whose row counts the planner
	// cannot know.
	err = tx.GetContext(ctx, &out, `
		WITH w AS (
			SELECT r.*, ids.a[r.k] AS audit_id, a.display_name FROM (
				SELECT id, account_id, status, rejection_reason, answers, created_at, decided_at, decided_by, escalated_at,
					row_number() OVER (ORDER BY created_at, id) AS k
				FROM join_requests
				WHERE group_id = $1 AND status = $2::text AND decided_at = $3 AND decision_audit_id IS NOT NULL) r
			CROSS JOIN (
				SELECT array_agg(decision_audit_id ORDER BY decision_audit_id) AS a FROM join_requests
				WHERE group_id = $1 AND status = $2::text AND decided_at = $3 AND decision_audit_id IS NOT NULL) ids
			JOIN accounts a ON a.id = r.account_id
		), audit AS (
			INSERT INTO audit_log (id, at, actor_id, actor_name, action, target_type, target_id, target_name, before, after)
			SELECT w.audit_id, w.decided_at, NULLIF($4, '')::uuid, $5, $6, $7, w.id::text, $8,
				jsonb_build_object('status', 'PENDING'),
				jsonb_build_object('status', w.status, 'subject', w.display_name, 'cause', $9::text)
			FROM w
		), ev AS (
			-- (SELECT $11::jsonb): the group parsed once, not per row.
			INSERT INTO events (type, at, actor_id, actor_name, audit_id, group_id, subject)
			SELECT $10::text, w.decided_at, NULLIF($4, '')::uuid, $5, w.audit_id, $1::uuid,
				jsonb_build_object('Group', (SELECT $11::jsonb), 'JoinRequest', `+joinRequestSubject("$1", "$8", "$12")+`)
			FROM w
			RETURNING id, type
		)
		SELECT (SELECT count(*) FROM w) AS written, `+deliveryTargets("$1"),
		job.GroupID, job.Status, job.DecidedAt, job.ActorID, job.ActorName, job.Action, guildhall.TargetJoinRequest,
		job.GroupName, job.Cause, types[0], string(job.Group), job.GroupSlug)
	if err != nil {
		return 0, fmt.Errorf("fan out ended join requests: %w", err)
	}
	if out.Written == 0 {
		return 0, nil
	}
	if err := out.enqueue(ctx, tx); err != nil {
		return 0, err
	}
	_, err = db.notifyFrom(ctx, tx, newNotification{Kind: guildhall.JoinRequestDecided, GroupID: job.GroupID, GroupName: job.KnownAs,
		Status: job.Status, Reason: job.Reason, At: job.DecidedAt}, `
		SELECT account_id FROM join_requests
		WHERE group_id = NULLIF($4, '')::uuid AND status = $6::text AND decided_at = $1 AND decision_audit_id IS NOT NULL`, job.DecidedAt)
	return out.Written, err
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
// the answers as stored, which Go wrote from the same type. A decided
// request has no expiry.
func joinRequestSubject(groupID, name, slug string) string {
	return `jsonb_build_object(
	'ID', w.id, 'GroupID', ` + groupID + `::uuid, 'GroupName', ` + name + `::text, 'GroupSlug', ` + slug + `::text,
	'AccountID', w.account_id, 'DisplayName', w.display_name,
	'Status', w.status, 'RejectionReason', w.rejection_reason, 'Answers', w.answers,
	'CreatedAt', ` + goTime("w.created_at") + `, 'DecidedAt', ` + goTime("w.decided_at") + `,
	'DecidedBy', w.decided_by, 'EscalatedAt', ` + goTime("w.escalated_at") + `, 'ExpiresAt', NULL)`
}

// goTime is how encoding/json writes a time.Time that lib/pq read from the
// timestamptz ts: RFC 3339 with the session's offset, "Z" for UTC, and the
// fraction of a second without trailing zeros, which is PostgreSQL's own
// JSON form of a timestamptz but for the "Z".
func goTime(ts string) string {
	return `replace(to_jsonb(` + ts + `) #>> '{}', '+00:00', 'Z')`
}
