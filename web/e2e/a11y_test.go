package e2e

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// axeSource is axe-core 4.14.1 (npm pack axe-core@4.14.1, package/axe.min.js;
// MPL-2.0, testdata/axe-LICENSE), injected into each page under test.
//
//go:embed testdata/axe.min.js
var axeSource string

// person is a kind of person who uses the dashboard.
type person string

const (
	visitor    person = "visitor"
	member     person = "member"
	groupAdmin person = "group admin"
	siteAdmin  person = "site admin"
)

// a11yPage is a page checked for accessibility, as each kind of person who
// sees it. In path, {slug} is a private group the group admin runs and the
// member belongs to (with a request waiting), {other} a private group with
// membership questions the member has not joined, {hook} a site webhook
// with a delivery logged.
type a11yPage struct {
	path string
	as   []person
}

// a11yPages is every page of the UI contract, and the error pages. Whoever
// adds a page adds it here.
var a11yPages = []a11yPage{
	{"/login", []person{visitor}},
	{"/signup", []person{visitor}},
	{"/no-such-page", []person{visitor, member}},
	{"/groups", []person{member, groupAdmin, siteAdmin}},
	{"/groups?q=zzz", []person{member}},
	{"/groups/new", []person{member, siteAdmin}},
	{"/groups/{slug}", []person{member, groupAdmin, siteAdmin}},
	{"/groups/{other}", []person{member}},
	{"/groups/{other}/join", []person{member}},
	{"/groups/{slug}/members", []person{member, groupAdmin, siteAdmin}},
	{"/groups/{slug}/requests", []person{groupAdmin, siteAdmin}},
	{"/groups/{slug}/requests?status=ALL", []person{groupAdmin}},
	{"/groups/{slug}/requests", []person{member}}, // 403: what would let them in
	{"/groups/{slug}/settings", []person{groupAdmin, siteAdmin}},
	{"/groups/{slug}/delete", []person{groupAdmin, siteAdmin}},
	{"/me/requests", []person{member, groupAdmin}},
	{"/inbox", []person{member, groupAdmin, siteAdmin}},
	{"/profile", []person{member, siteAdmin}},
	{"/notifications", []person{member, groupAdmin}},
	{"/admin/settings", []person{siteAdmin, member}},
	{"/admin/create-requests", []person{siteAdmin}},
	{"/admin/create-requests?status=ALL", []person{siteAdmin}},
	{"/admin/audit", []person{siteAdmin}},
	{"/admin/audit?action=group.created", []person{siteAdmin}},
	{"/admin/webhooks", []person{siteAdmin, member}},
	{"/admin/webhooks/{hook}", []person{siteAdmin}},
	{"/groups/{slug}/webhooks", []person{groupAdmin, siteAdmin}},
}

// axeViolation is one rule a page breaks, as axe reports it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axeRun runs axe on the open page and returns its serious and critical
// violations.
const axeRun = `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
	.filter(v => v.impact === "serious" || v.impact === "critical")
	.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})))`

// Every page of the UI contract, as a visitor, a member, a group admin and
// a site admin, has no serious or critical accessibility violation (axe-core).
func TestAccessibilityEveryPage(t *testing.T) {
	f := newA11yWorld(t)
	f.walk(t, 1280, func(t *testing.T, b *tab, p person, path string) {
		if v := b.axe(); len(v) > 0 {
			var msg strings.Builder
			for _, x := range v {
				fmt.Fprintf(&msg, "\n%s (%s): %s\n  %s", x.ID, x.Impact, x.Help, strings.Join(x.Nodes, "\n  "))
			}
			t.Errorf("%s as %s: %d serious or critical violations:%s", path, p, len(v), msg.String())
		}
	})
}

// a11yWorld is a site with something on every page: a private group run by
// a group admin with a member and a request waiting, another with
// membership questions, and group creations waiting for the site admin.
type a11yWorld struct {
	*joinWorld
	who         map[person]*guildhall.Account
	slug, other string
	// hook is a site webhook with a delivery.
	hook string
}

func newA11yWorld(t *testing.T) *a11yWorld {
	t.Helper()
	w := newJoinWorld(t)
	ctx := context.Background()
	olga := w.account(t, "Olga Owner")
	mo := w.account(t, "Mo Member")
	ann := w.account(t, "Ann Archer")
	g := w.group(t, olga, "Night Owls", guildhall.Private, nil)
	other := w.group(t, olga, "Quiet Readers", guildhall.Private, nil)
	if _, err := w.app.Services.Membership.SetQuestions(ctx, guildhall.ActorFor(olga), other.ID,
		[]guildhall.QuestionInput{{Text: "Which book did you read last?", Required: true}}); err != nil {
		t.Fatal(err)
	}
	qs, err := w.app.Services.Membership.SetQuestions(ctx, guildhall.ActorFor(olga), g.ID,
		[]guildhall.QuestionInput{{Text: "Why do you want to join the night owls?"}})
	if err != nil {
		t.Fatal(err)
	}
	w.add(t, olga, g, mo)
	w.request(t, ann, g, guildhall.Answer{QuestionID: qs[0].ID, Question: qs[0].Text,
		Text: "I read all night and keep notes at https://example.com/a-very-long-address-without-any-breaks-at-all/notes/2026"})
	w.request(t, w.account(t, "Bartholomew Fitzwilliam-Montgomery"), g)
	w.request(t, w.account(t, "Cid Cooper"), g)
	// A creation waiting for the site admin, and a decided one.
	if _, err := w.app.Services.Settings.SetCreationPolicy(ctx, guildhall.ActorFor(w.root), guildhall.MembersWithApproval); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Chess Club", "Spam Club"} {
		if _, err := w.app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(mo), guildhall.GroupInput{Name: name}, ""); err != nil {
			t.Fatal(err)
		}
	}

	hook, _, err := w.app.Services.Webhooks.CreateWebhook(ctx, guildhall.ActorFor(w.root),
		guildhall.NewWebhook{URL: "http://127.0.0.1:9/hook", EventTypes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	w.app.DB.MustExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, attempt, status_code, duration_ms, response_excerpt, succeeded)
		SELECT $1, id, 1, 200, 12, 'ok', true FROM events LIMIT 1`, hook.ID)

	return &a11yWorld{joinWorld: w, who: map[person]*guildhall.Account{member: mo, groupAdmin: olga, siteAdmin: w.root},
		slug: g.Slug, other: other.Slug, hook: hook.ID}
}

// walk opens every page of a11yPages as each person who sees it, in a
// window width pixels wide, and calls check on it.
func (f *a11yWorld) walk(t *testing.T, width int64, check func(t *testing.T, b *tab, p person, path string)) {
	for _, p := range []person{visitor, member, groupAdmin, siteAdmin} {
		b := newTabFor(t, f.app, 5*time.Minute)
		b.do("set the window width", chromedp.EmulateViewport(width, 900))
		if a := f.who[p]; a != nil {
			b.signIn(a.Email)
		}
		for _, page := range a11yPages {
			if !containsPerson(page.as, p) {
				continue
			}
			path := strings.NewReplacer("{slug}", f.slug, "{other}", f.other, "{hook}", f.hook).Replace(page.path)
			t.Run(string(p)+" "+page.path, func(t *testing.T) {
				b.t = t
				b.open(path)
				check(t, b, p, path)
			})
		}
	}
}

// newTabFor is newTab for a tab that lives up to d: one person's walk
// through many pages.
func newTabFor(t *testing.T, app *testapp.App, d time.Duration) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, d)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return &tab{t: t, ctx: ctx, app: app}
}

func containsPerson(ps []person, p person) bool {
	for _, x := range ps {
		if x == p {
			return true
		}
	}
	return false
}

// axe injects axe-core into the open page and runs it.
func (b *tab) axe() []axeViolation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*waitLimit)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		b.t.Fatalf("inject axe-core: %v", err)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	return v
}

// focusStop is one element the Tab key reached: its accessible text and
// whether its focus is drawn.
type focusStop struct {
	Name    string `json:"name"`
	Outline bool   `json:"outline"`
}

// Every control of a queue is reached with the Tab key, in order, and each
// shows where the focus is; the first stop skips to the content.
func TestKeyboardReachesTheQueueWithVisibleFocus(t *testing.T) {
	w := newJoinWorld(t)
	olga := w.account(t, "Olga Owner")
	g := w.group(t, olga, "Night Owls", guildhall.Private, nil)
	w.request(t, w.account(t, "Ann Archer"), g)
	b := w.signedIn(t, olga)
	b.open("/groups/" + g.Slug + "/requests")

	var stops []focusStop
	for range 40 {
		b.do("press Tab", chromedp.KeyEvent("\t"))
		s, err := chromedp.Run(b.ctx, chromedp.Evaluate[focusStop](`(() => {
			const e = document.activeElement;
			if (!e || e === document.body) return {name: "(the page)", outline: true};
			const name = (e.labels && e.labels[0] ? e.labels[0].innerText : (e.innerText || e.value || e.getAttribute("aria-label") || "")).trim();
			const style = getComputedStyle(e);
			return {name: name, outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, s)
	}
	if stops[0].Name != "Skip to content" {
		t.Errorf("the first Tab stop is %q, want Skip to content", stops[0].Name)
	}
	names := map[string]bool{}
	for _, s := range stops {
		names[s.Name] = true
		if !s.Outline {
			t.Errorf("focus on %q is not drawn", s.Name)
		}
	}
	for _, want := range []string{"Sign out", "Select all on this page", "Ann Archer", "Approve", "Reject", "Reason", "Approve selected", "Reject selected"} {
		if !names[want] {
			t.Errorf("Tab never reaches %q; stops: %v", want, stops)
		}
	}
}
