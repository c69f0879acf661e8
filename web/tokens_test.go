package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// The profile's token forms refuse what the service refuses, say why, and
// change nothing.
func TestProfileTokenForms(t *testing.T) {
	app := testapp.New(t)
	mia := app.Account(t, "mia@example.com", "Mia Member")
	ada := app.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin)
	c := app.SignedIn(t, "mia@example.com")

	res := app.PostForm(t, c, "/profile/tokens", url.Values{"name": {"sneaky"}, "elevated": {"on"}})
	if body := testapp.Body(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Only site admins can make elevated tokens.") {
		t.Fatalf("member asking for an elevated token: %d\n%s", res.StatusCode, body)
	}
	res = app.PostForm(t, c, "/profile/tokens", url.Values{"name": {strings.Repeat("x", 101)}})
	if body := testapp.Body(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Token name must be at most 100 characters.") {
		t.Fatalf("overlong token name: %d\n%s", res.StatusCode, body)
	}
	if n := countRows(t, app, `SELECT count(*) FROM api_tokens`); n != 0 {
		t.Fatalf("%d tokens saved after refusals", n)
	}

	// Someone else's token cannot be revoked from here: 404, and it works on.
	adaToken, tok, err := app.Services.Tokens.CreateToken(context.Background(), guildhall.ActorFor(ada), "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	res = app.PostForm(t, c, "/profile/tokens/"+tok.ID+"/revoke", nil)
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("revoking another account's token: %d", res.StatusCode)
	}
	if status, _ := app.API(t, adaToken, http.MethodGet, "/settings", nil); status != http.StatusOK {
		t.Fatalf("Ada's token after Mia's attempt: %d", status)
	}

	// The token is shown once, in the response to the form only.
	res = app.PostForm(t, c, "/profile/tokens", url.Values{"name": {"mine"}})
	body := testapp.Body(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="new-token"`) {
		t.Fatalf("create token: %d\n%s", res.StatusCode, body)
	}
	if page := testapp.Body(app.Get(t, c, "/profile")); strings.Contains(page, `id="new-token"`) || !strings.Contains(page, "mine") {
		t.Fatalf("profile after creating a token:\n%s", page)
	}
	if n := countRows(t, app, `SELECT count(*) FROM api_tokens WHERE account_id = $1 AND NOT elevated`, mia.ID); n != 1 {
		t.Fatalf("Mia has %d tokens, want 1", n)
	}
}
