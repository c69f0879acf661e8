package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"guildhall/internal/app"
	"guildhall/internal/guildhall"
	"guildhall/web"
	"guildhall/web/api"
)

// apiClient shows redirects rather than following them, and keeps no cookies.
var apiClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// APIConfig is the API configuration cmd/guildhall would build over the
// app's services.
func APIConfig(a *App) api.Config { return app.APIConfig(a.Services, a.Server.Logger) }

// NewAPI starts a server like New with the JSON API mounted at /api/v1/,
// its configuration changed by configure (nil keeps the defaults).
func NewAPI(t testing.TB, configure func(*api.Config), opts ...Option) *App {
	t.Helper()
	// The API is built over the app's services, which exist only once the
	// app does; until then the mounted handler has nothing to call.
	var h atomic.Pointer[api.Handler]
	mount := func(c *web.Config) {
		c.API = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) })
	}
	app := New(t, append(opts, mount)...)
	cfg := APIConfig(app)
	if configure != nil {
		configure(&cfg)
	}
	h.Store(api.New(cfg))
	return app
}

// APIToken makes an API token for acct, elevated if asked (acct must then
// be a site admin), and returns it.
func (a *App) APIToken(t testing.TB, acct *guildhall.Account, elevated bool) string {
	t.Helper()
	token, _, err := a.Services.Tokens.CreateToken(context.Background(), guildhall.ActorFor(acct), "test", elevated)
	if err != nil {
		t.Fatalf("make API token for %s: %v", acct.Email, err)
	}
	return token
}

// APIRequest calls the API with token ("" sends none). path is below
// /api/v1 unless it starts with /api/. body is sent as is when it is a
// string or []byte, else as JSON; nil sends no body. Like a script, it
// sends no Origin or Sec-Fetch-Site header.
func (a *App) APIRequest(t testing.TB, token, method, path string, body any) *http.Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	if !strings.HasPrefix(path, "/api/") {
		path = api.BasePath + path
	}
	req, err := http.NewRequest(method, a.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return a.Do(t, apiClient, req)
}

// API calls the API like APIRequest and returns the status and the decoded
// JSON body (nil when the body is not JSON).
func (a *App) API(t testing.TB, token, method, path string, body any) (int, map[string]any) {
	t.Helper()
	res := a.APIRequest(t, token, method, path, body)
	var out map[string]any
	if err := json.Unmarshal([]byte(Body(res)), &out); err != nil {
		out = nil
	}
	return res.StatusCode, out
}
