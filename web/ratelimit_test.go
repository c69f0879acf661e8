package web

import (
	"testing"
	"time"
)

// t0 is the fake clock's start; the limiter takes the time as an argument.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestLoginLimiterDefaults(t *testing.T) {
	got := LoginLimits{}.withDefaults()
	want := LoginLimits{AccountBurst: 5, AccountEvery: 20 * time.Second, AddressBurst: 30, AddressEvery: 2 * time.Second,
		SignupBurst: 10, SignupEvery: time.Minute}
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
			l := newLoginLimiter(tc.limits)
			for i, a := range tc.attempts {
				// The token buckets compute in floating point: allow a
				// microsecond of rounding.
				if got, _ := l.allow(a.ip, a.email, t0.Add(a.at)); (got - a.wantWait).Abs() > time.Microsecond {
					t.Errorf("attempt %d (%s, %s at +%v): wait %v, want %v", i+1, a.ip, a.email, a.at, got, a.wantWait)
				}
			}
		})
	}
}

func TestLoginLimiterSweepForgetsIdleBuckets(t *testing.T) {
	l := newLoginLimiter(LoginLimits{})
	l.allow("10.0.0.1", "ada", t0)
	l.allow("10.0.0.2", "bob", t0.Add(30*time.Minute))
	if len(l.byKey) != 4 {
		t.Fatalf("%d buckets, want 4 (two addresses, two accounts)", len(l.byKey))
	}

	l.sweep(t0.Add(time.Hour))
	if len(l.byKey) != 4 {
		t.Errorf("sweep after an hour kept %d buckets, want all 4 (none idle for more than an hour)", len(l.byKey))
	}
	l.sweep(t0.Add(time.Hour + time.Minute))
	if _, ok := l.byKey["acct:ada"]; ok || len(l.byKey) != 2 {
		t.Errorf("sweep kept %v, want only bob's buckets", keys(l.byKey))
	}
	l.sweep(t0.Add(2 * time.Hour))
	if len(l.byKey) != 0 {
		t.Errorf("sweep kept %v, want none", keys(l.byKey))
	}

	// A forgotten bucket starts full again: with the default limits an
	// hour of quiet has refilled every bucket anyway.
	if wait, _ := l.allow("10.0.0.1", "ada", t0.Add(2*time.Hour)); wait != 0 {
		t.Errorf("after the sweep ada must wait %v, want 0", wait)
	}
}

// Successful sign-ins are refunded: a script or a test suite signing in
// again and again as the same person is never held back, while failures
// still are.
func TestLoginLimiterRefundsSuccess(t *testing.T) {
	l := newLoginLimiter(LoginLimits{AccountBurst: 2, AccountEvery: time.Hour, AddressBurst: 3, AddressEvery: time.Hour})
	for i := range 50 {
		wait, refund := l.allow("10.0.0.1", "ada", t0)
		if wait != 0 {
			t.Fatalf("successful sign-in %d must wait %v", i+1, wait)
		}
		refund()
	}
	for i := range 2 {
		if wait, _ := l.allow("10.0.0.1", "ada", t0); wait != 0 {
			t.Fatalf("failure %d must wait %v", i+1, wait)
		}
	}
	if wait, _ := l.allow("10.0.0.1", "ada", t0); wait != time.Hour {
		t.Fatalf("third failure for ada: wait %v, want an hour", wait)
	}
	// The refused attempt still counted against the address: one left.
	if wait, _ := l.allow("10.0.0.1", "bob", t0); wait != time.Hour {
		t.Fatalf("bob after three attempts from the address: wait %v, want an hour", wait)
	}
}

func keys(m map[string]*limiterEntry) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
