package api_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// snapshot is a digest of every table a call could change.
func snapshot(t *testing.T, app *testapp.App) string {
	t.Helper()
	var parts []string
	for _, table := range []string{"accounts", "site_settings", "groups", "group_old_slugs", "group_members",
		"create_requests", "audit_log", "membership_questions", "join_requests",
		// A token's last use changes with every call.
		"(SELECT id, account_id, name, elevated, revoked_at FROM api_tokens)"} {
		var sum string
		err := app.DB.GetContext(context.Background(), &sum,
			`SELECT COALESCE(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM `+table+` t`)
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		parts = append(parts, table+":"+sum)
	}
	return strings.Join(parts, " ")
}

// TestEveryCallRefusesBadTextNamingTheField sends every call that takes
// text with each text field in turn made bad (BAD in the body template):
// the answer is a 400 naming the field, nothing is logged as an error and
// the database is unchanged.
func TestEveryCallRefusesBadTextNamingTheField(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	ada, adaTok := w.person("Ada")
	_, bobTok := w.person("Bob")
	hiking := w.group(w.root, "Hiking", guildhall.Public)
	quiet := w.group(w.root, "Quiet", guildhall.Private)
	rootActor := guildhall.ActorFor(w.root)
	qs, err := w.app.Services.Membership.SetQuestions(w.ctx, rootActor, quiet.ID, []guildhall.QuestionInput{{Text: "Why?"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.Services.Membership.Join(w.ctx, guildhall.ActorFor(ada), quiet.ID,
		[]guildhall.Answer{{QuestionID: qs[0].ID, Text: "Because"}}); err != nil {
		t.Fatal(err)
	}
	w.policy(guildhall.MembersWithApproval)
	_, out := w.app.API(t, adaTok, "POST", "/groups", map[string]any{"group": map[string]any{"name": "Ada's idea"}})
	requestID := str(out, "createRequest.id")
	if requestID == "" {
		t.Fatalf("create request: %v", out)
	}

	bad := []struct{ name, json, why string }{
		{"NUL", `"x\u0000y"`, "must not contain NUL characters"},
		{"invalid UTF-8", "\"x\xff\xfey\"", "UTF-8"},
	}
	names := append(bad[:len(bad):len(bad)], []struct{ name, json, why string }{
		{"only invisible characters", `"\u200b\u200c\u2060"`, "is required"},
		{"bidi override", `"\u202egnikih"`, "bidirectional control characters"},
	}...)
	for _, tc := range []struct {
		token, method, path, body, field string
		isName                           bool
	}{
		{w.rootTok, "POST", "/groups", `{"group": {"name": BAD}}`, "group.name", true},
		{w.rootTok, "POST", "/groups", `{"group": {"name": "Fine", "description": BAD}}`, "group.description", false},
		{w.rootTok, "PATCH", "/groups/" + hiking.ID, `{"group": {"name": BAD}}`, "group.name", true},
		{w.rootTok, "PATCH", "/groups/" + hiking.ID, `{"group": {"description": BAD}}`, "group.description", false},
		{bobTok, "POST", "/groups/" + quiet.ID + "/join", `{"answers": [{"questionId": "` + qs[0].ID + `", "text": BAD}]}`, "answers[0]", false},
		{w.rootTok, "POST", "/groups/" + quiet.ID + "/join-requests/reject", `{"rejections": [{"memberId": "` + ada.ID + `", "reason": BAD}]}`, "rejections[0].reason", false},
		{w.rootTok, "POST", "/create-requests/reject", `{"rejections": [{"createRequestId": "` + requestID + `", "reason": BAD}]}`, "rejections[0].reason", false},
		{w.rootTok, "POST", "/groups/query", `{"query": {"filter": {"name": BAD}}}`, "query.filter.name", false},
		{w.rootTok, "POST", "/groups/query", `{"query": {"filter": {"name": {"$in": ["a", BAD]}}}}`, "query.filter.name.$in", false},
	} {
		cases := bad
		if tc.isName {
			cases = names
		}
		for _, b := range cases {
			t.Run(tc.method+" "+tc.path+" "+tc.field+" "+b.name, func(t *testing.T) {
				before := snapshot(t, w.app)
				body := strings.Replace(tc.body, "BAD", b.json, 1)
				got, out := w.app.API(t, tc.token, tc.method, tc.path, body)
				if got != http.StatusBadRequest {
					t.Fatalf("status %d, want 400; body %v", got, out)
				}
				checkErrorBody(t, out, got)
				// The domain names the field; the decoder may name the
				// value inside it ("answers[0].text").
				if !violationUnder(out, tc.field) || !strings.Contains(str(out, "message"), b.why) {
					t.Errorf("want a violation of %s saying %q; body %v", tc.field, b.why, out)
				}
				if after := snapshot(t, w.app); after != before {
					t.Errorf("the database changed:\n%s\n%s", before, after)
				}
			})
		}
	}

	// Path values and query parameters, before any call reads them.
	for _, tc := range []struct{ method, path, field string }{
		{"GET", "/groups/by-slug/%00", "slug"},
		{"GET", "/groups/by-slug/%ff%fe", "slug"},
		{"GET", "/groups/%00", "id"},
		{"GET", "/groups?limit=%00", "limit"},
		{"GET", "/groups/" + quiet.ID + "/join-requests?status=%ff", "status"},
		{"DELETE", "/groups/" + hiking.ID + "/members/%00", "memberId"},
		{"GET", "/nowhere/%00", "path"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w.expectViolation(w.rootTok, tc.method, tc.path, nil, tc.field)
		})
	}

	if logs := w.app.Logs(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("bad input was logged as an error:\n%s", logs)
	}
}

// TestBodiesAreStrict: a field given twice or in another case is refused
// naming it, as api.md says of unknown fields.
func TestBodiesAreStrict(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	hiking := w.group(w.root, "Hiking", guildhall.Public)
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"duplicate key", "POST", "/groups", `{"group": {"name": "A", "name": "B"}}`, "group.name"},
		{"duplicate top-level key", "POST", "/groups", `{"group": {"name": "A"}, "group": {"name": "B"}}`, "group"},
		{"upper-case key", "POST", "/groups", `{"group": {"NAME": "x"}}`, "group.NAME"},
		{"key in another case", "PATCH", "/groups/" + hiking.ID, `{"Group": {"name": "x"}}`, "Group"},
		{"duplicate key in a list item", "POST", "/create-requests/reject",
			`{"rejections": [{"createRequestId": "00000000-0000-0000-0000-000000000000", "reason": "a", "reason": "b"}]}`, "rejections[0].reason"},
		{"duplicate key in a filter", "POST", "/groups/query", `{"query": {"filter": {"name": "a", "name": "b"}}}`, "query.filter.name"},
		{"duplicate operator", "POST", "/groups/query", `{"query": {"filter": {"name": {"$eq": "a", "$eq": "b"}}}}`, "query.filter.name.$eq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, w.app)
			w.expectViolation(w.rootTok, tc.method, tc.path, tc.body, tc.field)
			if after := snapshot(t, w.app); after != before {
				t.Errorf("the database changed")
			}
		})
	}
}

// TestWholeBodyErrorsNameTheBody: when the fault is the body itself (none,
// not JSON, a second value after the first) the violation names "body",
// never "", and the message reads "…: body: …" with no empty field in it.
func TestWholeBodyErrorsNameTheBody(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	for _, tc := range []struct{ name, body string }{
		{"empty body", ""},
		{"blank body", "  \n"},
		{"invalid JSON", `{"group": `},
		{"not JSON at all", `hello`},
		{"trailing token", `{"group": {"name": "A"}} {}`},
		{"a string, not an object", `"group"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, w.app)
			out := w.expectViolation(w.rootTok, "POST", "/groups", tc.body, "body")
			for _, v := range list(out, "details.validationError.fieldViolations") {
				if v.(map[string]any)["field"] == "" {
					t.Errorf("a violation names no field: %v", out)
				}
			}
			if msg := str(out, "message"); !strings.Contains(msg, "body: ") || strings.Contains(msg, ": :") {
				t.Errorf("message %q, want it to name the body", msg)
			}
			if after := snapshot(t, w.app); after != before {
				t.Errorf("the database changed")
			}
		})
	}
}

// TestRefusalsOfTheHTTPLayerAreAPIAnswers: another method and a call from
// another site's page are answered in the error shape, with their own code.
func TestRefusalsOfTheHTTPLayerAreAPIAnswers(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)

	out := w.expectError(w.rootTok, "PUT", "/groups", `{}`, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if !strings.Contains(str(out, "message"), "PUT is not supported here") {
		t.Errorf("405 message %q", str(out, "message"))
	}

	groups := snapshot(t, w.app)
	req, err := http.NewRequest("POST", w.app.URL+"/api/v1/groups", strings.NewReader(`{"group": {"name": "Cross"}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.rootTok)
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res := w.app.Do(t, http.DefaultClient, req)
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusForbidden || !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("cross-site POST: status %d, Content-Type %q, want 403 JSON\n%s", res.StatusCode, ct, testapp.Body(res))
	}
	if body := testapp.Body(res); !strings.Contains(body, `"code":"PERMISSION_DENIED"`) || !strings.Contains(body, "another site") {
		t.Errorf("cross-site POST body %s", body)
	}
	if snapshot(t, w.app) != groups {
		t.Error("a cross-site POST changed the database")
	}
}

// violationUnder reports whether out has a violation of field or of a
// value inside it.
func violationUnder(out map[string]any, field string) bool {
	for _, v := range list(out, "details.validationError.fieldViolations") {
		if f, _ := v.(map[string]any)["field"].(string); f == field || strings.HasPrefix(f, field+".") || strings.HasPrefix(f, field+"[") {
			return true
		}
	}
	return false
}

// TestTamperedCursorIsRefused: cursors are unsigned base64 JSON; one whose
// key was changed by hand is a 400 naming the cursor, never a database error.
func TestTamperedCursorIsRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil)
	for i := range 3 {
		w.group(w.root, "Group "+strconv.Itoa(i), guildhall.Public)
	}
	const id = "0907e20d-5899-4aa9-a16c-3109154e3b23"
	for _, tc := range []struct{ sort, key string }{
		{"createdDate", "abc"},
		{"createdDate", "x' OR '1'='1"},
		{"createdDate", "\u0000"},
		{"lastActivityDate", "2026-13-45 99:00:00+00"},
		{"membersCount", "99999999999999999999"},
		{"membersCount", "1e3"},
		{"name", "\u0000"},
	} {
		t.Run(tc.sort+" "+tc.key, func(t *testing.T) {
			raw, _ := json.Marshal(map[string]any{"f": tc.sort, "d": false, "k": tc.key, "i": id})
			cursor := "n." + base64.RawURLEncoding.EncodeToString(raw)
			w.expectViolation(w.rootTok, "POST", "/groups/query", map[string]any{"query": map[string]any{
				"sort":         []any{map[string]any{"fieldName": tc.sort}},
				"cursorPaging": map[string]any{"limit": 1, "cursor": cursor}}}, "query.cursorPaging.cursor")
		})
	}
	if logs := w.app.Logs(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("a tampered cursor was logged as an error:\n%s", logs)
	}
}
