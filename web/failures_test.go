package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// A form that cannot be read is a bad request (400) on every page that
// takes one, never "not allowed" (403): nothing about the person changed.
func TestUnreadableFormIsABadRequest(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	olga := app.Account(t, "olga@example.com", "Olga", testapp.SiteAdmin)
	c, err := app.Services.Groups.CreateGroup(context.Background(), guildhall.ActorFor(olga),
		guildhall.GroupInput{Name: "Quiet Readers", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	client := app.SignedIn(t, "olga@example.com")
	for _, path := range []string{
		"/groups/" + c.Group.Slug + "/settings/questions",
		"/groups/" + c.Group.Slug + "/requests/decide",
		"/admin/create-requests/decide",
	} {
		req, err := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader("question=%zz"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if res := app.Do(t, client, req); res.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s with an unreadable form: status %d, want 400\n%s", path, res.StatusCode, testapp.Body(res))
		}
	}
}

// When the database cannot load the signed-in account, the page fails
// (500) and the person stays signed in: once the database answers again,
// the same session works.
func TestAccountLoadFailureIsNotASignOut(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "mia@example.com", "Mia")
	client := app.SignedIn(t, "mia@example.com")
	exec := func(q string) {
		t.Helper()
		if _, err := app.DB.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`ALTER TABLE accounts RENAME TO accounts_away`)
	res := app.Get(t, client, "/groups")
	exec(`ALTER TABLE accounts_away RENAME TO accounts`)
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("account not loadable: status %d (Location %q), want 500", res.StatusCode, res.Header.Get("Location"))
	}
	if res := app.Get(t, client, "/groups"); res.StatusCode != http.StatusOK {
		t.Fatalf("after the database answers again: status %d (Location %q), want 200 still signed in", res.StatusCode, res.Header.Get("Location"))
	}
}
