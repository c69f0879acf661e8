package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"guildhall/internal/testapp"
	"guildhall/web"
)

// sessionCookie is the name of Guildhall's session cookie.
const sessionCookie = "guildhall_session"

// htmxSHA256 is the digest of the vendored htmx.org@2.0.11 dist/htmx.min.js.
const htmxSHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"

// raw is a client without a cookie jar that does not follow redirects, for
// tests that handle the session cookie themselves.
func raw() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// send makes a request with an optional session cookie and extra headers
// (name, value pairs). A POST carries form and, unless headers override them,
// the Origin and Sec-Fetch-Site a browser on the app's own page would send.
func send(t *testing.T, app *testapp.App, method, path string, form url.Values, cookie *http.Cookie, headers ...string) *http.Response {
	t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req, err := http.NewRequest(method, app.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	if cookie != nil {
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	return app.Do(t, raw(), req)
}

// sessionFrom returns the session cookie the response sets, or nil.
func sessionFrom(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	return nil
}

// signIn signs in over a raw client and returns the new session cookie.
func signIn(t *testing.T, app *testapp.App, email string, old *http.Cookie, headers ...string) *http.Cookie {
	t.Helper()
	res := send(t, app, http.MethodPost, "/login", url.Values{"email": {email}, "password": {testapp.Password}}, old, headers...)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d, want 303\n%s", email, res.StatusCode, testapp.Body(res))
	}
	c := sessionFrom(res)
	if c == nil || c.Value == "" {
		t.Fatalf("sign in as %s set no session cookie (Set-Cookie %q)", email, res.Header.Values("Set-Cookie"))
	}
	return c
}

// signedIn reports whether cookie opens a member page.
func signedIn(t *testing.T, app *testapp.App, cookie *http.Cookie) bool {
	t.Helper()
	res := send(t, app, http.MethodGet, "/profile", nil, cookie)
	switch {
	case res.StatusCode == http.StatusOK:
		return true
	case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), "/login"):
		return false
	}
	t.Fatalf("GET /profile: status %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	return false
}

// countRows runs a count query on the app's database.
func countRows(t *testing.T, app *testapp.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := app.DB.GetContext(context.Background(), &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func tokenHash(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	member := app.SignedIn(t, "ada@example.com")
	visitor := app.Client(t)

	for _, tc := range []struct {
		name   string
		client *http.Client
		path   string
		status int
	}{
		{"sign-in page", visitor, "/login", http.StatusOK},
		{"member page", member, "/profile", http.StatusOK},
		{"unknown page", member, "/no-such-page", http.StatusNotFound},
		{"redirect to sign in", visitor, "/profile", http.StatusSeeOther},
		{"static file", visitor, "/static/css/app.css", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := app.Get(t, tc.client, tc.path)
			if res.StatusCode != tc.status {
				t.Fatalf("GET %s: status %d, want %d", tc.path, res.StatusCode, tc.status)
			}
			csp := res.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("Content-Security-Policy %q allows inline or eval'd script", csp)
			}
			for name, want := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "same-origin",
				"X-Frame-Options":        "DENY",
			} {
				if got := res.Header.Get(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}
}

func TestRequestIDOnEveryResponseAndDistinct(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	c := app.Client(t)
	seen := map[string]string{}
	for _, path := range []string{"/login", "/login", "/healthz", "/profile", "/static/css/app.css", "/no-such-page"} {
		res := app.Get(t, c, path)
		id := res.Header.Get("X-Request-ID")
		if id == "" {
			t.Fatalf("GET %s (status %d) has no X-Request-ID", path, res.StatusCode)
		}
		if prev, dup := seen[id]; dup {
			t.Fatalf("GET %s got X-Request-ID %q, already given to GET %s", path, id, prev)
		}
		seen[id] = path
	}
}

// logLine waits for the access-log line of the request with id.
func logLine(t *testing.T, app *testapp.App, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, line := range strings.Split(app.Logs(), "\n") {
			if line == "" {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("log line is not JSON: %v\n%s", err, line)
			}
			if m["msg"] == "request" && m["request_id"] == id {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access-log line with request_id %q in:\n%s", id, app.Logs())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAccessLogLinePerRequest(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	member := app.SignedIn(t, "ada@example.com")

	for _, tc := range []struct {
		name   string
		res    func() *http.Response
		method string
		route  string
		status float64
	}{
		{"page", func() *http.Response { return app.Get(t, app.Client(t), "/login") }, "GET", "GET /login", 200},
		{"form post", func() *http.Response {
			return app.PostForm(t, app.Client(t), "/login", url.Values{"email": {"ada@example.com"}, "password": {"wrong password"}})
		}, "POST", "POST /login", 422},
		{"unknown page", func() *http.Response { return app.Get(t, member, "/no-such-page") }, "GET", "/", 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.res()
			id := res.Header.Get("X-Request-ID")
			line := logLine(t, app, id)
			if line["method"] != tc.method || line["route"] != tc.route || line["status"] != tc.status {
				t.Errorf("log line method=%v route=%v status=%v, want %s %q %v\n%v",
					line["method"], line["route"], line["status"], tc.method, tc.route, tc.status, line)
			}
			if d, ok := line["duration"].(float64); !ok || d <= 0 {
				t.Errorf("log line duration = %v, want a positive number of nanoseconds", line["duration"])
			}
			if line["level"] != "INFO" {
				t.Errorf("log line level = %v, want INFO", line["level"])
			}
		})
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	// A signed-in browser's cookie must not make the checks need the
	// session store (the database).
	c := app.SignedIn(t, "ada@example.com")
	for _, path := range []string{"/healthz", "/readyz"} {
		if res := app.Get(t, c, path); res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d, want 200", path, res.StatusCode)
		}
	}

	if err := app.DB.Close(); err != nil {
		t.Fatal(err)
	}
	if res := app.Get(t, c, "/readyz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the database closed: status %d, want 503", res.StatusCode)
	}
	if res := app.Get(t, c, "/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the database closed: status %d, want 200 (the process still runs)", res.StatusCode)
	}
}

func TestDenyByDefault(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	visitor := app.Client(t)

	for _, path := range []string{"/groups", "/profile", "/groups?q=chess&sort=name", "/groups/new", "/inbox", "/me/requests", "/admin/settings", "/admin/audit", "/no-such-page"} {
		res := app.Get(t, visitor, path)
		want := "/login?next=" + url.QueryEscape(path)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("visitor GET %s: status %d Location %q, want 303 to %q", path, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	if res := app.Get(t, visitor, "/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("visitor GET /: status %d Location %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
	for _, path := range []string{"/profile", "/logout", "/groups/new"} {
		res := app.PostForm(t, visitor, path, url.Values{"displayName": {"Intruder"}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
			t.Errorf("visitor POST %s: status %d Location %q, want 303 to /login", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	for _, path := range []string{"/login", "/signup", "/healthz", "/readyz", "/static/css/app.css", "/static/js/htmx-2.0.11.min.js"} {
		if res := app.Get(t, visitor, path); res.StatusCode != http.StatusOK {
			t.Errorf("visitor GET %s: status %d, want 200 (public)", path, res.StatusCode)
		}
	}

	// The page remembered in next is where signing in lands.
	app.Account(t, "ada@example.com", "Ada")
	res := app.PostForm(t, visitor, "/login", url.Values{
		"email": {"ada@example.com"}, "password": {testapp.Password}, "next": {"/groups?q=chess&sort=name"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/groups?q=chess&sort=name" {
		t.Errorf("sign in with next: status %d Location %q, want 303 to /groups?q=chess&sort=name", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestFriendlyNotFoundPage(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada Lovelace")
	c := app.SignedIn(t, "ada@example.com")
	res := app.Get(t, c, "/no/such/page")
	body := testapp.Body(res)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status %d, want 404", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q, want an HTML page", ct)
	}
	for _, want := range []string{"Not found", "Ada Lovelace", "Sign out"} {
		if !strings.Contains(body, want) {
			t.Errorf("404 page lacks %q:\n%s", want, body)
		}
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ada := app.Account(t, "ada@example.com", "Ada")
	cookie := signIn(t, app, "ada@example.com", nil)

	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site", "Origin", ""}},
		{"Origin of another host", []string{"Sec-Fetch-Site", "", "Origin", "http://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := send(t, app, http.MethodPost, "/profile", url.Values{"displayName": {"Hacked"}, "publicProfile": {"on"}}, cookie, tc.headers...)
			if res.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin POST /profile: status %d, want 403", res.StatusCode)
			}
			if body := testapp.Body(res); !strings.Contains(body, "Not allowed") || !strings.Contains(body, "another site") {
				t.Errorf("403 page does not say why:\n%s", body)
			}
			a, err := app.Services.Accounts.AccountByID(context.Background(), ada.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.DisplayName != "Ada" {
				t.Errorf("display name changed to %q by a refused request", a.DisplayName)
			}

			before := countRows(t, app, `SELECT count(*) FROM accounts`)
			res = send(t, app, http.MethodPost, "/signup", url.Values{
				"email": {"mallory@example.com"}, "displayName": {"Mallory"}, "password": {"long enough password"}}, nil, tc.headers...)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("cross-origin POST /signup: status %d, want 403", res.StatusCode)
			}
			if after := countRows(t, app, `SELECT count(*) FROM accounts`); after != before {
				t.Errorf("accounts %d -> %d after a refused sign-up", before, after)
			}
		})
	}

	// The same post from the app's own page goes through.
	res := send(t, app, http.MethodPost, "/profile", url.Values{"displayName": {"Ada L."}, "publicProfile": {"on"}}, cookie)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin POST /profile: status %d, want 303", res.StatusCode)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	t.Parallel()
	plain := testapp.New(t)
	proxied := testapp.New(t, func(c *web.Config) { c.TrustProxy = true })
	for _, app := range []*testapp.App{plain, proxied} {
		app.Account(t, "ada@example.com", "Ada")
	}

	for _, tc := range []struct {
		name       string
		app        *testapp.App
		headers    []string
		wantSecure bool
	}{
		{"plain http", plain, nil, false},
		{"forwarded https without TrustProxy", plain, []string{"X-Forwarded-Proto", "https"}, false},
		{"forwarded https with TrustProxy", proxied, []string{"X-Forwarded-Proto", "https"}, true},
		{"forwarded http with TrustProxy", proxied, []string{"X-Forwarded-Proto", "http"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := signIn(t, tc.app, "ada@example.com", nil, tc.headers...)
			if !c.HttpOnly {
				t.Error("cookie is not HttpOnly")
			}
			if c.SameSite != http.SameSiteLaxMode {
				t.Errorf("cookie SameSite = %v, want Lax", c.SameSite)
			}
			if c.Path != "/" {
				t.Errorf("cookie Path = %q, want /", c.Path)
			}
			if c.Secure != tc.wantSecure {
				t.Errorf("cookie Secure = %v, want %v", c.Secure, tc.wantSecure)
			}
			if c.MaxAge <= 0 || c.MaxAge > 14*24*3600 {
				t.Errorf("cookie Max-Age = %d, want a lifetime of at most 14 days", c.MaxAge)
			}
			// Only a random token: nothing of the account in the cookie.
			if len(c.Value) < 20 || strings.Contains(c.Value, "ada") {
				t.Errorf("cookie value %q does not look like a random token", c.Value)
			}
			if n := countRows(t, tc.app, `SELECT count(*) FROM sessions WHERE token_hash = $1`, tokenHash(c.Value)); n != 1 {
				t.Errorf("%d session rows under the sha256 of the token, want 1", n)
			}
		})
	}
}

func TestSignInRenewsTheSessionToken(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	app.Account(t, "bob@example.com", "Bob")

	// Whatever cookie the visitor had before signing in, from the sign-in
	// page or planted by someone else, is not the one after.
	before := sessionFrom(send(t, app, http.MethodGet, "/login", nil, nil))
	if before == nil {
		before = &http.Cookie{Name: sessionCookie, Value: "PLANTEDBYANATTACKERPLANTEDBYANATTACKER"}
	}
	first := signIn(t, app, "ada@example.com", before)
	if first.Value == before.Value {
		t.Fatalf("sign-in kept the token the visitor had before")
	}
	if signedIn(t, app, before) {
		t.Error("the token from before sign-in is signed in")
	}
	if !signedIn(t, app, first) {
		t.Fatal("the new token is not signed in")
	}

	// Signing in again (as someone else, on the same browser) renews again
	// and the old token dies with its row.
	second := signIn(t, app, "bob@example.com", first)
	if second.Value == first.Value {
		t.Fatal("second sign-in kept the token")
	}
	if signedIn(t, app, first) {
		t.Error("the token of the first sign-in still works after the second")
	}
	if n := countRows(t, app, `SELECT count(*) FROM sessions WHERE token_hash = $1`, tokenHash(first.Value)); n != 0 {
		t.Errorf("the replaced session's row is still stored")
	}
	res := send(t, app, http.MethodGet, "/profile", nil, second)
	if res.StatusCode != http.StatusOK || !strings.Contains(testapp.Body(res), "Bob") {
		t.Errorf("the second token is not Bob's session: status %d", res.StatusCode)
	}
}

func TestSignOutDeletesTheSessionServerSide(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ada := app.Account(t, "ada@example.com", "Ada")
	cookie := signIn(t, app, "ada@example.com", nil)
	copied := *cookie

	res := send(t, app, http.MethodPost, "/logout", nil, cookie)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("POST /logout: status %d Location %q, want 303 to /login", res.StatusCode, res.Header.Get("Location"))
	}
	if c := sessionFrom(res); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("sign-out does not clear the cookie: %v", c)
	}
	if n := countRows(t, app, `SELECT count(*) FROM sessions WHERE account_id = $1`, ada.ID); n != 0 {
		t.Errorf("%d session rows left for the account after sign-out", n)
	}
	if signedIn(t, app, &copied) {
		t.Error("a copy of the cookie replayed after sign-out is signed in")
	}
}

func TestExpiredSessionIsNotSignedIn(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	cookie := signIn(t, app, "ada@example.com", nil)
	if !signedIn(t, app, cookie) {
		t.Fatal("fresh session is not signed in")
	}
	if _, err := app.DB.ExecContext(context.Background(),
		`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, tokenHash(cookie.Value)); err != nil {
		t.Fatal(err)
	}
	if signedIn(t, app, cookie) {
		t.Error("an expired session is signed in")
	}
}

// alert returns the text of the page's form-level alert.
func alert(body string) string {
	m := regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}

func TestWrongEmailAndWrongPasswordGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada")
	c := app.Client(t)
	wrongPassword := app.PostForm(t, c, "/login", url.Values{"email": {"ada@example.com"}, "password": {"not her password"}})
	wrongEmail := app.PostForm(t, c, "/login", url.Values{"email": {"nobody@example.com"}, "password": {testapp.Password}})
	for _, res := range []*http.Response{wrongPassword, wrongEmail} {
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("failed sign-in: status %d, want 422", res.StatusCode)
		}
		if sessionFrom(res) != nil {
			t.Error("failed sign-in set a session cookie")
		}
	}
	a, b := alert(testapp.Body(wrongPassword)), alert(testapp.Body(wrongEmail))
	if a == "" || a != b {
		t.Errorf("wrong password says %q, wrong email says %q; want the same message", a, b)
	}
}

func TestSignInRateLimit(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, func(c *web.Config) {
		c.LoginLimits = web.LoginLimits{AccountBurst: 5, AccountEvery: time.Hour, AddressBurst: 8, AddressEvery: time.Hour}
	})
	app.Account(t, "ada@example.com", "Ada")
	app.Account(t, "bob@example.com", "Bob")
	c := app.Client(t)
	attempt := func(email, password string) *http.Response {
		t.Helper()
		return app.PostForm(t, c, "/login", url.Values{"email": {email}, "password": {password}})
	}
	limited := func(res *http.Response, what string) {
		t.Helper()
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("%s: status %d, want 429", what, res.StatusCode)
		}
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 3600 {
			t.Errorf("%s: Retry-After %q, want whole seconds within the refill time", what, res.Header.Get("Retry-After"))
		}
		if msg := alert(testapp.Body(res)); !strings.Contains(msg, "Too many sign-in attempts") {
			t.Errorf("%s: message %q, want it to say there were too many attempts", what, msg)
		}
		if sessionFrom(res) != nil {
			t.Errorf("%s: a refused sign-in set a session cookie", what)
		}
	}

	for i := 1; i <= 5; i++ {
		if res := attempt("ada@example.com", "wrong password"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d for ada: status %d, want 422", i, res.StatusCode)
		}
	}
	// The sixth attempt for the account is refused even with the right
	// password (failures use up the limit, and a refused attempt cannot tell
	// whether it would succeed); the email's case does not make it another
	// account.
	limited(attempt("ADA@example.com", testapp.Password), "6th attempt for ada")

	// Another account from the same address still gets in, and again and
	// again: a successful sign-in costs nothing. Its failures count toward
	// the address's limit of 8, the refused attempt above included.
	for i := 1; i <= 10; i++ {
		if res := attempt("bob@example.com", testapp.Password); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("successful sign-in %d for bob: status %d, want 303", i, res.StatusCode)
		}
	}
	for i := 7; i <= 8; i++ {
		if res := attempt("bob@example.com", "wrong password"); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("attempt %d from the address: status %d, want 422", i, res.StatusCode)
		}
	}
	limited(attempt("bob@example.com", testapp.Password), "9th attempt from the address")
}

func TestSignUpRejectsBadInputWithAMessagePerField(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "taken@example.com", "Taken")
	longName := strings.Repeat("n", 101)

	for _, tc := range []struct {
		name      string
		form      url.Values
		wantField map[string]string // field id -> message
		keeps     []string          // values shown again
	}{
		{"all empty", url.Values{}, map[string]string{
			"email":       "Email is required.",
			"displayName": "Display name is required.",
			"password":    "Password is required.",
		}, nil},
		{"blank after trimming", url.Values{"email": {"   "}, "displayName": {"   "}, "password": {"long enough password"}}, map[string]string{
			"email":       "Email is required.",
			"displayName": "Display name is required.",
		}, nil},
		{"display name of 101 characters", url.Values{"email": {"new@example.com"}, "displayName": {longName}, "password": {"long enough password"}}, map[string]string{
			"displayName": "Display name must be at most 100 characters.",
		}, []string{`value="new@example.com"`, `value="` + longName + `"`}},
		{"malformed email", url.Values{"email": {"not-an-email"}, "displayName": {"New"}, "password": {"long enough password"}}, map[string]string{
			"email": "Email must be an address like name@example.com.",
		}, []string{`value="not-an-email"`, `value="New"`}},
		{"email without a domain", url.Values{"email": {"someone@localhost"}, "displayName": {"New"}, "password": {"long enough password"}}, map[string]string{
			"email": "Email must be an address like name@example.com.",
		}, nil},
		{"short password", url.Values{"email": {"new@example.com"}, "displayName": {"New"}, "password": {"short"}}, map[string]string{
			"password": "Password must be at least 8 characters.",
		}, []string{`value="new@example.com"`}},
		{"duplicate email in other case", url.Values{"email": {"TAKEN@Example.COM"}, "displayName": {"Someone"}, "password": {"long enough password"}}, map[string]string{
			"email": "An account with this email already exists.",
		}, []string{`value="TAKEN@Example.COM"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			accounts := countRows(t, app, `SELECT count(*) FROM accounts`)
			sessions := countRows(t, app, `SELECT count(*) FROM sessions`)
			res := app.PostForm(t, app.Client(t), "/signup", tc.form)
			body := testapp.Body(res)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", res.StatusCode, body)
			}
			for field, msg := range tc.wantField {
				re := regexp.MustCompile(`id="` + field + `-error"[^>]*>\s*` + regexp.QuoteMeta(msg))
				if !re.MatchString(body) {
					t.Errorf("no message %q tied to field %s", msg, field)
				}
			}
			for _, field := range []string{"email", "displayName", "password"} {
				if _, want := tc.wantField[field]; !want && strings.Contains(body, `id="`+field+`-error"`) {
					t.Errorf("field %s has a message although it is fine", field)
				}
			}
			for _, v := range tc.keeps {
				if !strings.Contains(body, v) {
					t.Errorf("the form does not show %s again", v)
				}
			}
			if strings.Contains(body, "long enough password") {
				t.Error("the password is echoed back into the page")
			}
			if sessionFrom(res) != nil {
				t.Error("a refused sign-up set a session cookie")
			}
			if n := countRows(t, app, `SELECT count(*) FROM accounts`); n != accounts {
				t.Errorf("accounts %d -> %d after a refused sign-up", accounts, n)
			}
			if n := countRows(t, app, `SELECT count(*) FROM sessions`); n != sessions {
				t.Errorf("sessions %d -> %d after a refused sign-up", sessions, n)
			}
		})
	}

	// A good sign-up is saved and signed in.
	res := app.PostForm(t, app.Client(t), "/signup", url.Values{
		"email": {"new@example.com"}, "displayName": {strings.Repeat("n", 100)}, "password": {"long enough password"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/groups" || sessionFrom(res) == nil {
		t.Fatalf("good sign-up: status %d Location %q, want 303 to /groups with a session", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestHtmxServedFromTheAppWithLongCache(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	res := app.Get(t, app.Client(t), "/static/js/htmx-2.0.11.min.js")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", res.StatusCode)
	}
	cc := res.Header.Get("Cache-Control")
	if !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("Cache-Control %q, want a year and immutable", cc)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("Content-Type %q, want JavaScript", ct)
	}
	sum := sha256.Sum256([]byte(testapp.Body(res)))
	if got := hex.EncodeToString(sum[:]); got != htmxSHA256 {
		t.Errorf("sha256 %s, want %s (htmx.org@2.0.11 dist/htmx.min.js)", got, htmxSHA256)
	}

	page := testapp.Body(app.Get(t, app.Client(t), "/login"))
	if !strings.Contains(page, `src="/static/js/htmx-2.0.11.min.js"`) {
		t.Error("the sign-in page does not load htmx from /static/js/htmx-2.0.11.min.js")
	}
}

func TestPagesReferenceNoOtherOrigin(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada", testapp.SiteAdmin)
	member := app.SignedIn(t, "ada@example.com")
	attr := regexp.MustCompile(`(?i)\s(?:src|href|action|formaction|hx-get|hx-post)\s*=\s*["']([^"']*)["']`)
	script := regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	handler := regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)

	for _, tc := range []struct {
		client *http.Client
		path   string
	}{
		{app.Client(t), "/login"},
		{app.Client(t), "/signup"},
		{member, "/profile"},
		{member, "/no-such-page"},
	} {
		res := app.Get(t, tc.client, tc.path)
		body := testapp.Body(res)
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: status %d", tc.path, res.StatusCode)
		}
		for _, m := range attr.FindAllStringSubmatch(body, -1) {
			ref := strings.ToLower(strings.TrimSpace(m[1]))
			if (strings.HasPrefix(ref, "http:") || strings.HasPrefix(ref, "https:") || strings.HasPrefix(ref, "//")) &&
				!strings.HasPrefix(ref, strings.ToLower(app.URL)+"/") {
				t.Errorf("GET %s references another origin: %s", tc.path, strings.TrimSpace(m[0]))
			}
		}
		for _, m := range script.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
				t.Errorf("GET %s has inline script: %s", tc.path, m[0])
			}
		}
		if m := handler.FindString(body); m != "" {
			t.Errorf("GET %s has an inline event handler: %s", tc.path, m)
		}
	}
}

func TestSignInNeverRedirectsOffSite(t *testing.T) {
	t.Parallel()
	app := testapp.New(t, func(c *web.Config) {
		c.LoginLimits = web.LoginLimits{AccountBurst: 100, AccountEvery: time.Millisecond, AddressBurst: 100, AddressEvery: time.Millisecond}
	})
	app.Account(t, "ada@example.com", "Ada")

	for _, tc := range []struct{ next, want string }{
		{"//evil.example", "/groups"},
		{"//evil.example/groups", "/groups"},
		{"https://evil.example", "/groups"},
		{"http://evil.example/login", "/groups"},
		{`/\evil.example`, "/groups"},
		{"/\t/evil.example", "/groups"},
		{"/\t\\evil.example", "/groups"},
		{"evil.example", "/groups"},
		{"javascript:alert(1)", "/groups"},
		{"", "/groups"},
		{"/profile", "/profile"},
		{"/groups?q=a&sort=name", "/groups?q=a&sort=name"},
	} {
		t.Run(strconv.Quote(tc.next), func(t *testing.T) {
			// The sign-in page carries next on to its form, made safe.
			page := testapp.Body(app.Get(t, app.Client(t), "/login?next="+url.QueryEscape(tc.next)))
			if strings.Contains(page, "evil.example") {
				t.Errorf("the sign-in page carries %q on", tc.next)
			}

			c := app.Client(t)
			res := app.PostForm(t, c, "/login", url.Values{"email": {"ada@example.com"}, "password": {testapp.Password}, "next": {tc.next}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
				t.Errorf("sign in with next=%q: status %d Location %q, want 303 to %q", tc.next, res.StatusCode, res.Header.Get("Location"), tc.want)
			}

			// Already signed in, the sign-in page sends on to next, just as safely.
			res = app.Get(t, c, "/login?next="+url.QueryEscape(tc.next))
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
				t.Errorf("signed-in GET /login?next=%q: status %d Location %q, want 303 to %q", tc.next, res.StatusCode, res.Header.Get("Location"), tc.want)
			}
		})
	}
}

// TestSessionRowsFromAnOlderVersionStillWork: sessions are stored as JSON
// now; a row an older Guildhall wrote in gob (here with a flash message)
// still signs its owner in and still shows its flash once.
func TestSessionRowsFromAnOlderVersionStillWork(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ada := app.Account(t, "ada@example.com", "Ada")
	cookie := signIn(t, app, "ada@example.com", nil)
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(map[any]any{"account_id": ada.ID, "flash": "Saved in the old format."}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.DB.ExecContext(context.Background(),
		`UPDATE sessions SET data = $2 WHERE token_hash = $1`, tokenHash(cookie.Value), old.Bytes()); err != nil {
		t.Fatal(err)
	}
	res := send(t, app, http.MethodGet, "/groups", nil, cookie)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), "Saved in the old format.") {
		t.Fatalf("GET /groups with a gob session: status %d, flash shown %v", res.StatusCode, strings.Contains(string(b), "Saved in the old format."))
	}
	var data []byte
	if err := app.DB.GetContext(context.Background(), &data, `SELECT data FROM sessions WHERE token_hash = $1`, tokenHash(cookie.Value)); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("{")) || bytes.Contains(data, []byte("old format")) {
		t.Errorf("after the flash was shown the row holds %q, want it rewritten as JSON without the flash", data)
	}
	res = send(t, app, http.MethodGet, "/groups", nil, cookie)
	b, _ = io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || strings.Contains(string(b), "Saved in the old format.") {
		t.Errorf("second GET /groups: status %d, flash shown again %v", res.StatusCode, strings.Contains(string(b), "Saved in the old format."))
	}
}
