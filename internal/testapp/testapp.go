// Package testapp starts a whole Guildhall server for tests: the real router
// and middleware over a fresh, migrated PostgreSQL database, listening on a
// loopback port.
package testapp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"guildhall/app"
	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/mail"
	"guildhall/internal/postgres"
	"guildhall/internal/testdb"
	"guildhall/web"
	"guildhall/web/api"
)

// App is a running server with its database and services.
type App struct {
	URL      string
	DB       *postgres.DB
	Services *postgres.Services
	Server   *web.Server
	logs     *syncBuffer
	app      *app.App
}

// Option changes the server's configuration before it starts.
type Option func(*web.Config)

// New starts a server on a fresh database; it stops when the test ends.
func New(t testing.TB, opts ...Option) *App {
	t.Helper()
	return start(t, nil, opts)
}

// NewWithMail starts a server like New that sends email through sender,
// with links in emails pointing at the server.
func NewWithMail(t testing.TB, sender *mail.Sender, opts ...Option) *App {
	t.Helper()
	return serveOn(t, postgres.Wrap(testdb.New(t)), sender, nil, opts)
}

// start assembles the server as cmd/guildhall does (package app), with
// tiny password hashing and the logs kept, and serves it on a loopback port.
func start(t testing.TB, configureAPI func(*api.Config), opts []Option) *App {
	t.Helper()
	return serveOn(t, postgres.Wrap(testdb.New(t)), nil, configureAPI, opts)
}

// serveOn assembles and serves an instance over db. Webhook endpoints may
// be private: the tests' receivers listen on 127.0.0.1.
func serveOn(t testing.TB, db *postgres.DB, sender *mail.Sender, configureAPI func(*api.Config), opts []Option) *App {
	t.Helper()
	logs := &syncBuffer{}
	ts := httptest.NewUnstartedServer(nil)
	a := app.New(db, app.Config{
		Logger:               slog.New(slog.NewJSONHandler(logs, nil)),
		Hasher:               guildhall.TestPasswordHasher(),
		API:                  configureAPI,
		WebhooksAllowPrivate: true,
		Mail:                 sender,
		BaseURL:              "http://" + ts.Listener.Addr().String(),
		Web: func(c *web.Config) {
			for _, o := range opts {
				o(c)
			}
		},
	})
	ts.Config.Handler = a.Server
	ts.Start()
	t.Cleanup(ts.Close)
	return &App{URL: ts.URL, DB: db, Services: a.Services, Server: a.Server, logs: logs, app: a}
}

// Another starts a second instance of Guildhall over the same database, as
// a second `serve` process would be (its own server, services and queue).
func (a *App) Another(t testing.TB) *App {
	t.Helper()
	return serveOn(t, a.DB, nil, nil, nil)
}

// StartJobs works the app's job queue, as `serve` does, until the test
// ends or the returned stop is called (a shutdown: jobs not done stay
// queued). Tests that need no background work leave it off.
func (a *App) StartJobs(t testing.TB) (stop func()) {
	t.Helper()
	q, err := a.app.StartJobs(context.Background(), 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { _ = q.Stop(context.Background()) }) }
	t.Cleanup(stop)
	return stop
}

// WaitJobs waits until no job is due or running (at most a minute).
func (a *App) WaitJobs(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := jobs.WaitIdle(ctx, a.DB.DB.DB); err != nil {
		t.Fatal(err)
	}
}

// Logs returns what the server has logged so far.
func (a *App) Logs() string { return a.logs.String() }

// Password is the password of every account made with Account.
const Password = "correct horse battery"

// Account creates an account; change it with the options.
func (a *App) Account(t testing.TB, email, name string, opts ...func(*guildhall.NewAccount)) *guildhall.Account {
	t.Helper()
	n := guildhall.NewAccount{Email: email, DisplayName: name, Password: Password, PublicProfile: true}
	for _, o := range opts {
		o(&n)
	}
	acct, err := a.Services.Accounts.CreateAccount(context.Background(), n)
	if err != nil {
		t.Fatalf("create account %s: %v", email, err)
	}
	return acct
}

// SiteAdmin makes the account a site admin.
func SiteAdmin(n *guildhall.NewAccount) { n.SiteAdmin = true }

// PrivateProfile makes the account's profile private.
func PrivateProfile(n *guildhall.NewAccount) { n.PublicProfile = false }

// Client is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see them.
func (a *App) Client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// SignedIn returns a client signed in as email.
func (a *App) SignedIn(t testing.TB, email string) *http.Client {
	t.Helper()
	c := a.Client(t)
	res := a.PostForm(t, c, "/login", url.Values{"email": {email}, "password": {Password}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", email, res.StatusCode)
	}
	return c
}

// PostForm posts a form from the app's own origin, as a browser would.
func (a *App) PostForm(t testing.TB, c *http.Client, path string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return a.Do(t, c, req)
}

// Get fetches path.
func (a *App) Get(t testing.TB, c *http.Client, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, a.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a.Do(t, c, req)
}

// Do sends req and reads the whole body into the response, closing it.
func (a *App) Do(t testing.TB, c *http.Client, req *http.Request) *http.Response {
	t.Helper()
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	res.Body.Close()
	res.Body = readCloser{bytes.NewReader(buf.Bytes())}
	return res
}

// Body returns the response body as text.
func Body(res *http.Response) string {
	if rc, ok := res.Body.(readCloser); ok {
		_, _ = rc.Seek(0, io.SeekStart) // cannot fail on a bytes.Reader
	}
	var buf bytes.Buffer
	buf.ReadFrom(res.Body)
	return buf.String()
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
