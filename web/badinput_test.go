package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// badText is what every text field must refuse, with the words that say why.
var badText = []struct {
	name, value, why string
}{
	{"NUL", "x\x00y", "must not contain NUL characters"},
	{"invalid UTF-8", "x\xff\xfey", "must be valid UTF-8 text"},
}

// badNames are what every name must refuse besides badText.
var badNames = []struct {
	name, value, why string
}{
	{"only invisible characters", "\u200b\u200c\u2060\ufeff\u3164", "is required"},
	{"bidi override", "\u202egnikih", "must not contain bidirectional control characters"},
	{"bidi isolate", "Hiking \u2067club\u2069", "must not contain bidirectional control characters"},
}

// snapshot is a digest of every table a form could change (sessions
// aside: a failed sign-in may start an anonymous one).
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

// TestEveryFormRefusesBadTextNamingTheField posts every form that takes
// text with each field in turn made bad: the answer is a 4xx that names the
// field's rule, the server logs no error, and the database is unchanged.
func TestEveryFormRefusesBadTextNamingTheField(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := testapp.New(t)
	root := app.Account(t, "root@example.com", "Root", testapp.SiteAdmin)
	ada := app.Account(t, "ada@example.com", "Ada")
	app.Account(t, "bob@example.com", "Bob")
	rootActor := guildhall.ActorFor(root)
	if _, err := app.Services.Groups.CreateGroup(ctx, rootActor, guildhall.GroupInput{Name: "Hiking"}, ""); err != nil {
		t.Fatal(err)
	}
	quiet, err := app.Services.Groups.CreateGroup(ctx, rootActor, guildhall.GroupInput{Name: "Quiet", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := app.Services.Membership.SetQuestions(ctx, rootActor, quiet.Group.ID, []guildhall.QuestionInput{{Text: "Why?"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(ada), quiet.Group.ID,
		[]guildhall.Answer{{QuestionID: qs[0].ID, Text: "Because"}}); err != nil {
		t.Fatal(err)
	}
	idea, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(ada), guildhall.GroupInput{Name: "Ada's idea"}, "")
	if err != nil || idea.Request == nil {
		t.Fatalf("create request: %+v, %v", idea, err)
	}

	clients := map[string]*http.Client{"": app.Client(t), "root": app.SignedIn(t, "root@example.com"),
		"ada": app.SignedIn(t, "ada@example.com"), "bob": app.SignedIn(t, "bob@example.com")}
	type field struct {
		name, label string
		isName      bool
	}
	forms := []struct {
		as, path string
		form     url.Values
		fields   []field
	}{
		{"", "/signup", url.Values{"email": {"new@example.com"}, "displayName": {"New"}, "password": {"long enough password"}},
			[]field{{"email", "Email", false}, {"displayName", "Display name", true}, {"password", "Password", false}}},
		{"ada", "/profile", url.Values{"displayName": {"Ada"}, "publicProfile": {"on"}},
			[]field{{"displayName", "Display name", true}}},
		{"ada", "/profile/tokens", url.Values{"name": {"script"}},
			[]field{{"name", "Token name", true}}},
		{"root", "/groups/new", url.Values{"name": {"New group"}, "description": {"About"}, "privacy": {"PUBLIC"}},
			[]field{{"name", "Name", true}, {"description", "Description", false}}},
		{"root", "/groups/hiking/settings", url.Values{"name": {"Hiking"}, "description": {"Walks"}, "privacy": {"PUBLIC"}, "showMemberList": {"on"}},
			[]field{{"name", "Name", true}, {"description", "Description", false}}},
		{"root", "/groups/quiet/settings/questions", url.Values{"question": {"Why?"}},
			[]field{{"question", "Question", true}}},
		{"root", "/groups/hiking/members", url.Values{"email": {"bob@example.com"}},
			[]field{{"email", "Email", false}}},
		{"root", "/groups/quiet/requests/decide", url.Values{"one": {"reject:" + ada.ID}, "reason": {"No"}},
			[]field{{"reason", "Reason", false}}},
		{"root", "/inbox/decide", url.Values{"one": {"reject:" + quiet.Group.ID + ":" + ada.ID}, "reason": {"No"}},
			[]field{{"reason", "Reason", false}}},
		{"root", "/admin/create-requests/decide", url.Values{"one": {"reject:" + idea.Request.ID}, "reason": {"No"}},
			[]field{{"reason", "Reason", false}}},
		{"bob", "/groups/quiet/join", url.Values{"answering": {"yes"}, "answer-" + qs[0].ID: {"Because"}},
			[]field{{"answer-" + qs[0].ID, "Answer", false}}},
	}
	for _, f := range forms {
		for _, fl := range f.fields {
			cases := badText
			if fl.isName {
				cases = append(cases[:len(cases):len(cases)], badNames...)
			}
			for _, bad := range cases {
				t.Run(f.path+" "+fl.name+" "+bad.name, func(t *testing.T) {
					before := snapshot(t, app)
					form := url.Values{}
					for k, v := range f.form {
						form[k] = v
					}
					form.Set(fl.name, bad.value)
					res := app.PostForm(t, clients[f.as], f.path, form)
					body := html.UnescapeString(testapp.Body(res))
					if res.StatusCode < 400 || res.StatusCode > 499 {
						t.Fatalf("status %d, want a 4xx\n%s", res.StatusCode, body)
					}
					if want := fl.label + " " + bad.why; !strings.Contains(body, want) {
						t.Errorf("status %d: the page does not say %q", res.StatusCode, want)
					}
					if after := snapshot(t, app); after != before {
						t.Errorf("the database changed:\n%s\n%s", before, after)
					}
				})
			}
		}
	}

	// Signing in with an email or password that is not text is a failed
	// sign-in like any other.
	for _, bad := range badText {
		for _, fl := range []string{"email", "password"} {
			t.Run("/login "+fl+" "+bad.name, func(t *testing.T) {
				form := url.Values{"email": {"ada@example.com"}, "password": {testapp.Password}}
				form.Set(fl, bad.value)
				res := app.PostForm(t, app.Client(t), "/login", form)
				if body := testapp.Body(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Email or password is incorrect.") {
					t.Errorf("status %d, want 422 saying the email or password is incorrect\n%s", res.StatusCode, body)
				}
			})
		}
	}

	// Path values and query parameters are refused before any page reads
	// them, naming the value.
	for _, tc := range []struct{ path, field string }{
		{"/groups?q=%00", "q"},
		{"/groups?q=%ff", "q"},
		{"/groups?privacy=PUBLIC&sort=x%00", "sort"},
		{"/groups/%00", "slug"},
		{"/groups/%ff%fe", "slug"},
		{"/groups/hiking%00/members", "slug"},
		{"/groups/hiking/members?page=%c3", "page"},
		{"/admin/create-requests?status=%00", "status"},
		{"/login?next=%2f%00", "next"},
		{"/nowhere/%00", "path"},
	} {
		t.Run("GET "+tc.path, func(t *testing.T) {
			res := app.Get(t, clients["root"], tc.path)
			body := html.UnescapeString(testapp.Body(res))
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, " "+tc.field+" must") {
				t.Errorf("status %d, want 400 naming %s\n%s", res.StatusCode, tc.field, body)
			}
		})
	}

	if logs := app.Logs(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("bad input was logged as an error:\n%s", logs)
	}
}

// A form over 10 MB is refused as too large, not read as an empty form.
func TestFormOverTenMegabytesIsTooLarge(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "root@example.com", "Root", testapp.SiteAdmin)
	c := app.SignedIn(t, "root@example.com")
	groups := countRows(t, app, `SELECT count(*) FROM groups`)
	res := app.PostForm(t, c, "/groups/new", url.Values{"name": {"Big"}, "description": {strings.Repeat("d", 10<<20)}})
	if body := testapp.Body(res); res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "larger than 10 MB") {
		t.Errorf("status %d, want 413 saying the form is too large\n%.500s", res.StatusCode, body)
	}
	if n := countRows(t, app, `SELECT count(*) FROM groups`); n != groups {
		t.Errorf("groups %d -> %d", groups, n)
	}
}
