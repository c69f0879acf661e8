package guildhall

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook is an endpoint that receives events: the site's (GroupID nil,
// every event) or a group's (that group's events only).
type Webhook struct {
	ID         string   `db:"id"`
	URL        string   `db:"url"`
	EventTypes []string `db:"-"`
	GroupID    *string  `db:"group_id"`
	// GroupName and GroupSlug name a group's endpoint on the pages.
	GroupName      string    `db:"group_name"`
	GroupSlug      string    `db:"group_slug"`
	Enabled        bool      `db:"enabled"`
	DisabledReason string    `db:"disabled_reason"`
	CreatedAt      time.Time `db:"created_at"`
	// LastDelivery is the newest attempt, if any was made.
	LastDelivery *Delivery `db:"-"`
}

// Subscribes reports whether the endpoint wants events of type t.
func (w *Webhook) Subscribes(t string) bool {
	return slices.Contains(w.EventTypes, AllEvents) || slices.Contains(w.EventTypes, t)
}

// NewWebhook is an endpoint to register. GroupID empty makes a site-wide
// endpoint.
type NewWebhook struct {
	URL        string
	EventTypes []string
	GroupID    string
}

// WebhookUpdate changes the fields that are not nil.
type WebhookUpdate struct {
	URL        *string
	EventTypes []string
	Enabled    *bool
}

// Delivery is one attempt to deliver an event to an endpoint.
type Delivery struct {
	ID        string    `db:"id"`
	WebhookID string    `db:"webhook_id"`
	EventID   string    `db:"event_id"`
	EventType string    `db:"event_type"`
	Attempt   int       `db:"attempt"`
	At        time.Time `db:"at"`
	// StatusCode is nil when no answer came (refused, timed out).
	StatusCode      *int          `db:"status_code"`
	Duration        time.Duration `db:"-"`
	ResponseExcerpt string        `db:"response_excerpt"`
	Error           string        `db:"error"`
	Succeeded       bool          `db:"succeeded"`
	// WebhookURL and WebhookGroupSlug name the endpoint where deliveries
	// of several are listed (the slug is "" for a site endpoint).
	WebhookURL       string `db:"webhook_url"`
	WebhookGroupSlug string `db:"webhook_group_slug"`
}

// ValidateWebhookURL checks an endpoint's URL (fields "url").
func ValidateWebhookURL(v *Validator, rawURL string) {
	v.Check(validWebhookURL(rawURL), "url", "Give an http:// or https:// URL with a host name, at most 2000 characters.")
}

// ValidateEventTypes checks a choice of event types (field "eventTypes").
// An empty choice is valid: it means all events (see NormalizeEventTypes).
func ValidateEventTypes(v *Validator, types []string) {
	for _, t := range types {
		if !ValidEventType(t) {
			v.Add("eventTypes", "There is no event type "+t+".")
			break
		}
	}
}

func validWebhookURL(raw string) bool {
	if len(raw) > 2000 || strings.TrimSpace(raw) != raw {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.User == nil
}

// NormalizeEventTypes is the one rule for a choice of event types, on the
// pages and in the API alike: the specific types chosen, each once in the
// pages' order, win over "*" (a form whose "All events" box stayed ticked
// while a person picked one type means that type); only "*" or nothing
// chosen means all events.
func NormalizeEventTypes(types []string) []string {
	var out []string
	for _, t := range EventTypes {
		if slices.Contains(types, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{AllEvents}
	}
	return out
}

// WebhookScope chooses which endpoints a list holds.
type WebhookScope struct {
	// All lists every endpoint the actor manages; otherwise GroupID picks
	// one group's endpoints, or the site's when empty.
	All     bool
	GroupID string
}

// WebhookService manages endpoints and their delivery logs.
type WebhookService interface {
	// CreateWebhook registers an endpoint and returns its secret, this once.
	CreateWebhook(ctx context.Context, actor Actor, in NewWebhook) (*Webhook, string, error)
	Webhook(ctx context.Context, actor Actor, id string) (*Webhook, error)
	ListWebhooks(ctx context.Context, actor Actor, scope WebhookScope) ([]Webhook, error)
	UpdateWebhook(ctx context.Context, actor Actor, id string, u WebhookUpdate) (*Webhook, error)
	DeleteWebhook(ctx context.Context, actor Actor, id string) (*Webhook, error)
	// Deliveries pages an endpoint's delivery log, newest first.
	Deliveries(ctx context.Context, actor Actor, id string, limit, offset int) (*Page[Delivery], error)
	Redeliver(ctx context.Context, actor Actor, webhookID, deliveryID string) error
	SendTestEvent(ctx context.Context, actor Actor, webhookID string) error
	// AuditDeliveries lists the deliveries of the events an audit entry
	// raised (site admins).
	AuditDeliveries(ctx context.Context, actor Actor, auditID int64) ([]Delivery, error)
}

// CanManageSiteWebhooks: site admins (and elevated tokens) manage the
// endpoints that receive every event.
func CanManageSiteWebhooks(a Actor) bool { return a.IsSiteAdmin() }

// CanManageGroupWebhooks: a group's admins and site admins manage the
// endpoints that receive that group's events.
func CanManageGroupWebhooks(a Actor, g *Group, role Role) bool {
	return a.IsSiteAdmin() || role == RoleAdmin
}

// NotWebhookManager is the refusal of someone who may not manage g's
// endpoints (g nil: the site's).
func NotWebhookManager(g *Group) error {
	if g == nil {
		return Forbidden("Only site admins can manage the site's webhooks.")
	}
	return Forbidden("Only the admins of %s can manage its webhooks.", g.Name)
}
