package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// joinWorld is an app where every site member may create groups, so a
// group's admin is a plain account and not a site admin.
type joinWorld struct {
	app  *testapp.App
	root *guildhall.Account
}

func newJoinWorld(t *testing.T) *joinWorld {
	t.Helper()
	app := testapp.New(t)
	root := app.Account(t, "root@example.com", "Root Admin", testapp.SiteAdmin)
	if _, err := app.Services.Settings.SetCreationPolicy(context.Background(), guildhall.ActorFor(root), guildhall.AllMembers); err != nil {
		t.Fatalf("set creation policy: %v", err)
	}
	return &joinWorld{app: app, root: root}
}

// account creates a site member whose email is the first name, lowercased.
func (w *joinWorld) account(t *testing.T, name string, opts ...func(*guildhall.NewAccount)) *guildhall.Account {
	t.Helper()
	email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
	return w.app.Account(t, email, name, opts...)
}

// group creates a group with owner as its admin.
func (w *joinWorld) group(t *testing.T, owner *guildhall.Account, name string, p guildhall.Privacy, settings *guildhall.GroupSettings) *guildhall.Group {
	t.Helper()
	c, err := w.app.Services.Groups.CreateGroup(context.Background(), guildhall.ActorFor(owner),
		guildhall.GroupInput{Name: name, Privacy: p, Settings: settings}, "")
	if err != nil || c.Group == nil {
		t.Fatalf("create group %s: %+v, %v", name, c, err)
	}
	return c.Group
}

// request sends who's join request to a private group through the service.
func (w *joinWorld) request(t *testing.T, who *guildhall.Account, g *guildhall.Group, answers ...guildhall.Answer) {
	t.Helper()
	res, err := w.app.Services.Membership.Join(context.Background(), guildhall.ActorFor(who), g.ID, answers)
	if err != nil || res.Request == nil {
		t.Fatalf("%s asks to join %s: %+v, %v", who.DisplayName, g.Name, res, err)
	}
}

// add makes who a member of g, added by by.
func (w *joinWorld) add(t *testing.T, by *guildhall.Account, g *guildhall.Group, who ...*guildhall.Account) {
	t.Helper()
	ids := make([]string, len(who))
	for i, a := range who {
		ids[i] = a.ID
	}
	results, err := w.app.Services.Membership.AddMembers(context.Background(), guildhall.ActorFor(by), g.ID, ids)
	if err != nil {
		t.Fatalf("add members to %s: %v", g.Name, err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("add %s to %s: %v", r.ID, g.Name, r.Err)
		}
	}
}

// roles returns each member's role by display name.
func (w *joinWorld) roles(t *testing.T, g *guildhall.Group) map[string]guildhall.Role {
	t.Helper()
	page, err := w.app.Services.Membership.ListMembers(context.Background(), guildhall.ActorFor(w.root), g.ID, guildhall.MaxPageSize, 0)
	if err != nil {
		t.Fatalf("list members of %s: %v", g.Name, err)
	}
	out := map[string]guildhall.Role{}
	for _, m := range page.Items {
		out[m.DisplayName] = m.Role
	}
	return out
}

// pending returns the display names of g's pending join requests.
func (w *joinWorld) pending(t *testing.T, g *guildhall.Group) []string {
	t.Helper()
	page, err := w.app.Services.Membership.ListJoinRequests(context.Background(), guildhall.ActorFor(w.root), g.ID,
		guildhall.RequestQuery{Status: guildhall.Pending, Limit: guildhall.MaxPageSize})
	if err != nil {
		t.Fatalf("list join requests of %s: %v", g.Name, err)
	}
	var names []string
	for _, j := range page.Items {
		names = append(names, j.DisplayName)
	}
	return names
}

// signedIn opens a tab signed in as a.
func (w *joinWorld) signedIn(t *testing.T, a *guildhall.Account) *tab {
	t.Helper()
	b := newTab(t, w.app)
	b.signIn(a.Email)
	return b
}

// row is the table row that shows text in one of its cells (a requester's
// or member's name).
func row(text string) string {
	l := xpathLiteral(text)
	return "//tr[td[normalize-space(.)=" + l + " or starts-with(normalize-space(.), " + xpathLiteral(text+" ") + ")]]"
}

// rowButton is the button named name in the row showing text.
func rowButton(text, name string) string {
	return row(text) + "//button[normalize-space(.)=" + xpathLiteral(name) + "]"
}

// clickIn clicks the button named name in the row showing text.
func (b *tab) clickIn(text, name string) {
	b.t.Helper()
	sel := rowButton(text, name)
	b.do("click "+name+" for "+text, chromedp.WaitVisible(sel), chromedp.Click(sel))
}

// waitGone waits until nothing matches xpath.
func (b *tab) waitGone(xpath string) {
	b.t.Helper()
	b.do("wait until gone "+xpath, poll("document.evaluate("+jsString("count("+xpath+")")+
		", document, null, XPathResult.NUMBER_TYPE, null).numberValue === 0"))
}

// waitCount waits until exactly n nodes match xpath.
func (b *tab) waitCount(xpath string, n int) {
	b.t.Helper()
	b.do("wait for "+itoa(n)+" of "+xpath, poll("document.evaluate("+jsString("count("+xpath+")")+
		", document, null, XPathResult.NUMBER_TYPE, null).numberValue === "+itoa(n)))
}

func itoa(n int) string { return strconv.Itoa(n) }

// typeIn types value into the empty field labelled name. (fill's Clear
// fails on an empty textarea: it has no text node to clear.)
func (b *tab) typeIn(name, value string) {
	b.t.Helper()
	sel := field(name)
	b.do("type into "+name, chromedp.WaitVisible(sel), chromedp.SendKeys(sel, value))
}

// choose picks the option shown as option in the select labelled name, as a
// person does, so the page's change handlers run.
func (b *tab) choose(name, option string) {
	b.t.Helper()
	js := `(() => {
		const s = document.evaluate(` + jsString(field(name)) + `, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		const o = s && [...s.options].find(o => o.text.trim() === ` + jsString(option) + `);
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})()`
	ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		b.t.Fatalf("choose %q in %s: %v\n%s", option, name, err, b.pageText())
	}
}

// inboxBadge is the navigation's count of waiting requests.
func inboxBadge(n int) string {
	label := itoa(n) + " requests waiting"
	if n == 1 {
		label = "1 request waiting"
	}
	return "//nav//a[@href='/inbox']//*[@aria-label=" + xpathLiteral(label) + " and normalize-space(.)=" + xpathLiteral(itoa(n)) + "]"
}

func TestJoinPublicGroupAtOnce(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	g := w.group(t, owner, "Chess Club", guildhall.Public, nil)

	b := w.signedIn(t, ann)
	b.open("/groups/" + g.Slug)
	b.waitText("1 member")
	b.click("Join group")
	b.waitText("2 members")
	b.waitPath("/groups/" + g.Slug)
	b.waitCount(button("Leave group"), 1)
	if b.count(button("Join group")) != 0 {
		t.Fatalf("Join group still offered to a member:\n%s", b.pageText())
	}
	if got := w.roles(t, g)["Ann Archer"]; got != guildhall.RoleMember {
		t.Fatalf("Ann's role = %q, want MEMBER", got)
	}
}

func TestJoinPrivateGroupAnswersQuestionsAndIsApproved(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	g := w.group(t, owner, "Quiet Readers", guildhall.Private, nil)
	ctx := context.Background()
	if _, err := w.app.Services.Membership.SetQuestions(ctx, guildhall.ActorFor(owner), g.ID, []guildhall.QuestionInput{
		{Text: "Why do you want to join?", Required: true}, {Text: "Favourite book?"},
	}); err != nil {
		t.Fatalf("set questions: %v", err)
	}

	b := w.signedIn(t, ann)
	b.open("/groups/" + g.Slug)
	b.click("Request to join")
	b.waitPath("/groups/" + g.Slug + "/join")
	b.typeIn("Favourite book?", "Middlemarch")
	b.click("Request to join") // the required answer is missing
	b.waitCount(field("Why do you want to join?")+"[@aria-invalid='true']", 1)
	if len(w.pending(t, g)) != 0 {
		t.Fatal("a request without its required answer was stored")
	}
	b.typeIn("Why do you want to join?", "I read every evening.")
	b.click("Request to join")
	b.waitPath("/groups/" + g.Slug)
	b.waitCount(button("Cancel request"), 1)

	o := w.signedIn(t, owner)
	o.open("/groups/" + g.Slug + "/requests")
	o.waitText("I read every evening.")
	o.waitText("Middlemarch")
	o.clickIn("Ann Archer", "Approve")
	o.waitText("Approved “Ann Archer”.")
	o.waitGone(field("Ann Archer")) // no longer a pending row with a checkbox
	o.open("/groups/" + g.Slug + "/members")
	o.waitCount(row("Ann Archer")+"/td[normalize-space(.)='Member']", 1)

	b.open("/groups/" + g.Slug)
	b.waitCount(button("Leave group"), 1)
}

func TestJoinRequestRejectedWithReasonTheRequesterReads(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ben := w.account(t, "Ben Baker")
	g := w.group(t, owner, "Night Owls", guildhall.Private, nil)
	w.request(t, ben, g)

	o := w.signedIn(t, owner)
	o.open("/groups/" + g.Slug + "/requests")
	o.fill("Reason", "We are full this season.")
	o.clickIn("Ben Baker", "Reject")
	o.waitText("Rejected “Ben Baker”.")
	o.waitText("No join requests are waiting.")

	b := w.signedIn(t, ben)
	b.open("/me/requests")
	b.waitCount(row("Night Owls")+"/td[normalize-space(.)='Rejected']", 1)
	b.waitText("We are full this season.")
	b.open("/groups/" + g.Slug)
	b.waitCount(button("Request to join"), 1)
}

func TestJoinRequestCanceledByRequester(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	cid := w.account(t, "Cid Cooper")
	g := w.group(t, owner, "Garden Guild", guildhall.Private, nil)

	b := w.signedIn(t, cid)
	b.open("/groups/" + g.Slug)
	b.click("Request to join") // no questions: the request is sent at once
	b.waitCount(button("Cancel request"), 1)
	if got := w.pending(t, g); len(got) != 1 {
		t.Fatalf("pending = %v, want Cid's request", got)
	}
	b.click("Cancel request")
	b.waitCount(button("Request to join"), 1)
	if b.count(button("Cancel request")) != 0 {
		t.Fatalf("Cancel request still offered:\n%s", b.pageText())
	}
	if got := w.pending(t, g); len(got) != 0 {
		t.Fatalf("pending after cancel = %v", got)
	}

	// From the viewer's own list, the button goes back there.
	w.request(t, cid, g)
	b.open("/me/requests")
	b.clickIn("Garden Guild", "Cancel request")
	b.waitPath("/me/requests")
	b.waitCount(row("Garden Guild")+"/td[normalize-space(.)='Canceled']", 2)
}

func TestJoinRefusedWithoutPublicProfile(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	pat := w.account(t, "Pat Private", testapp.PrivateProfile)
	pub := w.group(t, owner, "Open Mic", guildhall.Public, nil)
	priv := w.group(t, owner, "Closed Door", guildhall.Private, nil)
	_, refusal := guildhall.HowCanJoin(guildhall.ActorFor(pat), pub, guildhall.RoleNone, false)

	b := w.signedIn(t, pat)
	for _, g := range []*guildhall.Group{pub, priv} {
		b.open("/groups/" + g.Slug)
		b.waitText(guildhall.Message(refusal))
		for _, name := range []string{"Join group", "Request to join"} {
			if b.count(button(name)) != 0 {
				t.Fatalf("%s offers %q to a private profile:\n%s", g.Name, name, b.pageText())
			}
		}
	}

	c := w.app.SignedIn(t, pat.Email)
	for _, g := range []*guildhall.Group{pub, priv} {
		res := w.app.PostForm(t, c, "/groups/"+g.Slug+"/join", nil)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("forged join of %s: status %d, want 403", g.Name, res.StatusCode)
		}
		if body := testapp.Body(res); !strings.Contains(body, "public profile") {
			t.Fatalf("403 page does not say why:\n%s", body)
		}
	}
	if roles := w.roles(t, pub); roles["Pat Private"] != guildhall.RoleNone {
		t.Fatal("the forged join made Pat a member")
	}
}

func TestJoinSecretGroupMemberAddsByEmail(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	mia := w.account(t, "Mia Member")
	neo := w.account(t, "Neo Newcomer")
	otto := w.account(t, "Otto Outsider")
	g := w.group(t, owner, "Hidden Circle", guildhall.Secret, nil)
	w.add(t, owner, g, mia)

	// Outsiders cannot tell the group exists.
	c := w.app.SignedIn(t, otto.Email)
	if res := w.app.Get(t, c, "/groups/"+g.Slug); res.StatusCode != http.StatusNotFound {
		t.Fatalf("outsider GET secret group: %d, want 404", res.StatusCode)
	}

	b := w.signedIn(t, mia)
	b.open("/groups/" + g.Slug)
	b.follow("Members")
	b.waitPath("/groups/" + g.Slug + "/members")
	if b.count(button("Make admin")) != 0 || b.count(button("Remove from group")) != 0 {
		t.Fatalf("a plain member is offered admin buttons:\n%s", b.pageText())
	}
	b.fill("Email", "ghost@example.com")
	b.click("Add")
	b.waitText("No account has this email.")
	b.fill("Email", neo.Email)
	b.click("Add")
	b.waitCount(row("Neo Newcomer")+"/td[normalize-space(.)='Member']", 1)
	b.fill("Email", neo.Email)
	b.click("Add")
	b.waitCount("//*[@aria-invalid='true' and @id=//label[normalize-space(.)='Email']/@for]", 1)

	n := w.signedIn(t, neo)
	n.open("/groups/" + g.Slug)
	n.waitText("Hidden Circle")
	n.waitCount(button("Leave group"), 1)
	if res := w.app.Get(t, c, "/groups/"+g.Slug); res.StatusCode != http.StatusNotFound {
		t.Fatalf("outsider GET secret group after add: %d, want 404", res.StatusCode)
	}
}

func TestJoinRequestsBulkApprove(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	g := w.group(t, owner, "Bulk Bakers", guildhall.Private, nil)
	for _, name := range []string{"Ann Archer", "Ben Baker", "Cid Cooper"} {
		w.request(t, w.account(t, name), g)
	}

	o := w.signedIn(t, owner)
	o.open("/groups/" + g.Slug + "/requests")
	o.toggle("Ann Archer")
	o.toggle("Cid Cooper")
	o.click("Approve selected")
	o.waitText("Approved “Cid Cooper”, “Ann Archer”.") // in the table's order, newest first
	o.waitGone(field("Ann Archer"))
	o.waitGone(field("Cid Cooper"))
	o.waitCount(field("Ben Baker"), 1)

	roles := w.roles(t, g)
	if roles["Ann Archer"] != guildhall.RoleMember || roles["Cid Cooper"] != guildhall.RoleMember || roles["Ben Baker"] != guildhall.RoleNone {
		t.Fatalf("roles after bulk approve = %v", roles)
	}
	if got := w.pending(t, g); len(got) != 1 || got[0] != "Ben Baker" {
		t.Fatalf("pending = %v, want only Ben", got)
	}

	// The status filter shows decided requests.
	o.choose("Status", "Approved")
	o.waitCount(row("Ann Archer")+"/td[normalize-space(.)='Approved']", 1)
	o.waitCount(row("Cid Cooper")+"/td[normalize-space(.)='Approved']", 1)
}

func TestJoinRequestsDecidedByMembersOnlyWhenAllowed(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	mo := w.account(t, "Mo Member")
	rae := w.account(t, "Rae Requester")
	sam := w.account(t, "Sam Second")
	g := w.group(t, owner, "Helpful Hands", guildhall.Private, &guildhall.GroupSettings{MembersCanApprove: true, ShowMemberList: true})
	w.add(t, owner, g, mo)
	w.request(t, rae, g)
	w.request(t, sam, g)

	b := w.signedIn(t, mo)
	b.open("/groups/" + g.Slug)
	b.follow("Join requests 2 waiting")
	b.waitPath("/groups/" + g.Slug + "/requests")
	b.clickIn("Rae Requester", "Approve")
	b.waitGone(field("Rae Requester"))
	if w.roles(t, g)["Rae Requester"] != guildhall.RoleMember {
		t.Fatal("a member's approval did not add Rae")
	}

	off := false
	if _, err := w.app.Services.Groups.UpdateGroup(context.Background(), guildhall.ActorFor(owner), g.ID,
		guildhall.GroupUpdate{MembersCanApprove: &off}); err != nil {
		t.Fatalf("turn off members can approve: %v", err)
	}
	c := w.app.SignedIn(t, mo.Email)
	if res := w.app.Get(t, c, "/groups/"+g.Slug+"/requests"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("member GET requests with the setting off: %d, want 403", res.StatusCode)
	}
	res := w.app.PostForm(t, c, "/groups/"+g.Slug+"/requests/decide", url.Values{"one": {"approve:" + sam.ID}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("member decides with the setting off: %d, want 403", res.StatusCode)
	}
	b.open("/groups/" + g.Slug + "/requests")
	b.waitText("Not allowed")
	if got := w.pending(t, g); len(got) != 1 || got[0] != "Sam Second" {
		t.Fatalf("pending = %v, want Sam's request untouched", got)
	}
}

func TestJoinLastAdminCannotLeave(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	g := w.group(t, owner, "Lonely Lighthouse", guildhall.Public, nil)
	w.add(t, owner, g, w.account(t, "Ann Archer"))
	ctx := context.Background()
	refusal := w.app.Services.Membership.Leave(ctx, guildhall.ActorFor(owner), g.ID)
	if refusal == nil {
		t.Fatal("the service let the last admin leave")
	}

	b := w.signedIn(t, owner)
	b.open("/groups/" + g.Slug)
	b.click("Leave group")
	b.waitText("That cannot be done now")
	b.waitText(guildhall.Message(refusal))
	if w.roles(t, g)["Olga Owner"] != guildhall.RoleAdmin {
		t.Fatal("the last admin left")
	}
	if !errors.Is(refusal, guildhall.ErrFailedPrecondition) && !errors.Is(refusal, guildhall.ErrConflict) {
		t.Fatalf("refusal kind: %v", refusal)
	}
}

func TestJoinMembersPromoteDemoteRemove(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	ben := w.account(t, "Ben Baker")
	g := w.group(t, owner, "Role Players", guildhall.Public, nil)
	w.add(t, owner, g, ann, ben)

	o := w.signedIn(t, owner)
	o.open("/groups/" + g.Slug + "/members")
	o.waitCount(row("Olga Owner")+"/td[normalize-space(.)='Admin']", 1)
	o.clickIn("Ann Archer", "Make admin")
	o.waitCount(row("Ann Archer")+"/td[normalize-space(.)='Admin']", 1)
	if w.roles(t, g)["Ann Archer"] != guildhall.RoleAdmin {
		t.Fatal("Make admin did not promote Ann")
	}
	o.clickIn("Ann Archer", "Remove admin")
	o.waitCount(row("Ann Archer")+"/td[normalize-space(.)='Member']", 1)
	o.clickIn("Ben Baker", "Remove from group")
	o.waitGone(row("Ben Baker"))
	roles := w.roles(t, g)
	if roles["Ann Archer"] != guildhall.RoleMember || roles["Ben Baker"] != guildhall.RoleNone {
		t.Fatalf("roles = %v", roles)
	}

	// A plain member sees the list without the buttons.
	a := w.signedIn(t, ann)
	a.open("/groups/" + g.Slug + "/members")
	a.waitText("Olga Owner")
	for _, name := range []string{"Make admin", "Remove admin", "Remove from group", "Add"} {
		if a.count(button(name)) != 0 {
			t.Fatalf("plain member is offered %q:\n%s", name, a.pageText())
		}
	}
}

func TestJoinInboxCountAndDecisions(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	books := w.group(t, owner, "Book Nook", guildhall.Private, nil)
	birds := w.group(t, owner, "Bird Watchers", guildhall.Private, nil)
	w.request(t, w.account(t, "Ann Archer"), books)
	w.request(t, w.account(t, "Ben Baker"), birds)
	w.request(t, w.account(t, "Cid Cooper"), birds)
	nobody := w.account(t, "Nora Nobody")

	o := w.signedIn(t, owner)
	o.waitCount(inboxBadge(3), 1)
	o.do("open the inbox from the navigation", chromedp.Click("//nav//a[@href='/inbox']"))
	o.waitPath("/inbox")
	o.waitCount(row("Ann Archer")+"//a[normalize-space(.)='Book Nook']", 1)
	o.waitCount(row("Ben Baker")+"//a[normalize-space(.)='Bird Watchers']", 1)
	o.clickIn("Ann Archer", "Approve")
	o.waitText("Approved “Ann Archer (Book Nook)”.")
	o.waitGone(field("Ann Archer"))
	o.open("/inbox")
	o.waitCount(inboxBadge(2), 1)

	o.toggle("Ben Baker")
	o.toggle("Cid Cooper")
	o.fill("Reason", "Birds only, no bakers.")
	o.click("Reject selected")
	o.waitText("Rejected “Ben Baker (Bird Watchers)”, “Cid Cooper (Bird Watchers)”.")
	o.waitText("Nothing waits for your decision.")
	o.open("/inbox")
	o.waitGone("//nav//a[@href='/inbox']//*[@aria-label]")

	if w.roles(t, books)["Ann Archer"] != guildhall.RoleMember {
		t.Fatal("Ann was not approved from the inbox")
	}
	if got := w.pending(t, birds); len(got) != 0 {
		t.Fatalf("pending in Bird Watchers = %v", got)
	}

	n := w.signedIn(t, nobody)
	n.open("/inbox")
	n.waitText("Nothing waits for your decision.")
	if n.count("//nav//a[@href='/inbox']//*[@aria-label]") != 0 {
		t.Fatal("a badge for someone who decides nothing")
	}
}

// Every form works without JavaScript: plain posts answer with 303 and a
// message on the next page, or 422 with the form again.
func TestJoinFormsWithoutJavaScript(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	ann := w.account(t, "Ann Archer")
	ben := w.account(t, "Ben Baker")
	g := w.group(t, owner, "Plain Posters", guildhall.Private, nil)
	if _, err := w.app.Services.Membership.SetQuestions(context.Background(), guildhall.ActorFor(owner), g.ID,
		[]guildhall.QuestionInput{{Text: "Who sent you?", Required: true}}); err != nil {
		t.Fatalf("set questions: %v", err)
	}
	expect := func(res *http.Response, status int, location string) {
		t.Helper()
		if res.StatusCode != status || res.Header.Get("Location") != location {
			t.Fatalf("%s %s: %d %q, want %d %q\n%s", res.Request.Method, res.Request.URL.Path,
				res.StatusCode, res.Header.Get("Location"), status, location, testapp.Body(res))
		}
	}

	a := w.app.SignedIn(t, ann.Email)
	expect(w.app.PostForm(t, a, "/groups/"+g.Slug+"/join", nil), http.StatusSeeOther, "/groups/"+g.Slug+"/join")
	res := w.app.PostForm(t, a, "/groups/"+g.Slug+"/join", url.Values{"answering": {"yes"}})
	expect(res, http.StatusUnprocessableEntity, "")
	if !strings.Contains(testapp.Body(res), `aria-invalid="true"`) {
		t.Fatalf("the missing answer is not marked:\n%s", testapp.Body(res))
	}
	qs, err := w.app.Services.Membership.Questions(context.Background(), guildhall.ActorFor(ann), g.ID)
	if err != nil || len(qs) != 1 {
		t.Fatalf("questions: %v, %v", qs, err)
	}
	expect(w.app.PostForm(t, a, "/groups/"+g.Slug+"/join", url.Values{"answering": {"yes"}, "answer-" + qs[0].ID: {"Olga"}}),
		http.StatusSeeOther, "/groups/"+g.Slug)
	// A "next" that leaves the site is ignored.
	expect(w.app.PostForm(t, a, "/groups/"+g.Slug+"/request/cancel", url.Values{"next": {"//evil.example/"}}),
		http.StatusSeeOther, "/groups/"+g.Slug)
	w.request(t, ann, g, guildhall.Answer{QuestionID: qs[0].ID, Question: qs[0].Text, Text: "Olga"})
	w.request(t, ben, g, guildhall.Answer{QuestionID: qs[0].ID, Question: qs[0].Text, Text: "Olga"})

	o := w.app.SignedIn(t, owner.Email)
	res = w.app.PostForm(t, o, "/groups/"+g.Slug+"/requests/decide?status=PENDING", url.Values{"action": {"approve"}})
	expect(res, http.StatusUnprocessableEntity, "")
	if !strings.Contains(testapp.Body(res), "Select at least one request first.") {
		t.Fatalf("no message for an empty selection:\n%s", testapp.Body(res))
	}
	expect(w.app.PostForm(t, o, "/groups/"+g.Slug+"/requests/decide?status=PENDING", url.Values{"one": {"approve:" + ann.ID}}),
		http.StatusSeeOther, "/groups/"+g.Slug+"/requests?status=PENDING")
	if body := testapp.Body(w.app.Get(t, o, "/groups/"+g.Slug+"/requests?status=PENDING")); !strings.Contains(body, "Approved “Ann Archer”.") {
		t.Fatalf("no notice after approving:\n%s", body)
	}
	// Deciding an already decided request says so and changes nothing.
	expect(w.app.PostForm(t, o, "/inbox/decide", url.Values{"action": {"reject"}, "reason": {"Too late"},
		"request": {g.ID + ":" + ann.ID, g.ID + ":" + ben.ID}}), http.StatusSeeOther, "/inbox")
	body := testapp.Body(w.app.Get(t, o, "/inbox"))
	if !strings.Contains(body, "Rejected “Ben Baker (Plain Posters)”.") || !strings.Contains(body, "Ann Archer") {
		t.Fatalf("inbox notice does not tell both outcomes:\n%s", body)
	}
	if roles := w.roles(t, g); roles["Ann Archer"] != guildhall.RoleMember || roles["Ben Baker"] != guildhall.RoleNone {
		t.Fatalf("roles = %v", roles)
	}
}
