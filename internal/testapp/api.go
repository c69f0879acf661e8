package testapp

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/web/api"
)

// apiClient shows redirects rather than following them, and keeps no cookies.
var apiClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// NewAPI starts a server like New, its JSON API's configuration changed
// by configure (nil keeps the defaults).
func NewAPI(t testing.TB, configure func(*api.Config), opts ...Option) *App {
	t.Helper()
	return start(t, configure, opts)
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
