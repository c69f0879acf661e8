package api

import (
	"crypto/sha256"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"guildhall/internal/guildhall"
)

// authenticate finds the actor of the call's bearer token and charges the
// call to that token's rate limit. Only the Authorization header counts: a
// browser's session cookie is never looked at, so a page on another site
// cannot make a signed-in browser call the API.
func (h *Handler) authenticate(r *http.Request) (guildhall.Actor, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return guildhall.Actor{}, guildhall.Unauthenticated(
			"Send an API token in the header \"Authorization: Bearer <token>\"; make one on your profile page (/profile).")
	}
	actor, err := h.cfg.Tokens.Authenticate(r.Context(), token)
	if err != nil {
		return guildhall.Actor{}, err
	}
	if wait, ok := h.limits.allow(sha256.Sum256([]byte(token)), time.Now()); !ok {
		return guildhall.Actor{}, &rateLimitError{retryAfter: wait}
	}
	return actor, nil
}

// limiters keeps one token bucket per API token (keyed by the token's
// sha256, so no token sits in memory longer than its call).
type limiters struct {
	every rate.Limit
	burst int

	mu        sync.Mutex
	buckets   map[[32]byte]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// idleAfter is how long an unused bucket is kept; by then it is full again,
// so forgetting it changes nothing for its token.
const idleAfter = 10 * time.Minute

func newLimiters(every rate.Limit, burst int) *limiters {
	return &limiters{every: every, burst: burst, buckets: map[[32]byte]*bucket{}, lastSweep: time.Now()}
}

// allow takes one call from key's bucket, or says how long to wait.
func (l *limiters) allow(key [32]byte, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > idleAfter {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleAfter {
				delete(l.buckets, k)
			}
		}
		l.lastSweep = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return delay, false
	}
	return 0, true
}
