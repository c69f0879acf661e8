package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// expiresAtColumn is when a pending request r expires while the site's
// expiry is on, NULL otherwise (site_settings is one row: read once).
const expiresAtColumn = `CASE WHEN r.status = 'PENDING'
	THEN r.created_at + make_interval(days => (SELECT expire_after_days FROM site_settings)) END AS expires_at`

// LifecycleService runs the request lifecycle: it expires, reminds about
// and escalates pending requests as the site settings say, as of the
// database's clock (DB.Now, which tests move forward instead of waiting).
// Every pass is safe to run again and from several instances at once:
// each request row is claimed with FOR UPDATE SKIP LOCKED and marked, so
// it is expired, reminded about and escalated once.
type LifecycleService struct{ db *DB }

// NewLifecycleService returns the request lifecycle service.
func NewLifecycleService(db *DB) *LifecycleService { return &LifecycleService{db: db} }

// lifecycleChunk is how many requests one transaction handles, so a pass
// over a large backlog never holds many locks for long.
const lifecycleChunk = 200

// systemActor is Guildhall itself, the actor of what the timers do: the
// audit log shows it by name with no account.
var systemActor = guildhall.Actor{Account: guildhall.Account{DisplayName: guildhall.SystemActorName}}

// Run makes one pass: expiry first (an expired request is neither
// reminded about nor escalated), then reminders, then escalation.
func (s *LifecycleService) Run(ctx context.Context) (guildhall.LifecycleRun, error) {
	var run guildhall.LifecycleRun
	var l guildhall.RequestLifecycle
	err := s.db.GetContext(ctx, &l, `SELECT expire_after_days, remind_after_days, escalate_after_days FROM site_settings`)
	if err != nil {
		return run, fmt.Errorf("read lifecycle settings: %w", err)
	}
	now := s.db.Now()
	if l.ExpireAfterDays != nil {
		if run.Expired, err = s.expire(ctx, *l.ExpireAfterDays, now); err != nil {
			return run, err
		}
	}
	if l.RemindAfterDays != nil {
		if run.Reminded, err = s.remind(ctx, now.Add(-guildhall.Days(*l.RemindAfterDays)), now); err != nil {
			return run, err
		}
	}
	if l.EscalateAfterDays != nil {
		if run.Escalated, err = s.escalate(ctx, now.Add(-guildhall.Days(*l.EscalateAfterDays)), now); err != nil {
			return run, err
		}
	}
	return run, nil
}

// chunks runs step in a transaction of its own until it handles fewer
// than a chunk, and returns how many it handled in all.
func (s *LifecycleService) chunks(ctx context.Context, step func(tx *sqlx.Tx) (int, error)) (int, error) {
	total := 0
	for {
		var n int
		err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			n, err = step(tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < lifecycleChunk {
			return total, nil
		}
	}
}

// expire rejects every request pending longer than days, with the reason
// the requester reads, notifies the requester and records each in the
// audit log with the system as actor.
func (s *LifecycleService) expire(ctx context.Context, days int, now time.Time) (int, error) {
	cutoff := now.Add(-guildhall.Days(days))
	reason := guildhall.ExpiryReason(days)
	after := map[string]any{"reason": reason, "cause": "expired"}
	joins, err := s.chunks(ctx, func(tx *sqlx.Tx) (int, error) {
		var rows []joinRequestRow
		err := tx.SelectContext(ctx, &rows, `
			WITH r AS (
				UPDATE join_requests SET status = 'REJECTED', rejection_reason = $2, decided_at = $3, decided_by = NULL
				WHERE id IN (SELECT id FROM join_requests WHERE status = 'PENDING' AND created_at <= $1
					ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
				RETURNING *
			)
			SELECT `+joinRequestColumns+` FROM r`+joinRequestFrom, cutoff, reason, now, lifecycleChunk)
		if err != nil {
			return 0, fmt.Errorf("expire join requests: %w", err)
		}
		groups, err := groupsByID(ctx, tx, rows)
		if err != nil {
			return 0, err
		}
		for i := range rows {
			r, err := rows[i].request()
			if err != nil {
				return 0, err
			}
			g := groups[r.GroupID]
			err = writeAudit(ctx, tx, requestAudit(systemActor, guildhall.ActionJoinRequestRejected, g, r, guildhall.Pending, after))
			if err != nil {
				return 0, err
			}
			if err := s.db.notifyJoinDecision(ctx, tx, g, r); err != nil {
				return 0, err
			}
		}
		return len(rows), nil
	})
	if err != nil {
		return joins, err
	}
	creates, err := s.chunks(ctx, func(tx *sqlx.Tx) (int, error) {
		var rows []guildhall.CreateRequest
		err := tx.SelectContext(ctx, &rows, `
			WITH r AS (
				UPDATE create_requests SET status = 'REJECTED', rejection_reason = $2, decided_at = $3, decided_by = NULL
				WHERE id IN (SELECT id FROM create_requests WHERE status = 'PENDING' AND created_at <= $1
					ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED)
				RETURNING *
			)
			SELECT `+createRequestColumns+` FROM r JOIN accounts a ON a.id = r.requester_id
			LEFT JOIN groups g ON g.id = r.group_id AND g.deleted_at IS NULL`, cutoff, reason, now, lifecycleChunk)
		if err != nil {
			return 0, fmt.Errorf("expire create requests: %w", err)
		}
		for i := range rows {
			c := &rows[i]
			err := writeAudit(ctx, tx, guildhall.AuditRecord{
				ActorName: guildhall.SystemActorName, Action: guildhall.ActionCreateRequestRejected,
				TargetType: guildhall.TargetCreateRequest, TargetID: c.ID, TargetName: c.Name,
				Before:  map[string]any{"status": guildhall.Pending},
				After:   map[string]any{"status": c.Status, "reason": reason, "cause": "expired", "subject": c.RequesterName},
				Subject: &guildhall.EventSubject{CreateRequest: c},
			})
			if err != nil {
				return 0, err
			}
			if err := s.db.notifyCreateDecision(ctx, tx, c); err != nil {
				return 0, err
			}
		}
		return len(rows), nil
	})
	return joins + creates, err
}

// remind marks every pending request created before cutoff that was not
// reminded about yet, and tells each decider once how many of theirs were:
// a group's deciders for join requests, the site admins for create
// requests. The reminder joins the decider's unread reminder if there is
// one, so a decider who does not look gets one notification, not many.
func (s *LifecycleService) remind(ctx context.Context, cutoff, now time.Time) (int, error) {
	joins, err := s.chunks(ctx, func(tx *sqlx.Tx) (int, error) {
		var due []struct {
			GroupID string `db:"group_id"`
			N       int    `db:"n"`
		}
		err := tx.SelectContext(ctx, &due, `
			WITH r AS (
				UPDATE join_requests SET reminded_at = $2
				WHERE id IN (SELECT id FROM join_requests WHERE status = 'PENDING' AND reminded_at IS NULL AND created_at <= $1
					ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
				RETURNING group_id
			)
			SELECT group_id, count(*) AS n FROM r GROUP BY group_id`, cutoff, now, lifecycleChunk)
		if err != nil {
			return 0, fmt.Errorf("mark join requests reminded: %w", err)
		}
		total := 0
		perDecider := map[string]int{}
		for _, d := range due {
			total += d.N
			to, err := deciders(ctx, tx, []string{d.GroupID}, "00000000-0000-0000-0000-000000000000")
			if err != nil {
				return 0, err
			}
			for _, id := range to {
				perDecider[id] += d.N
			}
		}
		for id, n := range perDecider {
			if err := s.db.notifyOne(ctx, tx, newNotification{Kind: guildhall.RequestsReminder, Batch: true, Count: n}, id); err != nil {
				return 0, err
			}
		}
		return total, nil
	})
	if err != nil {
		return joins, err
	}
	creates, err := s.chunks(ctx, func(tx *sqlx.Tx) (int, error) {
		var n int
		err := tx.GetContext(ctx, &n, `
			WITH r AS (
				UPDATE create_requests SET reminded_at = $2
				WHERE id IN (SELECT id FROM create_requests WHERE status = 'PENDING' AND reminded_at IS NULL AND created_at <= $1
					ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
				RETURNING id
			)
			SELECT count(*) FROM r`, cutoff, now, lifecycleChunk)
		if err != nil || n == 0 {
			return n, err
		}
		admins, err := siteAdmins(ctx, tx)
		if err != nil {
			return 0, err
		}
		_, err = s.db.notify(ctx, tx, newNotification{Kind: guildhall.RequestsReminder, Batch: true, Count: n}, admins)
		return n, err
	})
	return joins + creates, err
}

// escalate marks every pending join request created before cutoff that
// was not escalated yet; the site admins' inbox shows it marked escalated
// until it is decided, and each site admin is told how many.
func (s *LifecycleService) escalate(ctx context.Context, cutoff, now time.Time) (int, error) {
	return s.chunks(ctx, func(tx *sqlx.Tx) (int, error) {
		var n int
		err := tx.GetContext(ctx, &n, `
			WITH r AS (
				UPDATE join_requests SET escalated_at = $2
				WHERE id IN (SELECT id FROM join_requests WHERE status = 'PENDING' AND escalated_at IS NULL AND created_at <= $1
					ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
				RETURNING id
			)
			SELECT count(*) FROM r`, cutoff, now, lifecycleChunk)
		if err != nil {
			return 0, fmt.Errorf("escalate join requests: %w", err)
		}
		if n == 0 {
			return 0, nil
		}
		admins, err := siteAdmins(ctx, tx)
		if err != nil {
			return 0, err
		}
		_, err = s.db.notify(ctx, tx, newNotification{Kind: guildhall.RequestsEscalated, Batch: true, Count: n}, admins)
		return n, err
	})
}
