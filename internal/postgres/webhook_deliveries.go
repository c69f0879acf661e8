package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/webhooks"
)

const deliveryColumns = `d.id, d.webhook_id, d.event_id, e.type AS event_type, d.attempt, d.at,
	d.status_code, d.duration_ms, d.response_excerpt, d.error, d.succeeded, w.url AS webhook_url,
	COALESCE((SELECT g.slug FROM groups g WHERE g.id = w.group_id), '') AS webhook_group_slug`

type deliveryRow struct {
	guildhall.Delivery
	DurationMS int64 `db:"duration_ms"`
}

func deliveries(rows []deliveryRow) []guildhall.Delivery {
	out := make([]guildhall.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.Delivery
		out[i].Duration = time.Duration(r.DurationMS) * time.Millisecond
	}
	return out
}

// Deliveries pages the delivery log of an endpoint, newest first.
func (s *WebhookService) Deliveries(ctx context.Context, actor guildhall.Actor, id string, limit, offset int) (*guildhall.Page[guildhall.Delivery], error) {
	var v guildhall.Validator
	guildhall.CheckPage(&v, "", &limit, offset)
	if err := v.Err(); err != nil {
		return nil, err
	}
	page := &guildhall.Page[guildhall.Delivery]{Offset: offset, Limit: limit}
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		w, err := lockWebhook(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &page.Total, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1`, w.ID); err != nil {
			return fmt.Errorf("count deliveries: %w", err)
		}
		var rows []deliveryRow
		err = tx.SelectContext(ctx, &rows, `SELECT `+deliveryColumns+`
			FROM webhook_deliveries d JOIN events e ON e.id = d.event_id JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.webhook_id = $1
			ORDER BY d.at DESC, d.id DESC
			LIMIT $2 OFFSET $3`, w.ID, limit, offset)
		page.Items = deliveries(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// Redeliver sends the event of a logged delivery to its endpoint again, as
// a new job with its own day of attempts (the webhook-id stays the event's).
// The new job replaces the event's retry chain to that endpoint: the
// pending one is cancelled in the same transaction, so one event has one
// chain per endpoint and the log no attempt twice.
func (s *WebhookService) Redeliver(ctx context.Context, actor guildhall.Actor, webhookID, deliveryID string) error {
	return s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		w, err := lockWebhook(ctx, tx, actor, webhookID)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return guildhall.FailedPrecondition("This webhook is disabled; enable it to deliver to it.")
		}
		var eventID string
		err = tx.GetContext(ctx, &eventID, `SELECT event_id FROM webhook_deliveries WHERE id = $1 AND webhook_id = $2`,
			nullUUID(deliveryID), w.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return guildhall.NotFound("This webhook has no such delivery.")
		}
		if err != nil {
			return fmt.Errorf("read delivery: %w", err)
		}
		args := webhooks.DeliverArgs{EventID: eventID, WebhookID: w.ID}
		if err := cancelDeliveries(ctx, tx, args); err != nil {
			return err
		}
		return enqueueDeliveries(ctx, tx, []webhooks.DeliverArgs{args})
	})
}

// cancelDeliveries cancels the unfinished delivery jobs of one event to one
// endpoint (the webhook row is locked, so no other redelivery races this).
func cancelDeliveries(ctx context.Context, tx *sqlx.Tx, args webhooks.DeliverArgs) error {
	match, err := json.Marshal(args)
	if err != nil {
		return err
	}
	var ids []int64
	err = tx.SelectContext(ctx, &ids, `
		SELECT id FROM river_job
		WHERE kind = $1 AND args @> $2::jsonb AND finalized_at IS NULL`, args.Kind(), string(match))
	if err != nil {
		return fmt.Errorf("find pending deliveries: %w", err)
	}
	return jobs.CancelTx(ctx, tx, ids)
}

// nullUUID is id, or NULL when it is no UUID (which then matches nothing).
func nullUUID(id string) any {
	if !isUUID(id) {
		return nil
	}
	return id
}

// SendTestEvent sends a webhook.test event to the one endpoint.
func (s *WebhookService) SendTestEvent(ctx context.Context, actor guildhall.Actor, webhookID string) error {
	return s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		w, err := lockWebhook(ctx, tx, actor, webhookID)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return guildhall.FailedPrecondition("This webhook is disabled; enable it to send it a test event.")
		}
		w.LastDelivery = nil
		doc, err := json.Marshal(guildhall.EventSubject{Webhook: w})
		if err != nil {
			return err
		}
		var eventID string
		err = tx.GetContext(ctx, &eventID, `
			INSERT INTO events (type, actor_id, actor_name, group_id, subject)
			VALUES ($1, NULLIF($2, '')::uuid, $3, $4, $5) RETURNING id`,
			guildhall.EventWebhookTest, actor.ID, actorName(actor), w.GroupID, doc)
		if err != nil {
			return fmt.Errorf("record test event: %w", err)
		}
		return enqueueDeliveries(ctx, tx, []webhooks.DeliverArgs{{EventID: eventID, WebhookID: w.ID}})
	})
}

// AuditDeliveries lists the deliveries of the events an audit entry raised,
// oldest first, for site admins: the audit log and the events agree.
func (s *WebhookService) AuditDeliveries(ctx context.Context, actor guildhall.Actor, auditID int64) ([]guildhall.Delivery, error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, guildhall.Forbidden("Only site admins can see the deliveries of audited changes.")
	}
	var rows []deliveryRow
	err := s.db.SelectContext(ctx, &rows, `SELECT `+deliveryColumns+`
		FROM events e JOIN webhook_deliveries d ON d.event_id = e.id JOIN webhooks w ON w.id = d.webhook_id
		WHERE e.audit_id = $1
		ORDER BY d.at, d.id`, auditID)
	if err != nil {
		return nil, fmt.Errorf("read audit deliveries: %w", err)
	}
	return deliveries(rows), nil
}

// DeliveryTarget returns what delivering eventID to webhookID needs.
func (s *WebhookService) DeliveryTarget(ctx context.Context, eventID, webhookID string) (*webhooks.Target, error) {
	var row struct {
		guildhall.Event
		SubjectJSON []byte         `db:"subject"`
		ActorID     sql.NullString `db:"actor_id"`
		AuditID     sql.NullInt64  `db:"audit_id"`
		URL         string         `db:"url"`
		Secret      string         `db:"secret"`
		Enabled     bool           `db:"enabled"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT e.id, e.type, e.at, e.actor_id, e.actor_name, e.audit_id, e.subject, w.url, w.secret, w.enabled
		FROM events e, webhooks w WHERE e.id = $1 AND w.id = $2`, nullUUID(eventID), nullUUID(webhookID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.NotFound("The event or the webhook is gone.")
	}
	if err != nil {
		return nil, fmt.Errorf("read delivery target: %w", err)
	}
	ev := row.Event
	ev.ActorID, ev.AuditID = row.ActorID.String, row.AuditID.Int64
	if err := json.Unmarshal(row.SubjectJSON, &ev.Subject); err != nil {
		return nil, fmt.Errorf("event %s subject: %w", ev.ID, err)
	}
	return &webhooks.Target{Event: &ev, URL: row.URL, Secret: row.Secret, Enabled: row.Enabled}, nil
}

// failingDay is how long an endpoint may fail every delivery before it is
// disabled.
const failingDay = 24 * time.Hour

// RecordDelivery logs one attempt. A success ends the endpoint's failing
// streak; a failure starts one or, once it has lasted a day, disables the
// endpoint with the reason shown on its page.
func (s *WebhookService) RecordDelivery(ctx context.Context, d *guildhall.Delivery) (bool, error) {
	disabled := false
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO webhook_deliveries (webhook_id, event_id, attempt, at, status_code, duration_ms,
				response_excerpt, error, succeeded)
			SELECT $1, $2, count(*) + 1, $3, $4, $5, $6, $7, $8
			FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2`,
			d.WebhookID, d.EventID, d.At, d.StatusCode, d.Duration.Milliseconds(), d.ResponseExcerpt, d.Error, d.Succeeded)
		if err != nil {
			return fmt.Errorf("log delivery: %w", err)
		}
		if d.Succeeded {
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failing_since = NULL WHERE id = $1`, d.WebhookID)
			return err
		}
		err = tx.GetContext(ctx, &disabled, `
			UPDATE webhooks SET
				failing_since = COALESCE(failing_since, $2),
				enabled = enabled AND COALESCE(failing_since, $2) > now() - $3::interval,
				disabled_reason = CASE WHEN enabled AND COALESCE(failing_since, $2) <= now() - $3::interval
					THEN 'Every delivery failed for a day (the last: ' || $4 || '), so it was disabled on '
						|| to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC.'
					ELSE disabled_reason END
			WHERE id = $1
			RETURNING NOT enabled`, d.WebhookID, d.At, fmt.Sprintf("%d seconds", int(failingDay.Seconds())), d.Error)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // deleted meanwhile
		}
		return err
	})
	return disabled, err
}
