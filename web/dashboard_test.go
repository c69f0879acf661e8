package web_test

import (
	"context"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// card is the directory card of the group named name.
func card(t *testing.T, body, name string) string {
	t.Helper()
	for _, li := range strings.Split(body, "<li>") {
		if strings.Contains(li, ">"+name+"</a>") {
			return li[:strings.Index(li, "</li>")]
		}
	}
	t.Fatalf("no card for %s in\n%s", name, body)
	return ""
}

// Deciders see counts where they look: each directory card says how the
// viewer is tied to the group, and the group page's "Join requests" link
// says how many wait.
func TestDirectoryRelationsAndWaitingCount(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	root := app.Account(t, "root@example.com", "Root", testapp.SiteAdmin)
	if _, err := app.Services.Settings.SetCreationPolicy(ctx, guildhall.ActorFor(root), guildhall.AllMembers); err != nil {
		t.Fatal(err)
	}
	olga := app.Account(t, "olga@example.com", "Olga")
	ann := app.Account(t, "ann@example.com", "Ann")
	ben := app.Account(t, "ben@example.com", "Ben")
	create := func(by *guildhall.Account, name string, p guildhall.Privacy) *guildhall.Group {
		c, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(by), guildhall.GroupInput{Name: name, Privacy: p}, "")
		if err != nil {
			t.Fatal(err)
		}
		return c.Group
	}
	mine := create(olga, "Olga's Own", guildhall.Private)
	joined := create(ann, "Ann's Atelier", guildhall.Public)
	asked := create(ann, "Ann's Archive", guildhall.Private)
	create(ann, "Ann's Other", guildhall.Public)
	for _, j := range []struct {
		who *guildhall.Account
		g   *guildhall.Group
	}{{olga, joined}, {olga, asked}, {ann, mine}, {ben, mine}} {
		if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(j.who), j.g.ID, nil); err != nil {
			t.Fatal(err)
		}
	}

	c := app.SignedIn(t, "olga@example.com")
	body := testapp.Body(app.Get(t, c, "/groups"))
	for name, want := range map[string]string{"Olga's Own": ">Admin<", "Ann's Atelier": ">Member<", "Ann's Archive": ">Requested<"} {
		if got := card(t, body, strings.ReplaceAll(name, "'", "&#39;")); !strings.Contains(got, want) {
			t.Errorf("card of %s lacks %s:\n%s", name, want, got)
		}
	}
	if got := card(t, body, "Ann&#39;s Other"); strings.Contains(got, "relation") {
		t.Errorf("a card with no tie shows one:\n%s", got)
	}
	if !strings.Contains(card(t, body, "Olga&#39;s Own"), "1 member<") {
		t.Errorf("one member is not \"1 member\":\n%s", card(t, body, "Olga&#39;s Own"))
	}

	page := testapp.Body(app.Get(t, c, "/groups/"+mine.Slug))
	if !strings.Contains(page, `<span class="badge">2 <span class="visually-hidden">waiting</span></span>`) {
		t.Errorf("the Join requests link does not say 2 wait:\n%s", page)
	}
}

// Empty and error states say what to do next: an empty directory offers
// "New group" or says who may create, a 403 says who may let the person
// in, and the 404 page offers the directory.
func TestEmptyAndErrorStatesHelp(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	root := app.Account(t, "root@example.com", "Root", testapp.SiteAdmin)
	app.Account(t, "mia@example.com", "Mia")
	c := app.SignedIn(t, "mia@example.com")

	if body := testapp.Body(app.Get(t, c, "/groups")); !strings.Contains(body, "There are no groups here yet.") || !strings.Contains(body, `href="/groups/new"`) {
		t.Errorf("an empty directory does not offer New group:\n%s", body)
	}
	if _, err := app.Services.Settings.SetCreationPolicy(ctx, guildhall.ActorFor(root), guildhall.AdminsOnly); err != nil {
		t.Fatal(err)
	}
	if body := testapp.Body(app.Get(t, c, "/groups")); !strings.Contains(body, "Only site admins can create groups here") {
		t.Errorf("an empty directory does not say who may create:\n%s", body)
	}
	if body := testapp.Body(app.Get(t, c, "/inbox")); !strings.Contains(body, "Nothing waits for your decision.") {
		t.Errorf("an empty inbox does not say so:\n%s", body)
	}
	res := app.Get(t, c, "/admin/audit")
	if body := testapp.Body(res); res.StatusCode != 403 || !strings.Contains(body, "Only site admins") || !strings.Contains(body, "ask someone who may grant it") {
		t.Errorf("403 page: %d\n%s", res.StatusCode, body)
	}
	res = app.Get(t, c, "/groups/no-such-group")
	if body := testapp.Body(res); res.StatusCode != 404 || !strings.Contains(body, `<a href="/groups">Browse the group directory</a>`) {
		t.Errorf("404 page: %d\n%s", res.StatusCode, body)
	}
}
