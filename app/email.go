package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"guildhall/internal/guildhall"
	"guildhall/internal/mail"
	"guildhall/internal/postgres"
)

// emailer works NotificationEmail jobs: it reads the notifications as they
// are now and sends them; an error (the server down or refusing) leaves the
// job to River, which retries it with backoff.
type emailer struct {
	river.WorkerDefaults[postgres.NotificationEmail]
	notifications *postgres.NotificationService
	sender        *mail.Sender
	baseURL       string
	logger        *slog.Logger
}

func (w *emailer) Work(ctx context.Context, job *river.Job[postgres.NotificationEmail]) error {
	if w.sender == nil {
		// Queued while email was on; this instance has none configured.
		return nil
	}
	c, err := w.notifications.EmailContent(ctx, job.Args)
	if errors.Is(err, guildhall.ErrNotFound) {
		return nil // the account is gone
	}
	if err != nil {
		return err
	}
	if len(c.Notifications) == 0 {
		return nil
	}
	key, err := w.notifications.SigningKey(ctx)
	if err != nil {
		return err
	}
	topic := ""
	if !job.Args.Digest {
		topic = string(c.Notifications[0].Kind.Topic())
	}
	unsubscribe := w.baseURL + "/unsubscribe?t=" + url.QueryEscape(mail.UnsubscribeToken(key, job.Args.AccountID, topic))
	m := composeEmail(c, job.Args.Digest, w.baseURL, unsubscribe, guildhall.EmailTopic(topic))
	m.To = c.Email
	return w.sender.Send(ctx, m)
}

// composeEmail writes the subject and plain-text body of one email.
func composeEmail(c *postgres.EmailContent, digest bool, baseURL, unsubscribe string, topic guildhall.EmailTopic) mail.Message {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n", c.DisplayName)
	subject := c.Notifications[0].Message()
	if digest {
		subject = fmt.Sprintf("Guildhall: your daily digest (%d)", len(c.Notifications))
		b.WriteString("Here is what happened since your last digest:\n\n")
	}
	for _, n := range c.Notifications {
		fmt.Fprintf(&b, "- %s\n", n.Message())
		if link := n.Link(); link != "" {
			fmt.Fprintf(&b, "  %s%s\n", baseURL, link)
		}
	}
	fmt.Fprintf(&b, "\nAll your notifications: %s/notifications\n", baseURL)
	what := "all emails from Guildhall"
	if topic != "" {
		what = "emails about " + strings.ToLower(topic.Label())
	}
	fmt.Fprintf(&b, "\nTo stop %s, open %s\n(or choose what you get at %s/profile).\n", what, unsubscribe, baseURL)
	return mail.Message{Subject: subject, Body: b.String(), Unsubscribe: unsubscribe}
}

// lifecycleRun is the periodic pass of the request lifecycle.
type lifecycleRun struct{}

// Kind names the job in the queue.
func (lifecycleRun) Kind() string { return "request_lifecycle" }

type lifecycleWorker struct {
	river.WorkerDefaults[lifecycleRun]
	lifecycle *postgres.LifecycleService
	logger    *slog.Logger
}

func (w *lifecycleWorker) Work(ctx context.Context, _ *river.Job[lifecycleRun]) error {
	run, err := w.lifecycle.Run(ctx)
	if err != nil {
		return err
	}
	if run != (guildhall.LifecycleRun{}) {
		w.logger.Info("request lifecycle", "expired", run.Expired, "reminded", run.Reminded, "escalated", run.Escalated)
	}
	return nil
}

// digestRun queues the daily digests.
type digestRun struct{}

// Kind names the job in the queue.
func (digestRun) Kind() string { return "notification_digest" }

type digestWorker struct {
	river.WorkerDefaults[digestRun]
	notifications *postgres.NotificationService
	logger        *slog.Logger
}

func (w *digestWorker) Work(ctx context.Context, _ *river.Job[digestRun]) error {
	n, err := w.notifications.QueueDigests(ctx)
	if err == nil && n > 0 {
		w.logger.Info("queued daily digests", "count", n)
	}
	return err
}

// digestHour is when (UTC) the daily digests go out.
const digestHour = 7

// dailyAt is a schedule: every day at hour:00 UTC.
type dailyAt struct{ hour int }

// Next is the first hour:00 UTC after t.
func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, 0, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}
