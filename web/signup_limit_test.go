package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"guildhall/internal/testapp"
	"guildhall/web"
)

// Sign-ups are limited per address: each account made and each email found
// taken costs one; a form refused for its own input costs nothing.
func TestSignUpsAreLimitedPerAddress(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, func(c *web.Config) {
		c.TrustProxy = true
		c.LoginLimits = web.LoginLimits{SignupBurst: 3, SignupEvery: time.Hour}
	})
	signup := func(email, password, from string) *http.Response {
		t.Helper()
		return send(t, app, http.MethodPost, "/signup",
			url.Values{"email": {email}, "displayName": {"Someone"}, "password": {password}}, nil, "X-Forwarded-For", from)
	}
	const good = "long enough password"
	for _, step := range []struct {
		email, password string
		want            int
	}{
		{"a@example.com", good, http.StatusSeeOther},
		{"a@example.com", good, http.StatusUnprocessableEntity}, // taken: counts
		{"c@example.com", "short", http.StatusUnprocessableEntity},
		{"c@example.com", "short", http.StatusUnprocessableEntity},
		{"b@example.com", good, http.StatusSeeOther},
	} {
		if res := signup(step.email, step.password, "203.0.113.10"); res.StatusCode != step.want {
			t.Fatalf("sign-up %s: status %d, want %d\n%s", step.email, res.StatusCode, step.want, testapp.Body(res))
		}
	}
	accounts := countRows(t, app, `SELECT count(*) FROM accounts`)
	res := signup("c@example.com", good, "203.0.113.10")
	body := testapp.Body(res)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many accounts were created from your address") {
		t.Fatalf("4th costly sign-up: status %d, want 429 saying why\n%s", res.StatusCode, body)
	}
	if secs, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
	}
	if n := countRows(t, app, `SELECT count(*) FROM accounts`); n != accounts {
		t.Errorf("a refused sign-up made an account (%d -> %d)", accounts, n)
	}
	if res := signup("c@example.com", good, "203.0.113.11"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-up from another address: status %d, want 303", res.StatusCode)
	}
}

// The default sign-up limit per address is the sign-in one (30, then one per
// 2 s), so a script that makes eleven accounts in a row is not refused.
func TestDefaultSignUpLimitLetsScriptsThrough(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, func(c *web.Config) { c.TrustProxy = true })
	for i := range 11 {
		res := send(t, app, http.MethodPost, "/signup", url.Values{
			"email": {"script" + strconv.Itoa(i) + "@example.com"}, "displayName": {"Script"},
			"password": {"long enough password"}}, nil, "X-Forwarded-For", "203.0.113.20")
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-up %d from one address: status %d, want 303\n%s", i+1, res.StatusCode, testapp.Body(res))
		}
	}
}
