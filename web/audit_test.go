package web_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// The audit log reads as sentences, filters by actor, group, action and
// dates (as links can say), pages by keyset, shows before and after on
// demand, and exports the filtered view as CSV and JSON lines.
func TestAuditLogFiltersPagesAndExports(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	ada := app.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin)
	erin := app.Account(t, "erin@example.com", "Erin Ember")
	if _, err := app.Services.Settings.SetCreationPolicy(ctx, guildhall.ActorFor(ada), guildhall.AllMembers); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Hiking Club", "=Formula Fans"} {
		if _, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(erin), guildhall.GroupInput{Name: name, Privacy: guildhall.Private}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := app.Services.Tokens.CreateToken(ctx, guildhall.ActorFor(erin), "t", false); err != nil {
		t.Fatal(err)
	}
	c := app.SignedIn(t, "ada@example.com")
	get := func(path string) (int, string) {
		t.Helper()
		res := app.Get(t, c, path)
		return res.StatusCode, testapp.Body(res)
	}

	status, body := get("/admin/audit")
	for _, want := range []string{"Erin Ember created the API token “t”", "Erin Ember created Hiking Club",
		"<summary>Before and after</summary>", `href="/admin/audit/export?format=csv"`, `href="/admin/audit/export?format=jsonl"`} {
		if status != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("audit log lacks %q (status %d):\n%s", want, status, body)
		}
	}
	if strings.Contains(body, "Erin Ember: ") || strings.Contains(body, ">token.created<") {
		t.Errorf("an entry reads like code:\n%s", body)
	}

	// Filters, by name or id, case aside; the exports keep them.
	for _, path := range []string{"/admin/audit?actor=erin+ember&action=group.created", "/admin/audit?actor=" + erin.ID + "&action=group.created"} {
		_, body = get(path)
		if !strings.Contains(body, "Erin Ember created Hiking Club") || strings.Contains(body, "API token") || strings.Contains(body, "Ada Admin changed") {
			t.Errorf("%s does not show only Erin's creations:\n%s", path, body)
		}
		if !strings.Contains(body, `/admin/audit/export?action=group.created&amp;actor=`) {
			t.Errorf("%s: the export links lose the filters:\n%s", path, body)
		}
	}
	_, body = get("/admin/audit?group=hiking-club")
	if !strings.Contains(body, "Erin Ember created Hiking Club") || strings.Contains(body, "Formula Fans") {
		t.Errorf("group filter by slug:\n%s", body)
	}
	_, body = get("/admin/audit?from=2000-01-01&to=2000-12-31")
	if !strings.Contains(body, "No entries match these filters.") {
		t.Errorf("a date range with nothing in it:\n%s", body)
	}
	// A bad filter is the dashboard's form error: 422, the form again, the
	// message beside the filter.
	for _, c := range []struct{ path, field, msg string }{
		{"/admin/audit?from=notadate", "audit-from", "From must be a date"},
		{"/admin/audit?to=2000-13-45", "audit-to", "To must be a date"},
		{"/admin/audit?action=nope", "audit-action", "Choose an action from the list."},
	} {
		status, body = get(c.path)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="field-error" id="`+c.field+`-error">`+c.msg) ||
			!strings.Contains(body, `id="`+c.field+`"`) || !strings.Contains(body, `<form class="toolbar filters"`) {
			t.Errorf("%s: %d, want 422 with %q beside %s\n%s", c.path, status, c.msg, c.field, body)
		}
	}

	// Keyset pages of 50: 60 more entries make a second page and a way back.
	for i := range 60 {
		p := guildhall.AllMembers
		if i%2 == 0 {
			p = guildhall.AdminsOnly
		}
		if _, err := app.Services.Settings.SetCreationPolicy(ctx, guildhall.ActorFor(ada), p); err != nil {
			t.Fatal(err)
		}
	}
	_, body = get("/admin/audit")
	next := between(body, `<a href="/admin/audit?cursor=`, `">Next</a>`)
	if next == "" || strings.Contains(body, ">Previous<") {
		t.Fatalf("first page's links:\n%s", body)
	}
	next, _ = url.QueryUnescape(strings.ReplaceAll(next, "&amp;", "&"))
	_, body = get("/admin/audit?cursor=" + url.QueryEscape(next))
	if !strings.Contains(body, "Erin Ember created Hiking Club") || !strings.Contains(body, ">Previous<") || strings.Contains(body, ">Next<") {
		t.Errorf("second page:\n%s", body)
	}

	// Exports: the filtered view, every entry a row, names that would be
	// formulas quoted.
	res := app.Get(t, c, "/admin/audit/export?format=csv&actor=Erin+Ember")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV export: %d %v", res.StatusCode, res.Header)
	}
	records, err := csv.NewReader(strings.NewReader(testapp.Body(res))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 4 || records[0][8] != "sentence" || records[1][8] != "Erin Ember created the API token “t”" || records[2][7] != "'=Formula Fans" {
		t.Errorf("CSV export:\n%q", records)
	}
	res = app.Get(t, c, "/admin/audit/export?format=jsonl&action=site.policy_changed")
	var lines int
	sc := bufio.NewScanner(strings.NewReader(testapp.Body(res)))
	for sc.Scan() {
		var line struct {
			Action   string          `json:"action"`
			Sentence string          `json:"sentence"`
			After    json.RawMessage `json:"after"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Action != guildhall.ActionPolicyChanged ||
			!strings.HasPrefix(line.Sentence, "Ada Admin changed who can create groups") || !strings.Contains(string(line.After), "creationPolicy") {
			t.Fatalf("JSON line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines != 61 {
		t.Errorf("JSON lines export has %d policy changes, want 61", lines)
	}
	if res := app.Get(t, c, "/admin/audit/export?format=xml"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown format: %d, want 400", res.StatusCode)
	}

	// Only site admins.
	if res := app.Get(t, app.SignedIn(t, "erin@example.com"), "/admin/audit/export?format=csv"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member exports the audit log: %d", res.StatusCode)
	}
}

// between is the text of s between the first prefix and the next suffix.
func between(s, prefix, suffix string) string {
	i := strings.Index(s, prefix)
	if i < 0 {
		return ""
	}
	rest := s[i+len(prefix):]
	j := strings.Index(rest, suffix)
	if j < 0 {
		return ""
	}
	return rest[:j]
}
