package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
	"guildhall/internal/webhooks"
)

// WebhookService manages webhook endpoints: the site's, which site admins
// manage, and each group's, which its admins manage (guildhall's rules).
type WebhookService struct {
	db    *DB
	guard *webhooks.Guard
}

// NewWebhookService returns the service; guard checks endpoint URLs.
func NewWebhookService(db *DB, guard *webhooks.Guard) *WebhookService {
	return &WebhookService{db: db, guard: guard}
}

// SetGuard replaces the URL guard (the wiring passes --webhooks-allow-private).
func (s *WebhookService) SetGuard(g *webhooks.Guard) { s.guard = g }

const webhookColumns = `w.id, w.url, w.event_types, w.group_id, COALESCE(g.name, '') AS group_name,
	COALESCE(g.slug, '') AS group_slug, w.enabled, w.disabled_reason, w.created_at,
	ld.at AS last_at, ld.status_code AS last_status, ld.succeeded AS last_succeeded,
	ld.event_type AS last_event_type`

// webhookFrom joins what webhookColumns reads: the group of a group's
// endpoint and the newest delivery attempt.
const webhookFrom = `
	FROM webhooks w
	LEFT JOIN groups g ON g.id = w.group_id
	LEFT JOIN LATERAL (
		SELECT d.at, d.status_code, d.succeeded, e.type AS event_type
		FROM webhook_deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.webhook_id = w.id ORDER BY d.at DESC, d.id DESC LIMIT 1
	) ld ON true`

type webhookRow struct {
	guildhall.Webhook
	Types         pq.StringArray `db:"event_types"`
	LastAt        *time.Time     `db:"last_at"`
	LastStatus    *int           `db:"last_status"`
	LastSucceeded *bool          `db:"last_succeeded"`
	LastEventType *string        `db:"last_event_type"`
}

func (r *webhookRow) webhook() *guildhall.Webhook {
	w := r.Webhook
	w.EventTypes = []string(r.Types)
	if r.LastAt != nil {
		w.LastDelivery = &guildhall.Delivery{WebhookID: w.ID, At: *r.LastAt, StatusCode: r.LastStatus,
			Succeeded: r.LastSucceeded != nil && *r.LastSucceeded, EventType: orEmpty(r.LastEventType)}
	}
	return &w
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func webhookNotFound() error { return guildhall.NotFound("There is no such webhook.") }

// mayManage decides whether actor manages the endpoints of groupID ("" for
// the site's) inside tx, and returns the group. A group the actor may not
// see is not found.
func mayManage(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, groupID string) (*guildhall.Group, error) {
	if groupID == "" {
		if !guildhall.CanManageSiteWebhooks(actor) {
			return nil, guildhall.NotWebhookManager(nil)
		}
		return nil, nil
	}
	g, role, err := lockGroup(ctx, tx, actor, groupID)
	if err != nil {
		return nil, err
	}
	if !guildhall.CanManageGroupWebhooks(actor, g, role) {
		return nil, guildhall.NotWebhookManager(g)
	}
	return g, nil
}

// CreateWebhook registers an endpoint and returns it with its secret, which
// is shown this once.
func (s *WebhookService) CreateWebhook(ctx context.Context, actor guildhall.Actor, in guildhall.NewWebhook) (*guildhall.Webhook, string, error) {
	if actor.ID == "" && !actor.Elevated {
		return nil, "", guildhall.Unauthenticated("Sign in to manage webhooks.")
	}
	if in.GroupID == "" && !guildhall.CanManageSiteWebhooks(actor) {
		return nil, "", guildhall.NotWebhookManager(nil)
	}
	types := guildhall.NormalizeEventTypes(in.EventTypes)
	var v guildhall.Validator
	guildhall.ValidateWebhookURL(&v, in.URL)
	guildhall.ValidateEventTypes(&v, in.EventTypes)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	if err := s.guard.CheckURL(ctx, in.URL); err != nil {
		return nil, "", err
	}
	secret := webhooks.NewSecret()
	var out *guildhall.Webhook
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := mayManage(ctx, tx, actor, in.GroupID); err != nil {
			return err
		}
		var id string
		err := tx.GetContext(ctx, &id, `
			INSERT INTO webhooks (url, event_types, group_id, secret, created_by)
			VALUES ($1, $2, NULLIF($3, '')::uuid, $4, NULLIF($5, '')::uuid)
			RETURNING id`, in.URL, pq.Array(types), in.GroupID, secret, actor.ID)
		if err != nil {
			return fmt.Errorf("insert webhook: %w", err)
		}
		out, err = readWebhook(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, secret, nil
}

func readWebhook(ctx context.Context, q sqlx.QueryerContext, id string) (*guildhall.Webhook, error) {
	if !isUUID(id) {
		return nil, webhookNotFound()
	}
	var row webhookRow
	err := sqlx.GetContext(ctx, q, &row, `SELECT `+webhookColumns+webhookFrom+` WHERE w.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, webhookNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("read webhook: %w", err)
	}
	return row.webhook(), nil
}

// lockWebhook locks endpoint id in tx once actor may manage it. Someone who
// may see what the endpoint is for (the site's; a group they can see) but
// not manage it is refused (403, with the reason); a group's endpoint whose
// group they may not see is not found, so the secret group's existence is
// not told.
func lockWebhook(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, id string) (*guildhall.Webhook, error) {
	if !isUUID(id) {
		return nil, webhookNotFound()
	}
	var groupID sql.NullString
	err := tx.GetContext(ctx, &groupID, `SELECT group_id FROM webhooks WHERE id = $1 FOR UPDATE`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, webhookNotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("lock webhook: %w", err)
	}
	if _, err := mayManage(ctx, tx, actor, groupID.String); err != nil {
		if errors.Is(err, guildhall.ErrNotFound) {
			return nil, webhookNotFound()
		}
		return nil, err
	}
	return readWebhook(ctx, tx, id)
}

// Webhook returns endpoint id to someone who may manage it.
func (s *WebhookService) Webhook(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.Webhook, error) {
	var out *guildhall.Webhook
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = lockWebhook(ctx, tx, actor, id)
		return err
	})
	return out, err
}

// ListWebhooks lists endpoints in scope, oldest first. The site's endpoints
// are for site admins, a group's for its admins.
func (s *WebhookService) ListWebhooks(ctx context.Context, actor guildhall.Actor, scope guildhall.WebhookScope) ([]guildhall.Webhook, error) {
	if actor.ID == "" && !actor.Elevated {
		return nil, guildhall.Unauthenticated("Sign in to manage webhooks.")
	}
	var rows []webhookRow
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		if !scope.All {
			if _, err := mayManage(ctx, tx, actor, scope.GroupID); err != nil {
				return err
			}
		}
		return tx.SelectContext(ctx, &rows, `SELECT `+webhookColumns+webhookFrom+`
			WHERE (w.group_id IS NULL OR g.deleted_at IS NULL)
			  AND ($1 OR w.group_id IN (SELECT group_id FROM group_members WHERE account_id = NULLIF($2, '')::uuid AND role = 'ADMIN'))
			  AND ($3 OR w.group_id IS NOT DISTINCT FROM NULLIF($4, '')::uuid)
			ORDER BY w.created_at, w.id`,
			actor.IsSiteAdmin(), actor.ID, scope.All, scope.GroupID)
	})
	if err != nil {
		return nil, err
	}
	out := make([]guildhall.Webhook, len(rows))
	for i := range rows {
		out[i] = *rows[i].webhook()
	}
	return out, nil
}

// UpdateWebhook changes an endpoint. Enabling one forgets its failures and
// the reason it was disabled; disabling records who did.
func (s *WebhookService) UpdateWebhook(ctx context.Context, actor guildhall.Actor, id string, u guildhall.WebhookUpdate) (*guildhall.Webhook, error) {
	var v guildhall.Validator
	if u.URL != nil {
		guildhall.ValidateWebhookURL(&v, *u.URL)
	}
	if u.EventTypes != nil {
		guildhall.ValidateEventTypes(&v, u.EventTypes)
	}
	var out *guildhall.Webhook
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		w, err := lockWebhook(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := v.Err(); err != nil {
			return err
		}
		if u.URL != nil && *u.URL != w.URL {
			if err := s.guard.CheckURL(ctx, *u.URL); err != nil {
				return err
			}
			w.URL = *u.URL
		}
		if u.EventTypes != nil {
			w.EventTypes = guildhall.NormalizeEventTypes(u.EventTypes)
		}
		reason := w.DisabledReason
		if u.Enabled != nil && *u.Enabled != w.Enabled {
			w.Enabled = *u.Enabled
			reason = ""
			if !w.Enabled {
				reason = "Disabled by " + actorName(actor) + "."
			}
		}
		_, err = tx.ExecContext(ctx, `
			UPDATE webhooks SET url = $2, event_types = $3, enabled = $4, disabled_reason = $5,
				failing_since = CASE WHEN $4 AND NOT enabled THEN NULL ELSE failing_since END
			WHERE id = $1`, w.ID, w.URL, pq.Array(w.EventTypes), w.Enabled, reason)
		if err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		out, err = readWebhook(ctx, tx, w.ID)
		return err
	})
	return out, err
}

// DeleteWebhook removes an endpoint with its delivery log; deliveries
// still queued for it are dropped when their turn comes.
func (s *WebhookService) DeleteWebhook(ctx context.Context, actor guildhall.Actor, id string) (*guildhall.Webhook, error) {
	var out *guildhall.Webhook
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		w, err := lockWebhook(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		out = w
		_, err = tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = $1`, w.ID)
		return err
	})
	return out, err
}
