package jobs_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"guildhall/internal/jobs"
	"guildhall/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

type noteArgs struct {
	N int `json:"n"`
}

func (noteArgs) Kind() string { return "test_note" }

type tickArgs struct{}

func (tickArgs) Kind() string { return "test_tick" }

// tally counts how often each job was worked.
type tally struct {
	mu   sync.Mutex
	seen map[int]int
}

func (t *tally) add(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen == nil {
		t.seen = map[int]int{}
	}
	t.seen[n]++
}

func (t *tally) snapshot() map[int]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[int]int{}
	for k, v := range t.seen {
		out[k] = v
	}
	return out
}

type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	tally *tally
}

func (w *noteWorker) Work(_ context.Context, j *river.Job[noteArgs]) error {
	w.tally.add(j.Args.N)
	return nil
}

type tickWorker struct {
	river.WorkerDefaults[tickArgs]
	tally *tally
}

func (w *tickWorker) Work(context.Context, *river.Job[tickArgs]) error {
	w.tally.add(-1)
	return nil
}

func registry(t *tally) *jobs.Registry {
	reg := jobs.NewRegistry()
	jobs.Register(reg, &noteWorker{tally: t})
	jobs.Register(reg, &tickWorker{tally: t})
	reg.Every("test_tick", time.Hour, func() river.JobArgs { return tickArgs{} })
	return reg
}

// A job inserted in a transaction that commits is worked once; one whose
// transaction rolls back never exists. Two instances share the work and
// the periodic job is enqueued once, by the leader.
func TestInsertTxTwoInstances(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := testdb.New(t)
	var seen tally
	for range 2 {
		r, err := jobs.Start(ctx, db.DB, registry(&seen), jobs.Config{PollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Stop(context.Background()) })
	}

	for n := range 40 {
		tx, err := db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.InsertTx(ctx, tx, noteArgs{N: n}, nil); err != nil {
			t.Fatal(err)
		}
		if n%2 == 0 {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// The periodic job runs on the leader's start; wait for it too.
	for {
		if err := jobs.WaitIdle(ctx, db.DB); err != nil {
			t.Fatal(err)
		}
		if seen.snapshot()[-1] > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the periodic job never ran")
		case <-time.After(50 * time.Millisecond):
		}
	}
	got := seen.snapshot()
	for n := range 40 {
		want := 0
		if n%2 == 0 {
			want = 1
		}
		if got[n] != want {
			t.Errorf("job %d worked %d times, want %d", n, got[n], want)
		}
	}
	if got[-1] != 1 {
		t.Errorf("periodic job worked %d times by two instances, want 1", got[-1])
	}
}

type failArgs struct{}

func (failArgs) Kind() string { return "test_fail_once" }

type failOnce struct {
	river.WorkerDefaults[failArgs]
	mu    sync.Mutex
	tries int
}

// NextRetry puts the retry out of reach of the test but for RetryNow.
func (w *failOnce) NextRetry(*river.Job[failArgs]) time.Time { return time.Now().Add(time.Hour) }

func (w *failOnce) Work(context.Context, *river.Job[failArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tries++
	if w.tries == 1 {
		return errors.New("first try fails")
	}
	return nil
}

// A failed job waits for its retry; RetryNow brings it forward for tests.
func TestRetryNow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db := testdb.New(t)
	w := &failOnce{}
	reg := jobs.NewRegistry()
	jobs.Register(reg, w)
	r, err := jobs.Start(ctx, db.DB, reg, jobs.Config{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	tx := db.MustBeginTx(ctx, nil)
	if _, err := jobs.InsertTx(ctx, tx, failArgs{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := jobs.WaitIdle(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	if n, err := jobs.RetryNow(ctx, db.DB); err != nil || n != 1 {
		t.Fatalf("RetryNow moved %d jobs (%v), want the 1 failed one", n, err)
	}
	if err := jobs.WaitIdle(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	var state string
	if err := db.GetContext(ctx, &state, `SELECT state FROM river_job`); err != nil {
		t.Fatal(err)
	}
	if w.tries != 2 || state != "completed" {
		t.Errorf("tries %d, state %s; want 2 tries and completed", w.tries, state)
	}
}
