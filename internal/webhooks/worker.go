package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"guildhall/internal/guildhall"
)

// Target is what one delivery needs: the event, and where and how to send
// it.
type Target struct {
	Event   *guildhall.Event
	URL     string
	Secret  string
	Enabled bool
}

// Store is what the delivery job reads and writes.
type Store interface {
	// DeliveryTarget returns the event and endpoint of a delivery, or an
	// error of kind guildhall.ErrNotFound when either is gone.
	DeliveryTarget(ctx context.Context, eventID, webhookID string) (*Target, error)
	// RecordDelivery logs an attempt; a failure starts or continues the
	// endpoint's failing day. It reports whether the endpoint is now
	// disabled.
	RecordDelivery(ctx context.Context, d *guildhall.Delivery) (disabled bool, err error)
}

// Render is the JSON body of an event, {type, timestamp, data}, as the API
// shapes its objects.
type Render func(*guildhall.Event) ([]byte, error)

// Worker delivers one event to one endpoint per job; River retries a failed
// attempt with Backoff.
type Worker struct {
	river.WorkerDefaults[DeliverArgs]
	Store  Store
	Render Render
	Client *http.Client
}

// excerptLimit bounds the response text kept in the delivery log.
const excerptLimit = 500

// Timeout bounds the whole job: one attempt's Timeout and the bookkeeping.
func (w *Worker) Timeout(*river.Job[DeliverArgs]) time.Duration { return Timeout + 15*time.Second }

// NextRetry is Backoff of the attempt just made.
func (w *Worker) NextRetry(j *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(Backoff(j.Attempt))
}

// Backoff is the wait after failed attempt n: 15 s doubling to at most
// 4 h, ±20 % jitter so endpoints that fail together do not retry together.
// Over MaxAttempts that spreads across about a day.
func Backoff(n int) time.Duration {
	d := 15 * time.Second << min(max(n-1, 0), 10)
	d = min(d, 4*time.Hour)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// Work makes one attempt.
func (w *Worker) Work(ctx context.Context, j *river.Job[DeliverArgs]) error {
	t, err := w.Store.DeliveryTarget(ctx, j.Args.EventID, j.Args.WebhookID)
	if errors.Is(err, guildhall.ErrNotFound) {
		return river.JobCancel(err) // the endpoint was deleted: nothing to deliver
	}
	if err != nil {
		return err
	}
	if !t.Enabled {
		return river.JobCancel(errors.New("the endpoint is disabled"))
	}
	body, err := w.Render(t.Event)
	if err != nil {
		return river.JobCancel(fmt.Errorf("render event %s: %w", t.Event.ID, err))
	}
	d := w.send(ctx, t, body)
	d.WebhookID, d.EventID, d.EventType = j.Args.WebhookID, t.Event.ID, t.Event.Type
	disabled, err := w.Store.RecordDelivery(ctx, d)
	if err != nil {
		return err
	}
	switch {
	case d.Succeeded:
		return nil
	case disabled:
		return river.JobCancel(fmt.Errorf("endpoint disabled after a day of failures: %s", d.Error))
	}
	return errors.New(d.Error)
}

// send posts the signed body once and describes what happened.
func (w *Worker) send(ctx context.Context, t *Target, body []byte) *guildhall.Delivery {
	start := time.Now()
	d := &guildhall.Delivery{At: start}
	ts := start.Unix()
	sig, err := Sign(t.Secret, t.Event.ID, ts, body)
	if err != nil {
		d.Error = err.Error()
		return d
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(body))
	if err != nil {
		d.Error = err.Error()
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Guildhall-Webhooks/1")
	req.Header.Set("webhook-id", t.Event.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	res, err := w.Client.Do(req)
	if err != nil {
		d.Duration = time.Since(start)
		d.Error = err.Error()
		return d
	}
	defer res.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(res.Body, excerptLimit))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)) // lets the connection be reused
	d.Duration = time.Since(start)
	code := res.StatusCode
	d.StatusCode = &code
	d.ResponseExcerpt = excerptOf(excerpt)
	d.Succeeded = code >= 200 && code < 300
	if !d.Succeeded {
		d.Error = "HTTP " + strconv.Itoa(code)
	}
	return d
}

// excerptOf keeps valid text only (a character cut at the limit is dropped).
func excerptOf(b []byte) string { return strings.ToValidUTF8(string(b), "") }
