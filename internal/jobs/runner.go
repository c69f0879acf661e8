package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
)

// Registry lists every worker and periodic job of Guildhall. The wiring
// (package app) fills one registry, so `serve` and the tests run the same
// set.
type Registry struct {
	workers  *river.Workers
	periodic []*river.PeriodicJob
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{workers: river.NewWorkers()} }

// Register adds the worker for one kind of job.
func Register[T river.JobArgs](r *Registry, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// Every schedules a job every interval (and once when the leader starts).
// Only the elected leader among all instances inserts it, and id keeps the
// schedule one across instances and restarts.
func (r *Registry) Every(id string, interval time.Duration, args func() river.JobArgs) {
	r.periodic = append(r.periodic, river.NewPeriodicJob(
		river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args(), nil },
		&river.PeriodicJobOpts{ID: id, RunOnStart: true},
	))
}

// At schedules a job at the times schedule names (a time of day, say),
// not when the leader starts: a restart neither runs it early nor pushes it
// back. Only the elected leader inserts it.
func (r *Registry) At(id string, schedule river.PeriodicSchedule, args func() river.JobArgs) {
	r.periodic = append(r.periodic, river.NewPeriodicJob(
		schedule,
		func() (river.JobArgs, *river.InsertOpts) { return args(), nil },
		&river.PeriodicJobOpts{ID: id},
	))
}

// Config tunes a runner; the zero value suits `serve`.
type Config struct {
	Logger *slog.Logger
	// PollInterval is how often an idle instance looks for new jobs
	// (default 1 s); tests shorten it.
	PollInterval time.Duration
	// MaxWorkers bounds the jobs one instance works at once (default 20).
	MaxWorkers int
}

// Runner works the queue in this process.
type Runner struct {
	client *river.Client[*sql.Tx]
}

// Start begins working jobs until ctx ends or Stop is called.
func Start(ctx context.Context, db *sql.DB, reg *Registry, cfg Config) (*Runner, error) {
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = time.Second
	}
	workers := cfg.MaxWorkers
	if workers <= 0 {
		workers = 20
	}
	logger := quietLogger()
	if cfg.Logger != nil {
		logger = slog.New(warnOnly{cfg.Logger.Handler()})
	}
	client, err := river.NewClient(riverdatabasesql.New(db), &river.Config{
		Logger:                      logger,
		PollOnly:                    true,
		FetchPollInterval:           poll,
		FetchCooldown:               min(poll, 100*time.Millisecond),
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:                     reg.workers,
		PeriodicJobs:                reg.periodic,
		CompletedJobRetentionPeriod: retention,
		CancelledJobRetentionPeriod: retention,
		DiscardedJobRetentionPeriod: retention,
	})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("start job queue: %w", err)
	}
	return &Runner{client: client}, nil
}

// Stop waits for running jobs to finish (until ctx ends, when they are
// canceled and retried later by whichever instance is up).
func (r *Runner) Stop(ctx context.Context) error {
	err := r.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return r.client.StopAndCancel(context.Background())
	}
	return err
}

// warnOnly passes on River's warnings and errors, not its routine news.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(n string) slog.Handler       { return warnOnly{h.Handler.WithGroup(n)} }
