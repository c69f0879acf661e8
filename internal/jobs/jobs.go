// Package jobs is Guildhall's durable job queue: River over the same lib/pq
// pool as everything else, in poll mode (database/sql has no LISTEN).
//
// Work that must happen after a change commits (webhook deliveries, emails,
// timers) is a job inserted in the change's own transaction with InsertTx, so
// it exists exactly when the change does and survives a restart. Every
// instance of `guildhall serve` works jobs; River elects one leader among
// them for periodic jobs and maintenance, so nothing runs twice.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Migrate applies River's own migrations (its job, leader and queue tables);
// Guildhall's migrate step runs it after its own.
func Migrate(ctx context.Context, db *sql.DB) (int, error) {
	m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return 0, fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return 0, fmt.Errorf("apply river migrations: %w", err)
	}
	return len(res.Versions), nil
}

// MigrationsVersion names the newest River migration, so a cached test
// template is rebuilt when River's schema changes.
func MigrationsVersion() string {
	m, err := rivermigrate.New(riverdatabasesql.New(nil), nil)
	if err != nil {
		return "river:unknown"
	}
	all := m.AllVersions()
	if len(all) == 0 {
		return "river:0"
	}
	return "river:" + strconv.Itoa(all[len(all)-1].Version)
}

// inserter writes job rows through the transaction it is given and never
// through a pool of its own (it has none), so one is enough for the process
// and it holds no state that matters: the jobs live in the database.
var inserter = func() *river.Client[*sql.Tx] {
	c, err := river.NewClient(riverdatabasesql.New(nil), &river.Config{Logger: quietLogger()})
	if err != nil {
		panic("jobs: an insert-only River client refused its empty config: " + err.Error())
	}
	return c
}()

// InsertTx enqueues a job in tx: it is worked only if tx commits, and it is
// never lost once tx did.
func InsertTx(ctx context.Context, tx *sqlx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	res, err := inserter.InsertTx(ctx, tx.Tx, args, opts)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return res, nil
}

// InsertManyTx enqueues several jobs in tx with one statement.
func InsertManyTx(ctx context.Context, tx *sqlx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if len(params) == 0 {
		return nil, nil
	}
	res, err := inserter.InsertManyTx(ctx, tx.Tx, params)
	if err != nil {
		return nil, fmt.Errorf("enqueue %d jobs: %w", len(params), err)
	}
	return res, nil
}

// CancelTx cancels jobs ids in tx: one still queued is never worked, one
// running now is not retried when it fails (River's JobCancelTx), so a job
// replaced by a new one leaves no second chain of retries behind.
func CancelTx(ctx context.Context, tx *sqlx.Tx, ids []int64) error {
	for _, id := range ids {
		if _, err := inserter.JobCancelTx(ctx, tx.Tx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
			return fmt.Errorf("cancel job %d: %w", id, err)
		}
	}
	return nil
}

// quietLogger keeps River's informational chatter out of Guildhall's log;
// warnings and errors still come through the caller's logger when given.
func quietLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

// retention keeps finished jobs around long enough to read what happened.
const retention = 7 * 24 * time.Hour
