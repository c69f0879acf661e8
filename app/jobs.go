package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"guildhall/internal/jobs"
	"guildhall/internal/postgres"
	"guildhall/internal/webhooks"
	"guildhall/web/api"
)

// StartJobs works the durable job queue in this process until ctx ends or
// the runner stops; poll is how often an idle queue looks for new jobs
// (zero: every second). Serve starts it; tests that need background work
// start it themselves.
func (a *App) StartJobs(ctx context.Context, poll time.Duration) (*jobs.Runner, error) {
	return jobs.Start(ctx, a.DB.DB.DB, a.jobs, jobs.Config{Logger: a.config.Logger, PollInterval: poll})
}

// registerJobs lists every worker and periodic job of the durable job queue,
// once for `serve` and for the tests: add a worker here with
// jobs.Register(reg, …) and a timer with reg.Every(…).
func registerJobs(db *postgres.DB, s *postgres.Services, guard *webhooks.Guard, c Config) *jobs.Registry {
	logger := c.Logger
	reg := jobs.NewRegistry()
	jobs.Register(reg, &lifecycleWorker{lifecycle: s.Lifecycle, logger: logger})
	reg.Every("request_lifecycle", 10*time.Minute, func() river.JobArgs { return lifecycleRun{} })
	jobs.Register(reg, &emailer{notifications: s.Notifications, sender: c.Mail, baseURL: c.BaseURL, logger: logger})
	jobs.Register(reg, &digestWorker{notifications: s.Notifications, logger: logger})
	if c.Mail != nil {
		reg.At("notification_digest", dailyAt{hour: digestHour}, func() river.JobArgs { return digestRun{} })
	}
	jobs.Register(reg, &webhooks.Worker{Store: s.Webhooks, Render: api.EventBody, Client: guard.Client()})
	jobs.Register(reg, &fanOutWorker{membership: s.Membership})
	jobs.Register(reg, &sessionSweeper{sessions: postgres.NewSessionRows(db), logger: logger})
	reg.Every("delete_expired_sessions", 10*time.Minute, func() river.JobArgs { return sessionSweep{} })
	jobs.Register(reg, &limitSweeper{limits: s.Limits, logger: logger})
	reg.Every("sweep_rate_limits", 10*time.Minute, func() river.JobArgs { return limitSweep{} })
	return reg
}

// fanOutWorker writes the audit entries, events and notifications of the
// join requests a privacy change ended, a moment after the change
// (postgres.EndedRequestsFanOut). A retried job writes nothing twice.
type fanOutWorker struct {
	river.WorkerDefaults[postgres.EndedRequestsFanOut]
	membership *postgres.MembershipService
}

func (w *fanOutWorker) Work(ctx context.Context, job *river.Job[postgres.EndedRequestsFanOut]) error {
	_, err := w.membership.FanOutEndedRequests(ctx, job.Args)
	return err
}

// Timeout gives a fan-out longer than River's default minute: 10,000
// requests take a few seconds, but a job cut short is retried whole, and
// one that always ran past its timeout would never finish.
func (w *fanOutWorker) Timeout(*river.Job[postgres.EndedRequestsFanOut]) time.Duration {
	return 15 * time.Minute
}

// limitSweep deletes the rate-limit buckets that have refilled (a missing
// bucket starts full, so only the table's size changes).
type limitSweep struct{}

// Kind names the job in the queue.
func (limitSweep) Kind() string { return "sweep_rate_limits" }

type limitSweeper struct {
	river.WorkerDefaults[limitSweep]
	limits *postgres.Limiter
	logger *slog.Logger
}

func (w *limitSweeper) Work(ctx context.Context, _ *river.Job[limitSweep]) error {
	n, err := w.limits.Sweep(ctx, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.Info("swept refilled rate-limit buckets", "count", n)
	}
	return nil
}

// sessionSweep deletes expired sessions; the leader enqueues it every ten
// minutes, so several instances do not all sweep.
type sessionSweep struct{}

// Kind names the job in the queue.
func (sessionSweep) Kind() string { return "delete_expired_sessions" }

type sessionSweeper struct {
	river.WorkerDefaults[sessionSweep]
	sessions *postgres.SessionRows
	logger   *slog.Logger
}

func (w *sessionSweeper) Work(ctx context.Context, _ *river.Job[sessionSweep]) error {
	n, err := w.sessions.DeleteExpired(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.Info("deleted expired sessions", "count", n)
	}
	return nil
}
