package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// WaitIdle returns once no job is waiting or running: none available, none
// running, none whose retry or schedule is due. Tests use it to wait for the
// work a change caused; ctx bounds the wait.
func WaitIdle(ctx context.Context, db *sql.DB) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var busy int
		err := db.QueryRowContext(ctx, `
			SELECT count(*) FROM river_job
			WHERE state IN ('available', 'running')
			   OR (state IN ('retryable', 'scheduled') AND scheduled_at <= now())`).Scan(&busy)
		if err != nil {
			return fmt.Errorf("wait for jobs: %w", err)
		}
		if busy == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for jobs: %d still due: %w", busy, ctx.Err())
		case <-tick.C:
		}
	}
}

// RetryNow makes every job waiting for a retry or a schedule available at
// once, as if its time had come; tests use it instead of waiting out a
// backoff. It returns how many it moved.
func RetryNow(ctx context.Context, db *sql.DB) (int, error) {
	res, err := db.ExecContext(ctx, `
		UPDATE river_job SET state = 'available', scheduled_at = now()
		WHERE state IN ('retryable', 'scheduled')`)
	if err != nil {
		return 0, fmt.Errorf("retry jobs now: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
