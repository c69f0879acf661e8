package web_test

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"guildhall/internal/testapp"
	"guildhall/migrations"
	"guildhall/web"
	"guildhall/web/api"
)

// TestTwoInstancesBehaveAsOneSite starts two servers on one database, each
// with its own pool, as two guildhall serve processes behind a load
// balancer, and spreads one visitor's requests over both.
func TestTwoInstancesBehaveAsOneSite(t *testing.T) {
	apps, applied := testapp.Instances(t, 2,
		func(c *api.Config) { c.RateLimit, c.Burst = rate.Every(time.Hour), 4 },
		func(c *web.Config) {
			c.LoginLimits = web.LoginLimits{AccountBurst: 5, AccountEvery: time.Hour, AddressBurst: 100, AddressEvery: time.Second}
		})
	a, b := apps[0], apps[1]

	// Started together, they migrated the database once between them.
	files, _ := fs.Glob(migrations.FS, "*.sql")
	if max(applied[0], applied[1]) < len(files) || min(applied[0], applied[1]) != 0 {
		t.Errorf("the instances applied %v migrations; want all (%d files and River's) by one of them", applied, len(files))
	}

	admin := a.Account(t, "admin@example.com", "Admin", testapp.SiteAdmin)
	b.Account(t, "ada@example.com", "Ada")

	// A session made on one instance works on the other. Both listen on
	// 127.0.0.1, so one cookie jar carries the cookie to both, as a browser
	// does behind one site name.
	c := a.SignedIn(t, "admin@example.com")
	if res := b.Get(t, c, "/admin/settings"); res.StatusCode != http.StatusOK {
		t.Fatalf("the session from instance A on instance B: status %d, want 200", res.StatusCode)
	}

	// A flash message set on one is shown by the other, once.
	res := a.PostForm(t, c, "/admin/settings", url.Values{"creationPolicy": {"ALL_MEMBERS"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings on A: status %d", res.StatusCode)
	}
	if body := testapp.Body(b.Get(t, c, "/admin/settings")); !strings.Contains(body, "Saved:") {
		t.Errorf("the flash set on A is not shown on B:\n%s", body)
	}
	if body := testapp.Body(a.Get(t, c, "/admin/settings")); strings.Contains(body, "Saved:") {
		t.Error("the flash was shown twice")
	}

	// Five failed sign-ins spread over both lock the account on both.
	visitor := a.Client(t)
	for i := range 5 {
		app := apps[i%2]
		res := app.PostForm(t, visitor, "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("failed sign-in %d: status %d, want 422", i+1, res.StatusCode)
		}
	}
	for i, app := range apps {
		res := app.PostForm(t, visitor, "/login", url.Values{"email": {"ada@example.com"}, "password": {testapp.Password}})
		if res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("sign-in on instance %d after five failures over both: status %d, want 429", i, res.StatusCode)
		}
	}

	// An API token's limit (4 at once here) holds across both.
	token := a.APIToken(t, admin, false)
	for i := range 4 {
		if res := apps[i%2].APIRequest(t, token, "GET", "/groups", nil); res.StatusCode != http.StatusOK {
			t.Fatalf("API call %d: status %d, want 200", i+1, res.StatusCode)
		}
	}
	for i, app := range apps {
		if res := app.APIRequest(t, token, "GET", "/groups", nil); res.StatusCode != http.StatusTooManyRequests {
			t.Errorf("fifth API call on instance %d: status %d, want 429", i, res.StatusCode)
		}
	}
}
