package postgres

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/testdb"
)

// TestLimiterConcurrentTakesNeverOverspend: 40 takes at once from a bucket
// of 25 (in the same instant, so nothing refills) give exactly 25 tokens,
// whichever connections they come over: this is what makes a limit hold
// across instances.
func TestLimiterConcurrentTakesNeverOverspend(t *testing.T) {
	ctx := context.Background()
	l := NewLimiter(Wrap(testdb.New(t)))
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := guildhall.Bucket{Key: "api-token:x", Limit: guildhall.Every(time.Hour, 25)}
	var got atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			waits, err := l.Take(ctx, now, b)
			if err != nil {
				t.Error(err)
				return
			}
			if waits[0] == 0 {
				got.Add(1)
			}
		})
	}
	wg.Wait()
	if got.Load() != 25 {
		t.Errorf("%d of 40 concurrent takes got a token from a bucket of 25", got.Load())
	}
	waits, err := l.Take(ctx, now.Add(30*time.Minute), b)
	if err != nil {
		t.Fatal(err)
	}
	if waits[0] != 30*time.Minute {
		t.Errorf("half an hour on, the empty bucket asks to wait %v, want 30m", waits[0])
	}
}

// TestLimiterSweepForgetsOnlyRefilledBuckets: a bucket is deleted once it
// would be full again, and a deleted bucket starts full, so sweeping never
// changes an answer.
func TestLimiterSweepForgetsOnlyRefilledBuckets(t *testing.T) {
	ctx := context.Background()
	db := Wrap(testdb.New(t))
	l := NewLimiter(db)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	slow := guildhall.Bucket{Key: "slow", Limit: guildhall.Every(time.Hour, 2)}
	fast := guildhall.Bucket{Key: "fast", Limit: guildhall.Every(time.Second, 2)}
	for range 2 {
		if _, err := l.Take(ctx, t0, slow, fast); err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		var n int
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM rate_limits`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n, err := l.Sweep(ctx, t0.Add(time.Second)); err != nil || n != 0 || count() != 2 {
		t.Fatalf("sweep after 1 s deleted %d (%v), %d left; want none deleted", n, err, count())
	}
	if n, err := l.Sweep(ctx, t0.Add(2*time.Second)); err != nil || n != 1 || count() != 1 {
		t.Fatalf("sweep after 2 s deleted %d (%v), %d left; want the refilled fast bucket gone", n, err, count())
	}
	if n, err := l.Sweep(ctx, t0.Add(2*time.Hour)); err != nil || n != 1 || count() != 0 {
		t.Fatalf("sweep after 2 h deleted %d (%v), %d left; want all gone", n, err, count())
	}
	waits, err := l.Take(ctx, t0.Add(2*time.Hour), slow)
	if err != nil || waits[0] != 0 {
		t.Fatalf("a swept bucket must start full: wait %v, %v", waits, err)
	}
}

// TestLimiterRefusesNonsense: a limit of no tokens or no refill would lock
// everyone out forever, so it is an error rather than a silent refusal.
func TestLimiterRefusesNonsense(t *testing.T) {
	l := NewLimiter(Wrap(testdb.New(t)))
	for _, b := range []guildhall.Bucket{
		{Key: "a", Limit: guildhall.Limit{Rate: 1, Burst: 0}},
		{Key: "b", Limit: guildhall.Limit{Rate: 0, Burst: 1}},
	} {
		if _, err := l.Take(context.Background(), time.Now(), b); err == nil {
			t.Errorf("Take accepted %+v", b.Limit)
		}
	}
}

// TestLimiterTakesAnyKey: keys carry what callers sent, NUL and invalid
// UTF-8 included; each still gets a bucket of its own.
func TestLimiterTakesAnyKey(t *testing.T) {
	ctx := context.Background()
	l := NewLimiter(Wrap(testdb.New(t)))
	now := time.Now()
	one := guildhall.Every(time.Hour, 1)
	for _, key := range []string{"login-account:a\x00b", "login-account:\xff\xfe", "login-account:ok"} {
		waits, err := l.Take(ctx, now, guildhall.Bucket{Key: key, Limit: one})
		if err != nil || waits[0] != 0 {
			t.Fatalf("first take of %q: %v, %v", key, waits, err)
		}
		waits, err = l.Take(ctx, now, guildhall.Bucket{Key: key, Limit: one})
		if err != nil || waits[0] == 0 {
			t.Fatalf("second take of %q: %v, %v; want a wait", key, waits, err)
		}
		if err := l.Give(ctx, key); err != nil {
			t.Fatal(err)
		}
		if waits, err := l.Take(ctx, now, guildhall.Bucket{Key: key, Limit: one}); err != nil || waits[0] != 0 {
			t.Fatalf("take after a refund of %q: %v, %v", key, waits, err)
		}
	}
}

// BenchmarkLimiterTake is the cost an API call pays for its token's limit:
// one upsert on an unlogged table.
func BenchmarkLimiterTake(b *testing.B) {
	ctx := context.Background()
	l := NewLimiter(Wrap(testdb.New(b)))
	bucket := guildhall.Bucket{Key: "api-token:bench", Limit: guildhall.Limit{Rate: 1e9, Burst: 1 << 30}}
	for b.Loop() {
		if _, err := l.Take(ctx, time.Now(), bucket); err != nil {
			b.Fatal(err)
		}
	}
}
