// Package webhooks delivers events to the endpoints that subscribe to them:
// the delivery job and its retry policy, Standard Webhooks signatures, and
// the guard that keeps deliveries away from the server's own network.
package webhooks

import (
	"time"

	"github.com/riverqueue/river"
)

// MaxAttempts spreads a delivery's attempts over about a day (see
// Backoff): the first retry after 15 s, then doubling up to 4 h apart.
const MaxAttempts = 16

// Timeout is how long an endpoint has to answer one attempt.
const Timeout = 15 * time.Second

// DeliverArgs is the job that delivers one event to one endpoint; it is
// enqueued in the transaction that records the event.
type DeliverArgs struct {
	EventID   string `json:"eventId"`
	WebhookID string `json:"webhookId"`
}

// Kind names the job in the queue.
func (DeliverArgs) Kind() string { return "webhook_delivery" }

// InsertOpts gives deliveries their day of attempts.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: MaxAttempts}
}
