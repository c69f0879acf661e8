package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// Limiter keeps guildhall's token buckets in the rate_limits table, so every
// instance on the database counts against the same buckets. Each Take is
// one statement: an upsert that refills the bucket for the time passed,
// takes a token if there is one, and returns what it did.
type Limiter struct {
	db *DB
}

// NewLimiter returns the limiter over db.
func NewLimiter(db *DB) *Limiter { return &Limiter{db: db} }

var _ guildhall.Limiter = (*Limiter)(nil)

// refillAndTake is the tail of every take's upsert into rate_limits AS b,
// whose new rows are (key, burst - 1, burst, rate, now, true): it refills
// an existing bucket by rate × seconds since it was last touched (never
// below zero, should an instance's clock lag), up to its burst, then takes
// one token when a whole one is there. A new bucket starts full. The limit
// is stored with the bucket, so a changed limit applies at once. Take and
// TokenService.Authenticate (which charges an API call in the statement
// that checks its token) share it, so a bucket keeps one arithmetic.
const refillAndTake = `
	ON CONFLICT (key) DO UPDATE SET
		(tokens, taken) = (
			SELECT CASE WHEN f.tokens >= 1 THEN f.tokens - 1 ELSE f.tokens END, f.tokens >= 1
			FROM (SELECT LEAST(EXCLUDED.burst, b.tokens +
				EXTRACT(EPOCH FROM GREATEST(EXCLUDED.updated_at - b.updated_at, interval '0')) * EXCLUDED.rate) AS tokens) f),
		burst = EXCLUDED.burst,
		rate = EXCLUDED.rate,
		updated_at = GREATEST(b.updated_at, EXCLUDED.updated_at)
	RETURNING key, taken, tokens, rate`

// takeSQL takes from several buckets at once, in key order so that two
// takes of the same buckets cannot deadlock.
const takeSQL = `
	INSERT INTO rate_limits AS b (key, tokens, burst, rate, updated_at, taken)
	SELECT k.key, k.burst - 1, k.burst, k.rate, $4, true
	FROM unnest($1::text[], $2::float8[], $3::float8[]) AS k(key, burst, rate)
	ORDER BY k.key` + refillAndTake

// checkLimit refuses a limit no bucket can keep.
func checkLimit(key string, l guildhall.Limit) error {
	if l.Burst < 1 || l.Rate <= 0 {
		return fmt.Errorf("rate limit %s: burst %d and rate %g must be positive", key, l.Burst, l.Rate)
	}
	return nil
}

// waitFor is how long a bucket left with tokens (under one) takes to hold
// a whole token again at rate.
func waitFor(tokens, rate float64) time.Duration {
	return time.Duration((1 - tokens) / rate * float64(time.Second))
}

// Take implements guildhall.Limiter.
func (l *Limiter) Take(ctx context.Context, now time.Time, buckets ...guildhall.Bucket) ([]time.Duration, error) {
	keys := make([]string, 0, len(buckets))
	bursts := make([]float64, 0, len(buckets))
	rates := make([]float64, 0, len(buckets))
	for _, b := range buckets {
		if err := checkLimit(b.Key, b.Limit); err != nil {
			return nil, err
		}
		if slices.Contains(keys, storedKey(b.Key)) {
			return nil, fmt.Errorf("rate limit %s: named twice", b.Key)
		}
		keys = append(keys, storedKey(b.Key))
		bursts = append(bursts, float64(b.Limit.Burst))
		rates = append(rates, b.Limit.Rate)
	}
	// Prepared once per connection: one round trip per take, not two.
	args := []any{pq.Array(keys), pq.Array(bursts), pq.Array(rates), now}
	rows, err := l.db.queryPrepared(ctx, takeSQL, args...)
	if err != nil {
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	defer rows.Close()
	waits := make([]time.Duration, len(buckets))
	for rows.Next() {
		var key string
		var taken bool
		var tokens, rate float64
		if err := rows.Scan(&key, &taken, &tokens, &rate); err != nil {
			return nil, fmt.Errorf("rate limit: %w", err)
		}
		if !taken {
			waits[slices.Index(keys, key)] = waitFor(tokens, rate)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rate limit: %w", err)
	}
	return waits, nil
}

// Give implements guildhall.Limiter.
func (l *Limiter) Give(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	stored := make([]string, len(keys))
	for i, k := range keys {
		stored[i] = storedKey(k)
	}
	_, err := l.db.ExecContext(ctx, `
		UPDATE rate_limits SET tokens = LEAST(burst, tokens + 1) WHERE key = ANY($1)`, pq.Array(stored))
	if err != nil {
		return fmt.Errorf("rate limit refund: %w", err)
	}
	return nil
}

// Sweep deletes the buckets that have refilled by now: a missing bucket
// starts full, so forgetting them changes nothing but the table's size.
func (l *Limiter) Sweep(ctx context.Context, now time.Time) (int64, error) {
	res, err := l.db.ExecContext(ctx, `
		DELETE FROM rate_limits WHERE updated_at + make_interval(secs => (burst - tokens) / rate) <= $1`, now)
	if err != nil {
		return 0, fmt.Errorf("sweep rate limits: %w", err)
	}
	return res.RowsAffected()
}

// storedKey is key as PostgreSQL text can hold it. Keys carry what callers
// were sent (an email, a forwarded address), which may hold NUL or invalid
// UTF-8: such a key is stored as its sha256, so it still has a bucket of
// its own instead of failing the request.
func storedKey(key string) string {
	if utf8.ValidString(key) && !strings.ContainsRune(key, 0) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}
