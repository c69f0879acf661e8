package web

import (
	"context"
	"testing"
	"time"

	"guildhall/internal/postgres"
	"guildhall/internal/testdb"
)

// t0 is the fake clock's start; the limiter takes the time as an argument
// (the buckets live in PostgreSQL, the clock stays the caller's).
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestLoginLimiterDefaults(t *testing.T) {
	got := LoginLimits{}.withDefaults()
	want := LoginLimits{AccountBurst: 5, AccountEvery: 20 * time.Second, AddressBurst: 30, AddressEvery: 2 * time.Second,
		SignupBurst: 30, SignupEvery: 2 * time.Second}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	custom := LoginLimits{AccountBurst: 2, AccountEvery: time.Minute, AddressBurst: 3, AddressEvery: time.Hour,
		SignupBurst: 4, SignupEvery: time.Second}
	if got := custom.withDefaults(); got != custom {
		t.Errorf("withDefaults changed set limits: %+v, want %+v", got, custom)
	}
}

// attempt is one sign-in attempt at t0+at from ip for email; wantWait is
// what allow should answer (0 = go ahead).
type attempt struct {
	at       time.Duration
	ip       string
	email    string
	wantWait time.Duration
}

func TestLoginLimiterBurstAndRefill(t *testing.T) {
	tests := []struct {
		name     string
		limits   LoginLimits
		attempts []attempt
	}{
		{
			name:   "account burst then one per interval",
			limits: LoginLimits{AccountBurst: 3, AccountEvery: 10 * time.Second, AddressBurst: 100, AddressEvery: time.Second},
			attempts: []attempt{
				{0, "10.0.0.1", "ada", 0},
				{0, "10.0.0.1", "ada", 0},
				{0, "10.0.0.1", "ada", 0},
				{0, "10.0.0.1", "ada", 10 * time.Second},
				// Another address does not help the account...
				{time.Second, "10.0.0.2", "ada", 9 * time.Second},
				// ...and another account from the address is fine.
				{time.Second, "10.0.0.1", "bob", 0},
				// Refused attempts did not use up the refill.
				{10 * time.Second, "10.0.0.1", "ada", 0},
				{10 * time.Second, "10.0.0.1", "ada", 10 * time.Second},
				{15 * time.Second, "10.0.0.1", "ada", 5 * time.Second},
				{20 * time.Second, "10.0.0.1", "ada", 0},
				// A long pause refills at most the burst.
				{time.Hour, "10.0.0.1", "ada", 0},
				{time.Hour, "10.0.0.1", "ada", 0},
				{time.Hour, "10.0.0.1", "ada", 0},
				{time.Hour, "10.0.0.1", "ada", 10 * time.Second},
			},
		},
		{
			name:   "address burst across accounts",
			limits: LoginLimits{AccountBurst: 5, AccountEvery: time.Minute, AddressBurst: 2, AddressEvery: 4 * time.Second},
			attempts: []attempt{
				{0, "10.0.0.1", "a", 0},
				{0, "10.0.0.1", "b", 0},
				{0, "10.0.0.1", "c", 4 * time.Second},
				{time.Second, "10.0.0.1", "d", 3 * time.Second},
				// The same account from elsewhere is not held back.
				{time.Second, "10.0.0.9", "c", 0},
				{4 * time.Second, "10.0.0.1", "c", 0},
				{4 * time.Second, "10.0.0.1", "c", 4 * time.Second},
			},
		},
		{
			name:   "the longer wait wins when both are empty",
			limits: LoginLimits{AccountBurst: 1, AccountEvery: time.Minute, AddressBurst: 1, AddressEvery: time.Second},
			attempts: []attempt{
				{0, "10.0.0.1", "ada", 0},
				{0, "10.0.0.1", "ada", time.Minute},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := newLoginLimiter(tc.limits, sharedLimiter(t), nil)
			for i, a := range tc.attempts {
				// The token buckets compute in floating point: allow a
				// microsecond of rounding.
				got, _, err := l.allow(context.Background(), a.ip, a.email, t0.Add(a.at))
				if err != nil {
					t.Fatal(err)
				}
				if (got - a.wantWait).Abs() > time.Microsecond {
					t.Errorf("attempt %d (%s, %s at +%v): wait %v, want %v", i+1, a.ip, a.email, a.at, got, a.wantWait)
				}
			}
		})
	}
}

// Successful sign-ins are refunded: a script or a test suite signing in
// again and again as the same person is never held back, while failures
// still are.
func TestLoginLimiterRefundsSuccess(t *testing.T) {
	ctx := context.Background()
	l := newLoginLimiter(LoginLimits{AccountBurst: 2, AccountEvery: time.Hour, AddressBurst: 3, AddressEvery: time.Hour}, sharedLimiter(t), nil)
	allow := func(ip, email string) (time.Duration, func()) {
		t.Helper()
		wait, refund, err := l.allow(ctx, ip, email, t0)
		if err != nil {
			t.Fatal(err)
		}
		return wait, refund
	}
	for i := range 50 {
		wait, refund := allow("10.0.0.1", "ada")
		if wait != 0 {
			t.Fatalf("successful sign-in %d must wait %v", i+1, wait)
		}
		refund()
	}
	for i := range 2 {
		if wait, _ := allow("10.0.0.1", "ada"); wait != 0 {
			t.Fatalf("failure %d must wait %v", i+1, wait)
		}
	}
	if wait, _ := allow("10.0.0.1", "ada"); wait != time.Hour {
		t.Fatalf("third failure for ada: wait %v, want an hour", wait)
	}
	// The refused attempt still counted against the address: one left.
	if wait, _ := allow("10.0.0.1", "bob"); wait != time.Hour {
		t.Fatalf("bob after three attempts from the address: wait %v, want an hour", wait)
	}
}

// sharedLimiter is the limiter every instance shares, over a fresh database.
func sharedLimiter(t *testing.T) *postgres.Limiter {
	t.Helper()
	return postgres.NewLimiter(postgres.Wrap(testdb.New(t)))
}
