package api_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"guildhall/web/api"
)

// openAPIDoc fetches the document the way a caller does, without a token.
func openAPIDoc(t *testing.T, h *api.Handler) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET openapi.json: %d %s", rec.Code, rec.Body)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	return doc
}

var docMethods = []string{"get", "post", "patch", "delete", "put"}

// TestOpenAPIDescribesEveryRoute walks the registered routes against the
// document both ways: every route is in the document, and every operation
// of the document reaches exactly that route of the real mux.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	h := api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	doc := openAPIDoc(t, h)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v, want 3.1.0", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)

	documented := map[string]bool{}
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if !slices.Contains(docMethods, method) {
				t.Errorf("path %s has %q, which is no method", path, method)
				continue
			}
			pattern := strings.ToUpper(method) + " " + api.BasePath + path
			documented[pattern] = true
			// The document's path, with values in its parameters, must
			// reach this very route.
			concrete := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x1")
			if got := h.Match(strings.ToUpper(method), api.BasePath+concrete); got != pattern {
				t.Errorf("the document has %s, but %s %s reaches %q", pattern, strings.ToUpper(method), concrete, got)
			}
		}
	}
	for _, p := range h.Patterns() {
		if !documented[p] {
			t.Errorf("route %s is missing from the document", p)
		}
	}
	if len(documented) != len(h.Patterns()) {
		t.Errorf("the document has %d operations, the mux %d routes", len(documented), len(h.Patterns()))
	}
}

// TestOpenAPIRefsResolve: every $ref points at a component that exists.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openAPIDoc(t, api.New(api.Config{}))
	components := doc["components"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
				if len(parts) != 2 || components[parts[0]].(map[string]any)[parts[1]] == nil {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	group := components["schemas"].(map[string]any)["Group"].(map[string]any)["properties"].(map[string]any)
	for _, f := range []string{"id", "name", "slug", "description", "privacyStatus", "settings", "membersCount",
		"ownerId", "createdDate", "updatedDate", "lastActivityDate"} {
		if group[f] == nil {
			t.Errorf("schema Group lacks %s (api.md)", f)
		}
	}
}

// TestOpenAPICoversTheSpec: every endpoint api.md lists is served.
// testdata/api.md is a copy of the specification (../shared/spec/api.md
// outside the repository, which a clean clone does not have): copy it
// again when the specification changes.
func TestOpenAPICoversTheSpec(t *testing.T) {
	spec, err := os.ReadFile("testdata/api.md")
	if err != nil {
		t.Fatalf("read the API spec: %v", err)
	}
	h := api.New(api.Config{})
	calls := regexp.MustCompile("`(GET|POST|PATCH|DELETE) (/[^`?\\s]*)").FindAllStringSubmatch(string(spec), -1)
	if len(calls) < 25 {
		t.Fatalf("found only %d calls in api.md", len(calls))
	}
	for _, c := range calls {
		want := c[1] + " " + api.BasePath + c[2]
		if !slices.Contains(h.Patterns(), want) {
			t.Errorf("api.md lists %s %s; no route serves it", c[1], c[2])
		}
	}
}

// TestOpenAPINullability: what the API sends as null is nullable in the
// document (a pending request's decidedDate), and what it refuses as null
// is not (a create's group).
func TestOpenAPINullability(t *testing.T) {
	schemas := openAPIDoc(t, api.New(api.Config{}))["components"].(map[string]any)["schemas"].(map[string]any)
	prop := func(schema, field string) map[string]any {
		t.Helper()
		s, ok := schemas[schema].(map[string]any)
		if !ok {
			t.Fatalf("no schema %s", schema)
		}
		p, ok := s["properties"].(map[string]any)[field].(map[string]any)
		if !ok {
			t.Fatalf("schema %s has no property %s", schema, field)
		}
		return p
	}
	nullable := func(p map[string]any) bool {
		if types, ok := p["type"].([]any); ok {
			return slices.Contains(types, any("null"))
		}
		for _, alt := range asList(p["anyOf"]) {
			if alt.(map[string]any)["type"] == "null" {
				return true
			}
		}
		return false
	}
	for _, c := range []struct {
		schema, field string
		want          bool
	}{
		{"CreateRequest", "decidedDate", true},
		{"CreateRequest", "decidedBy", true},
		{"JoinRequest", "decidedDate", true},
		{"Cursors", "next", true},
		{"CreateGroupBody", "group", false},
		{"GroupQueryBody", "query", false},
		{"Group", "name", false},
		{"UpdateSettingsBody", "expireAfterDays", true},
		{"UpdateSettingsBody", "remindAfterDays", true},
		{"UpdateSettingsBody", "escalateAfterDays", true},
		{"UpdateSettingsBody", "creationPolicy", false},
	} {
		if got := nullable(prop(c.schema, c.field)); got != c.want {
			t.Errorf("%s.%s nullable = %v, want %v (%v)", c.schema, c.field, got, c.want, prop(c.schema, c.field))
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
