package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"guildhall/internal/testapp"
	"guildhall/web"
)

// Behind a proxy, a client that writes its own X-Forwarded-For entries is
// still counted by the address the proxy appended: the per-address sign-in
// limit holds however the entries on the left change.
func TestForgedForwardedForDoesNotEscapeTheAddressLimit(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, func(c *web.Config) {
		c.TrustProxy = true
		c.LoginLimits = web.LoginLimits{AccountBurst: 100, AccountEvery: time.Hour, AddressBurst: 5, AddressEvery: time.Hour}
	})
	attempt := func(i int, forwarded string) *http.Response {
		t.Helper()
		return send(t, app, http.MethodPost, "/login",
			url.Values{"email": {fmt.Sprintf("nobody%d@example.com", i)}, "password": {"wrong password"}}, nil,
			"X-Forwarded-For", forwarded)
	}
	for i := 1; i <= 5; i++ {
		if res := attempt(i, fmt.Sprintf("198.51.100.%d, 203.0.113.10", i)); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d: status %d, want 422", i, res.StatusCode)
		}
	}
	if res := attempt(6, "198.51.100.6, 203.0.113.10"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("6th attempt from 203.0.113.10 with a new forged entry: status %d, want 429\n%s", res.StatusCode, testapp.Body(res))
	}
	// Another client behind the same proxy is another address.
	if res := attempt(7, "203.0.113.11"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("another client: status %d, want 422", res.StatusCode)
	}
}
