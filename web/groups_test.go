package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// The directory's page number is bounded: any number, however large or
// malformed, answers a page (past the end: empty, with a way back), never
// an error or an overflowing offset.
func TestDirectoryPageNumberIsBounded(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "mia@example.com", "Mia")
	c := app.SignedIn(t, "mia@example.com")
	for _, page := range []string{"0", "-3", "abc", "501", "9223372036854775807"} {
		res := app.Get(t, c, "/groups?page="+page)
		body := testapp.Body(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("page=%s: status %d\n%s", page, res.StatusCode, body)
		}
		if strings.Contains(body, ">Next<") {
			t.Errorf("page=%s: a Next link with no groups at all", page)
		}
	}
	if body := testapp.Body(app.Get(t, c, "/groups?page=9223372036854775807")); !strings.Contains(body, `href="/groups?page=499"`) {
		t.Errorf("the last allowed page has no way back:\n%s", body)
	}
}

// Settings saved with a privacy effect that no longer holds: when the
// change now decides nothing it is saved (nothing to confirm); a form
// refused for a bad field still states the chosen privacy's effect.
func TestSettingsPrivacyEffectOutdatedOrRefused(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	olga := app.Account(t, "olga@example.com", "Olga", testapp.SiteAdmin)
	ann := app.Account(t, "ann@example.com", "Ann")
	c, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(olga), guildhall.GroupInput{Name: "Quiet Readers", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	g := c.Group
	if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(ann), g.ID, nil); err != nil {
		t.Fatal(err)
	}
	client := app.SignedIn(t, "olga@example.com")
	settings := "/groups/" + g.Slug + "/settings"

	res := app.PostForm(t, client, settings, url.Values{"name": {""}, "privacy": {"PUBLIC"}, "showMemberList": {"on"}, "previewed": {"PUBLIC:1"}})
	if body := testapp.Body(res); res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Making this group public will approve 1 pending join request.") {
		t.Fatalf("refused form: %d, want 422 stating the effect\n%s", res.StatusCode, body)
	}

	// Ann cancels after Olga saw "will approve 1".
	if _, err := app.Services.Membership.CancelJoinRequest(ctx, guildhall.ActorFor(ann), g.ID); err != nil {
		t.Fatal(err)
	}
	res = app.PostForm(t, client, settings, url.Values{"name": {"Quiet Readers"}, "privacy": {"PUBLIC"},
		"showMemberList": {"on"}, "previewed": {"PUBLIC:1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save after the effect went away: %d, want 303\n%s", res.StatusCode, testapp.Body(res))
	}
	after, err := app.Services.Groups.GroupByID(ctx, guildhall.ActorFor(olga), g.ID)
	if err != nil || after.Privacy != guildhall.Public {
		t.Fatalf("group after saving: %+v, %v", after, err)
	}
}

// A search's total is counted only so far: past a hundred matches the line
// says "more than 100", and Next still leads on; a page past the hundredth
// match counts to its own last row, and the last page is exact. A search
// matching fewer, and the directory without a search, show the exact number.
func TestSearchTotalIsBoundedAndTrue(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	owner := guildhall.ActorFor(app.Account(t, "kim@example.com", "Kim", testapp.SiteAdmin))
	app.Account(t, "mia@example.com", "Mia")
	for i := 1; i <= 101; i++ {
		if _, err := app.Services.Groups.CreateGroup(ctx, owner, guildhall.GroupInput{Name: fmt.Sprintf("Knot %d", i), Privacy: guildhall.Public}, ""); err != nil {
			t.Fatal(err)
		}
	}
	c := app.SignedIn(t, "mia@example.com")
	for _, p := range []struct {
		path, line string
		next       bool
	}{
		{"/groups?q=knot", "Showing 1–20 of more than 100", true},
		{"/groups?q=knot&page=5", "Showing 81–100 of more than 100", true},
		{"/groups?q=knot&page=6", "Showing 101–101 of 101", false},
		{"/groups?q=knot+1", "Showing 1–13 of 13", false}, // Knot 1, 10–19, 100, 101
		{"/groups", "Showing 1–20 of 101", true},
	} {
		res := app.Get(t, c, p.path)
		body := testapp.Body(res)
		if !strings.Contains(body, p.line) {
			t.Errorf("%s: no %q\n%s", p.path, p.line, body)
		}
		// A page is sent whole, its length said, not in chunks.
		if res.ContentLength != int64(len(body)) || res.TransferEncoding != nil {
			t.Errorf("%s: Content-Length %d, Transfer-Encoding %q for a page of %d bytes", p.path, res.ContentLength, res.TransferEncoding, len(body))
		}
		if next := strings.Contains(body, ">Next<"); next != p.next {
			t.Errorf("%s: Next link shown %v, want %v", p.path, next, p.next)
		}
	}
}
