package api_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"guildhall/internal/guildhall"
	"guildhall/web/api"
)

func TestAPIAuthentication(t *testing.T) {
	w := newWorld(t, nil)
	_, token := w.person("Ada Member")

	t.Run("a token works", func(t *testing.T) {
		w.expect(token, "GET", "/groups", nil, 200)
	})
	for name, header := range map[string]string{
		"no header":     "",
		"basic auth":    "Basic YWRhOnB3",
		"empty bearer":  "Bearer ",
		"unknown token": "Bearer gh_AAAAAAAAAAAAAAAAAAAAAAAAAA",
		"not a token":   "Bearer hello",
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", w.app.URL+"/api/v1/groups", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			res := w.app.Do(t, http.DefaultClient, req)
			if res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("status %d, WWW-Authenticate %q; want 401 asking for a bearer token", res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
			if !strings.Contains(readAll(res), `"code":"UNAUTHENTICATED"`) {
				t.Errorf("body lacks the UNAUTHENTICATED code")
			}
		})
	}
	t.Run("the scheme is case-insensitive", func(t *testing.T) {
		req, _ := http.NewRequest("GET", w.app.URL+"/api/v1/groups", nil)
		req.Header.Set("Authorization", "bearer "+token)
		if res := w.app.Do(t, http.DefaultClient, req); res.StatusCode != 200 {
			t.Errorf("status %d", res.StatusCode)
		}
	})
	t.Run("every route but the document needs a token", func(t *testing.T) {
		w.expectError("", "POST", "/groups", map[string]any{"group": map[string]any{"name": "x"}}, 401, "UNAUTHENTICATED")
		w.expectError("", "GET", "/settings", nil, 401, "UNAUTHENTICATED")
		w.expect("", "GET", "/openapi.json", nil, 200)
	})
}

// TestAPIRefusesTheSessionCookie: a signed-in browser gets nothing from
// the API without a token, and is not sent to the sign-in page either.
func TestAPIRefusesTheSessionCookie(t *testing.T) {
	w := newWorld(t, nil)
	w.person("Ada Member")
	browser := w.app.SignedIn(t, "ada@example.com")
	if res := w.app.Get(t, browser, "/groups"); res.StatusCode != 200 {
		t.Fatalf("the session works on the dashboard: status %d", res.StatusCode)
	}
	for _, path := range []string{"/api/v1/groups", "/api/v1/settings", "/api/v1/nowhere"} {
		res := w.app.Get(t, browser, path)
		want := 401
		if path == "/api/v1/nowhere" {
			want = 404
		}
		if res.StatusCode != want || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("GET %s with the session cookie: %d %s, want %d JSON", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
	}
}

func TestAPIRevokedTokenStopsAtOnce(t *testing.T) {
	w := newWorld(t, nil)
	ada, token := w.person("Ada Member")
	w.expect(token, "GET", "/groups", nil, 200)
	list, err := w.app.Services.Tokens.ListTokens(w.ctx, guildhall.ActorFor(ada))
	if err != nil || len(list) != 1 {
		t.Fatalf("list tokens: %v, %v", list, err)
	}
	if err := w.app.Services.Tokens.RevokeToken(w.ctx, guildhall.ActorFor(ada), list[0].ID); err != nil {
		t.Fatal(err)
	}
	w.expectError(token, "GET", "/groups", nil, 401, "UNAUTHENTICATED")
}

// TestAPICallsFromScripts: a script sends no Origin or Sec-Fetch-Site, and
// http.CrossOriginProtection in front of everything lets its POSTs through;
// a browser's cross-site POST is still refused.
func TestAPICallsFromScripts(t *testing.T) {
	w := newWorld(t, nil)
	w.expect(w.rootTok, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Scripted"}}, 201)

	req, _ := http.NewRequest("POST", w.app.URL+"/api/v1/groups", strings.NewReader(`{"group": {"name": "From elsewhere"}}`))
	req.Header.Set("Authorization", "Bearer "+w.rootTok)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	if res := w.app.Do(t, http.DefaultClient, req); res.StatusCode != 403 {
		t.Errorf("cross-site browser POST: status %d, want 403", res.StatusCode)
	}
}

func TestAPIRateLimit(t *testing.T) {
	w := newWorld(t, func(c *api.Config) { c.RateLimit, c.Burst = rate.Every(time.Hour), 3 })
	_, ada := w.person("Ada Member")
	_, bob := w.person("Bob Member")
	for range 3 {
		w.expect(ada, "GET", "/groups", nil, 200)
	}
	res := w.app.APIRequest(t, ada, "GET", "/groups", nil)
	if res.StatusCode != 429 || !strings.Contains(readAll(res), `"code":"RESOURCE_EXHAUSTED"`) {
		t.Fatalf("fourth call: %d %s, want 429 RESOURCE_EXHAUSTED", res.StatusCode, readAll(res))
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	w.expect(bob, "GET", "/groups", nil, 200) // each token has its own budget
}

func TestAPIBodies(t *testing.T) {
	w := newWorld(t, nil)
	t.Run("over 1 MiB", func(t *testing.T) {
		big := `{"group": {"name": "x", "description": "` + strings.Repeat("a", 1<<20) + `"}}`
		w.expect(w.rootTok, "POST", "/groups", big, 413)
	})
	t.Run("unknown field, named with its path", func(t *testing.T) {
		w.expectViolation(w.rootTok, "POST", "/groups", `{"group": {"name": "x", "slug": "mine"}}`, "group.slug")
		w.expectViolation(w.rootTok, "POST", "/groups", `{"group": {"name": "x"}, "owner": "me"}`, "owner")
		w.expectViolation(w.rootTok, "POST", "/groups", `{"group": {"name": "x", "settings": {"showMembers": true}}}`, "group.settings.showMembers")
	})
	t.Run("wrong type, named", func(t *testing.T) {
		w.expectViolation(w.rootTok, "POST", "/groups", `{"group": {"name": 5}}`, "group.name")
		w.expectViolation(w.rootTok, "PATCH", "/settings", `{"creationPolicy": true}`, "creationPolicy")
	})
	t.Run("not JSON", func(t *testing.T) {
		w.expect(w.rootTok, "POST", "/groups", `{"group": `, 400)
		w.expect(w.rootTok, "POST", "/groups", `{"group": {"name": "x"}} {}`, 400)
		w.expect(w.rootTok, "POST", "/groups", `name=x`, 400)
	})
	t.Run("missing body", func(t *testing.T) {
		w.expect(w.rootTok, "POST", "/groups", nil, 400)
		w.expectViolation(w.rootTok, "POST", "/groups", `{}`, "group")
	})
	t.Run("calls that take no body refuse one they cannot take", func(t *testing.T) {
		g := "/groups/0b6c1d3e-0000-4000-8000-000000000000"
		w.expectViolation(w.rootTok, "POST", g+"/leave", `{"force": true}`, "force")
		w.expect(w.rootTok, "DELETE", g, `{"x": "`+strings.Repeat("a", 1<<20)+`"}`, 413)
		// An empty object or no body at all is fine: the call goes on (and
		// finds no such group).
		w.expect(w.rootTok, "POST", g+"/leave", `{}`, 404)
		w.expect(w.rootTok, "DELETE", g, nil, 404)
	})
}

func TestAPIUnknownRoutes(t *testing.T) {
	w := newWorld(t, nil)
	w.expectError(w.rootTok, "GET", "/nowhere", nil, 404, "NOT_FOUND")
	res := w.app.APIRequest(t, w.rootTok, "PUT", "/groups", nil)
	if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, POST" {
		t.Errorf("PUT /groups: %d, Allow %q; want 405 with GET, POST", res.StatusCode, res.Header.Get("Allow"))
	}
}

// TestAPIInternalErrorsAreSafe: a failing service is a 500 whose body says
// nothing of the failure, which goes to the log with the request id.
func TestAPIInternalErrorsAreSafe(t *testing.T) {
	var logs bytes.Buffer
	h := api.New(api.Config{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Tokens: fakeTokens{}, Groups: failingGroups{},
	})
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-ID", "req-42")
	req := httptest.NewRequest("GET", "/api/v1/groups/00000000-0000-0000-0000-000000000000", nil)
	req.Header.Set("Authorization", "Bearer gh_fake")
	h.ServeHTTP(rec, req)
	body := rec.Body.String()
	if rec.Code != 500 || !strings.Contains(body, `"code":"INTERNAL"`) || !strings.Contains(body, "req-42") {
		t.Fatalf("status %d body %s; want 500 INTERNAL naming the request id", rec.Code, body)
	}
	if strings.Contains(body, "password=") {
		t.Errorf("the body leaks the failure: %s", body)
	}
	if !strings.Contains(logs.String(), "password=") || !strings.Contains(logs.String(), "req-42") {
		t.Errorf("the log lacks the failure: %s", logs.String())
	}
}

type fakeTokens struct{ guildhall.TokenService }

func (fakeTokens) Authenticate(context.Context, string, *guildhall.Limit) (guildhall.Actor, time.Duration, error) {
	return guildhall.Actor{Account: guildhall.Account{ID: "x", PublicProfile: true}}, 0, nil
}

type failingGroups struct{ guildhall.GroupService }

func (failingGroups) GroupByID(context.Context, guildhall.Actor, string) (*guildhall.GroupView, error) {
	return nil, errors.New("dial postgres://app:password=hunter2@db: connection refused")
}

func readAll(res *http.Response) string {
	b, _ := io.ReadAll(res.Body)
	if s, ok := res.Body.(io.Seeker); ok {
		s.Seek(0, io.SeekStart)
	}
	return string(b)
}
