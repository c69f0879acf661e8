package guildhall

import (
	"context"
	"time"
)

// Limit is a token bucket: Burst tokens at most, refilled at Rate tokens a
// second. Each call or attempt it guards takes one token.
type Limit struct {
	Rate  float64
	Burst int
}

// Every is the limit of burst at once, then one more every d.
func Every(d time.Duration, burst int) Limit {
	return Limit{Rate: float64(time.Second) / float64(d), Burst: burst}
}

// Bucket names one token bucket and the limit it keeps. Keys share one
// namespace: prefix them with what they count ("login-ip:", "api-token:").
type Bucket struct {
	Key   string
	Limit Limit
}

// Limiter keeps token buckets that every Guildhall instance on the same
// database shares, so limits hold behind a load balancer. Implementations
// decide each call in one round trip.
type Limiter interface {
	// Take takes one token from each bucket, at once, and returns for each
	// (in the order given) 0 when it gave one, else how long until it will
	// have one; an empty bucket gives nothing and stays as it was. now is
	// the caller's clock (time.Now outside tests).
	Take(ctx context.Context, now time.Time, buckets ...Bucket) ([]time.Duration, error)
	// Give puts one token back into each named bucket, up to its burst: a
	// refund for an attempt that turned out not to count (a sign-in that
	// succeeded).
	Give(ctx context.Context, keys ...string) error
}
