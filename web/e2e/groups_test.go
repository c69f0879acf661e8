package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// groupsWorld is an app with a site admin and a member.
type groupsWorld struct {
	app           *testapp.App
	admin, member *guildhall.Account
}

func newGroupsWorld(t *testing.T) *groupsWorld {
	t.Helper()
	app := testapp.New(t)
	return &groupsWorld{
		app:    app,
		admin:  app.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin),
		member: app.Account(t, "mo@example.com", "Mo Member"),
	}
}

func (w *groupsWorld) setPolicy(t *testing.T, p guildhall.CreationPolicy) {
	t.Helper()
	if _, err := w.app.Services.Settings.SetCreationPolicy(context.Background(), guildhall.ActorFor(w.admin), p); err != nil {
		t.Fatal(err)
	}
}

// createAs makes a group directly through the service (site admins always can).
func (w *groupsWorld) createAs(t *testing.T, owner *guildhall.Account, name string, p guildhall.Privacy) *guildhall.Group {
	t.Helper()
	c, err := w.app.Services.Groups.CreateGroup(context.Background(), guildhall.ActorFor(owner), guildhall.GroupInput{Name: name, Privacy: p}, "")
	if err != nil || c.Group == nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return c.Group
}

func TestGroupsSiteAdminChangesPolicyAndMemberCreatesAtOnce(t *testing.T) {
	w := newGroupsWorld(t)
	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.follow("Admin")
	admin.waitPath("/admin/settings")
	if !admin.checked("Site members with admin approval") {
		t.Fatal("the default policy should be approval")
	}
	admin.toggle("All site members")
	admin.click("Save")
	admin.waitText("Saved")
	admin.open("/admin/settings")
	if !admin.checked("All site members") {
		t.Fatal("policy not saved")
	}

	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.follow("New group")
	mo.waitPath("/groups/new")
	if mo.hasText("approval") {
		t.Fatalf("the form speaks of approval under All site members:\n%s", mo.pageText())
	}
	mo.fill("Name", "Chess Club")
	mo.typeIn("Description", "Friday evenings.")
	mo.toggle("Private")
	mo.click("Create group")
	mo.waitPath("/groups/chess-club")
	mo.waitText("Chess Club")
	mo.waitText("Private")
	mo.waitText("1 member")
	if mo.count(link("Settings")) != 1 {
		t.Fatalf("the creator is not the group's admin:\n%s", mo.pageText())
	}

	admin.open("/admin/audit")
	admin.waitText("Ada Admin changed who can create groups")
	admin.waitText("Mo Member created Chess Club")
}

func TestGroupsCreationWaitsForApprovalThenAppears(t *testing.T) {
	w := newGroupsWorld(t)
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.follow("New group")
	mo.waitText("waits for a site admin's approval")
	mo.fill("Name", "Hiking Club")
	mo.click("Create group")
	mo.waitPath("/me/requests")
	mo.waitText("pending approval")
	mo.waitCount(row("Hiking Club"), 1)
	mo.open("/groups")
	if mo.hasText("Hiking Club") {
		t.Fatal("a pending group is listed")
	}

	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/groups")
	if admin.hasText("Hiking Club") {
		t.Fatal("a pending group is listed for a site admin")
	}
	admin.open("/admin/create-requests")
	admin.waitCount(row("Hiking Club"), 1)
	admin.waitText("Mo Member")
	admin.clickIn("Hiking Club", "Approve")
	admin.waitText("Approved “Hiking Club”")
	admin.waitGone(row("Hiking Club"))
	admin.open("/admin/audit")
	admin.waitText("Ada Admin approved the creation of Hiking Club")

	mo.open("/groups")
	mo.follow("Hiking Club")
	mo.waitPath("/groups/hiking-club")
	mo.waitText("You are an admin")
	mo.open("/me/requests")
	mo.waitText("Approved")
}

func TestGroupsCreationRejectedWithReasonTheRequesterReads(t *testing.T) {
	w := newGroupsWorld(t)
	ctx := context.Background()
	if _, err := w.app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(w.member), guildhall.GroupInput{Name: "Spam Club"}, ""); err != nil {
		t.Fatal(err)
	}
	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/admin/create-requests")
	admin.fill("Reason", "We already have one of those.")
	admin.clickIn("Spam Club", "Reject")
	admin.waitText("Rejected “Spam Club”")

	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/me/requests")
	mo.waitCount(row("Spam Club"), 1)
	mo.waitText("Rejected")
	mo.waitText("We already have one of those.")
	if mo.count(rowButton("Spam Club", "Cancel request")) != 0 {
		t.Fatal("a rejected request still offers Cancel request")
	}
}

func TestGroupsCreationBulkDecisions(t *testing.T) {
	w := newGroupsWorld(t)
	ctx := context.Background()
	for _, name := range []string{"Alpha", "Beta", "Gamma"} {
		if _, err := w.app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(w.member), guildhall.GroupInput{Name: name}, ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/admin/create-requests")
	admin.waitCount(row("Alpha"), 1)
	admin.toggle("Alpha")
	admin.toggle("Gamma")
	admin.click("Approve selected")
	admin.waitText("Approved")
	admin.waitGone(row("Alpha"))
	admin.waitGone(row("Gamma"))
	admin.waitCount(row("Beta"), 1)
	for _, slug := range []string{"alpha", "gamma"} {
		if _, err := w.app.Services.Groups.GroupBySlug(ctx, guildhall.ActorFor(w.member), slug); err != nil {
			t.Fatalf("%s not created: %v", slug, err)
		}
	}
}

func TestGroupsCreationCanceledByRequester(t *testing.T) {
	w := newGroupsWorld(t)
	if _, err := w.app.Services.Groups.CreateGroup(context.Background(), guildhall.ActorFor(w.member), guildhall.GroupInput{Name: "Knitting"}, ""); err != nil {
		t.Fatal(err)
	}
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/me/requests")
	mo.clickIn("Knitting", "Cancel request")
	mo.waitText("Canceled your request")
	mo.waitText("Canceled")

	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/admin/create-requests")
	admin.waitText("No group creations are waiting for approval.")
}

func TestGroupsAdminsOnlyHidesNewGroupAndRefusesForgedPost(t *testing.T) {
	w := newGroupsWorld(t)
	w.setPolicy(t, guildhall.AdminsOnly)
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups")
	mo.waitText("Groups")
	if mo.count(link("New group")) != 0 {
		t.Fatal("New group offered under Only site admins")
	}
	mo.open("/groups/new")
	mo.waitText("Only site admins can create groups on this site.")

	c := w.app.SignedIn(t, "mo@example.com")
	res := w.app.PostForm(t, c, "/groups/new", url.Values{"name": {"Forged"}, "privacy": {"PUBLIC"}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged create: status %d, want 403", res.StatusCode)
	}
	var n int
	if err := w.app.DB.Get(&n, `SELECT (SELECT count(*) FROM groups) + (SELECT count(*) FROM create_requests)`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("a forged create stored %d rows", n)
	}

	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.follow("New group")
	admin.fill("Name", "Admins Made This")
	admin.click("Create group")
	admin.waitPath("/groups/admins-made-this")
}

func TestGroupsNewGroupBadInputNamesTheField(t *testing.T) {
	w := newGroupsWorld(t)
	w.setPolicy(t, guildhall.AllMembers)
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups/new")
	mo.fill("Name", "   ")
	mo.click("Create group")
	mo.waitText("Name is required.")
	var n int
	if err := w.app.DB.Get(&n, `SELECT count(*) FROM groups`); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d groups stored from a blank name", n)
	}
}

func TestGroupsSecretGroupIsNotFoundForOutsiders(t *testing.T) {
	w := newGroupsWorld(t)
	g := w.createAs(t, w.admin, "Hidden Society", guildhall.Secret)
	if g.Slug == "hidden-society" {
		t.Fatal("a secret group's slug reveals its name")
	}
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups/" + g.Slug)
	mo.waitText("Not found")
	if mo.hasText("Hidden Society") {
		t.Fatal("the 404 page names the secret group")
	}
	mo.open("/groups?q=hidden")
	mo.waitText("No groups match.")

	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/groups/" + g.Slug)
	admin.waitText("Hidden Society")
	admin.waitText("Secret")
}

func TestGroupsRenameMovesTheSlugAndTheOldOneRedirects(t *testing.T) {
	w := newGroupsWorld(t)
	w.createAs(t, w.admin, "Book Club", guildhall.Public)
	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/groups/book-club")
	admin.follow("Settings")
	admin.waitPath("/groups/book-club/settings")
	admin.fill("Name", "Readers Circle")
	admin.click("Save changes")
	admin.waitText("Settings saved.")
	admin.waitPath("/groups/readers-circle/settings")

	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups/book-club")
	mo.waitPath("/groups/readers-circle")
	mo.waitText("Readers Circle")

	c := w.app.SignedIn(t, "mo@example.com")
	res := w.app.Get(t, c, "/groups/book-club")
	if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != "/groups/readers-circle" {
		t.Fatalf("old slug: %d %q, want 308 to /groups/readers-circle", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestGroupsDelete(t *testing.T) {
	w := newGroupsWorld(t)
	w.createAs(t, w.admin, "Short Lived", guildhall.Public)
	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/groups/short-lived")
	admin.follow("Delete")
	admin.waitPath("/groups/short-lived/delete")
	admin.click("Delete group")
	admin.waitPath("/groups")
	admin.waitText("Deleted “Short Lived”.")
	if admin.count(link("Short Lived")) != 0 {
		t.Fatal("deleted group still listed")
	}
	admin.open("/groups/short-lived")
	admin.waitText("Not found")
	admin.open("/admin/audit")
	admin.waitText("Ada Admin deleted Short Lived")
}

func TestGroupsMemberCannotManageSomeoneElsesGroup(t *testing.T) {
	w := newGroupsWorld(t)
	w.createAs(t, w.admin, "Admins Group", guildhall.Public)
	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups/admins-group")
	if mo.count(link("Settings"))+mo.count(link("Delete")) != 0 {
		t.Fatal("a plain member is offered Settings or Delete")
	}
	mo.open("/groups/admins-group/settings")
	mo.waitText("Not allowed")
	c := w.app.SignedIn(t, "mo@example.com")
	if res := w.app.PostForm(t, c, "/groups/admins-group/delete", nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged delete: %d, want 403", res.StatusCode)
	}
}

func TestGroupsDirectorySearchFilterSortAndPages(t *testing.T) {
	w := newGroupsWorld(t)
	for i := 1; i <= 23; i++ {
		w.createAs(t, w.admin, fmt.Sprintf("Public %02d", i), guildhall.Public)
	}
	w.createAs(t, w.admin, "Zeta Private", guildhall.Private)
	w.createAs(t, w.admin, "Alpha Private", guildhall.Private)
	w.createAs(t, w.admin, "Secret Cellar", guildhall.Secret)

	mo := newTab(t, w.app)
	mo.signIn("mo@example.com")
	mo.open("/groups")
	groupLinks := "//ul[@class='group-list']//a"
	mo.waitCount(groupLinks, 20)
	mo.waitText("of 25") // the secret group is not counted
	mo.follow("Next")
	mo.waitCount(groupLinks, 5)
	if mo.count(link("Next")) != 0 {
		t.Fatal("Next shown on the last page")
	}
	if mo.hasText("Secret Cellar") {
		t.Fatal("secret group listed to an outsider")
	}
	mo.follow("Previous")
	mo.waitCount(groupLinks, 20)

	mo.open("/groups")
	mo.choose("Privacy", "Private")
	mo.waitCount(groupLinks, 2)
	mo.choose("Sort", "Name")
	mo.waitCount("("+groupLinks+")[1][normalize-space(.)='Alpha Private']", 1)
	mo.choose("Privacy", "All")
	mo.typeIn("Search", "public 1")
	mo.waitCount(groupLinks, 10) // Public 10 … Public 19
	mo.waitCount("("+groupLinks+")[1][normalize-space(.)='Public 10']", 1)

	// The same filters work as a plain link, without JavaScript.
	mo.open("/groups?q=ALPHA&sort=name")
	mo.waitCount(groupLinks, 1)
	mo.waitText("Alpha Private")

	admin := newTab(t, w.app)
	admin.signIn("ada@example.com")
	admin.open("/groups?privacy=SECRET")
	admin.waitCount(groupLinks, 1)
	admin.waitText("Secret Cellar")
}
