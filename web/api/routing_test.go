package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/web/api"
)

// TestRoutingAnswers pins how a call finds its route, or is told there is
// none, before any service is asked: a path the mux would clean is
// redirected only when a route serves the clean one; a path or query value
// that is not text is refused naming it, on a route or off one; a path
// with other methods is 405 with Allow; the shared GET shape picks by-slug
// first.
func TestRoutingAnswers(t *testing.T) {
	h := api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tokens: fakeTokens{}, Groups: absentGroups{}})
	const id = "0b6c1d3e-0000-4000-8000-000000000000"
	for _, c := range []struct {
		method, target string
		status         int
		// want is in the body, or the Location or Allow header.
		want string
	}{
		{"GET", "/api/v1/groups/" + id, 404, `"code":"NOT_FOUND"`},
		{"GET", "/api/v1/groups/by-slug/members", 404, "no group by that slug"},
		{"GET", "/api/v1/groups/" + id + "/nothing", 404, "There is no API endpoint"},
		{"GET", "/api/v1/nowhere", 404, "There is no API endpoint GET /api/v1/nowhere"},
		{"GET", "/api/v1/groups/", 404, "There is no API endpoint"},
		{"PUT", "/api/v1/groups", 405, "GET, POST"},
		{"PUT", "/api/v1/groups/" + id, 405, "GET, PATCH, DELETE"},
		{"GET", "/api/v1//groups/" + id, 307, "/api/v1/groups/" + id},
		{"GET", "/api/v1/x/../groups/" + id + "?a=b", 307, "/api/v1/groups/" + id + "?a=b"},
		{"GET", "/api/v1//nowhere", 404, "There is no API endpoint"},
		{"GET", "/api/v1/groups/%00", 400, `"field":"id"`},
		{"GET", "/api/v1/groups/by-slug/%ff", 400, `"field":"slug"`},
		{"GET", "/api/v1/nowhere/%00", 400, `"field":"path"`},
		{"GET", "/api/v1//nowhere/%00", 400, `"field":"path"`},
		{"GET", "/api/v1/groups?limit=%00", 400, `"field":"limit"`},
		{"GET", "/api/v1/openapi.json", 200, `"openapi"`},
	} {
		t.Run(c.method+" "+c.target, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.target, nil)
			req.Header.Set("Authorization", "Bearer gh_fake")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Body.String() + " Location: " + rec.Header().Get("Location") + " Allow: " + rec.Header().Get("Allow")
			if rec.Code != c.status || !strings.Contains(got, c.want) {
				t.Errorf("%d %s; want %d with %q", rec.Code, got, c.status, c.want)
			}
		})
	}
}

// TestRoutePatternForTheLog: the pattern the access log and the metrics
// read from the request is the route's, and a call no route serves keeps
// the one the server matched (/api/v1/), not the API's catch-all.
func TestRoutePatternForTheLog(t *testing.T) {
	h := api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tokens: fakeTokens{}, Groups: absentGroups{}})
	const id = "0b6c1d3e-0000-4000-8000-000000000000"
	for target, want := range map[string]string{
		"/api/v1/groups/" + id:              "GET /api/v1/groups/{id}",
		"/api/v1/groups/by-slug/chess":      "GET /api/v1/groups/by-slug/{slug}",
		"/api/v1/nowhere":                   "/api/v1/",
		"/api/v1/groups/" + id + "/nothing": "/api/v1/",
	} {
		req := httptest.NewRequest("GET", target, nil)
		req.Header.Set("Authorization", "Bearer gh_fake")
		req.Pattern = "/api/v1/"
		h.ServeHTTP(httptest.NewRecorder(), req)
		if req.Pattern != want {
			t.Errorf("GET %s: pattern %q, want %q", target, req.Pattern, want)
		}
	}
}

type absentGroups struct{ guildhall.GroupService }

func (absentGroups) GroupByID(context.Context, guildhall.Actor, string) (*guildhall.GroupView, error) {
	return nil, guildhall.NotFound("Group not found.")
}

func (absentGroups) GroupBySlug(context.Context, guildhall.Actor, string) (*guildhall.GroupView, error) {
	return nil, guildhall.NotFound("There is no group by that slug.")
}
