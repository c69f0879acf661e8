package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"guildhall/internal/testapp"
)

// newToken is the token the profile page shows once after "Create token".
func (b *tab) newToken() string {
	b.t.Helper()
	b.do("wait for the new token", chromedp.WaitVisible("#new-token"))
	token, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.getElementById('new-token').innerText.trim()"))
	if err != nil {
		b.t.Fatal(err)
	}
	return token
}

// A site admin makes an elevated token on the profile page, a script uses
// it, the page shows when it was last used, and after "Revoke" the same
// call is refused.
func TestTokenCreateUseAndRevoke(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin)
	mia := app.Account(t, "mia@example.com", "Mia Member")
	b := newTab(t, app)
	b.signIn("ada@example.com")
	b.open("/profile")
	b.waitText("You have no API tokens.")

	b.fill("Token name", "nightly sync")
	b.toggle("Elevated")
	b.click("Create token")
	b.waitText("Copy it now: it will not be shown again.")
	token := b.newToken()
	if !strings.HasPrefix(token, "gh_") {
		t.Fatalf("shown token = %q", token)
	}
	if n := b.count(row("nightly sync") + "//*[normalize-space(.)='Elevated']"); n != 1 {
		t.Fatalf("the token's row is not marked Elevated (%d)", n)
	}
	if n := b.count(row("nightly sync") + "/td[normalize-space(.)='Never']"); n != 1 {
		t.Fatal("a token not used yet should say Never")
	}

	// Only an elevated token may create a group on someone's behalf.
	status, body := app.API(t, token, http.MethodPost, "/groups", map[string]any{
		"creatorId": mia.ID, "group": map[string]any{"name": "Made By Script", "privacyStatus": "PUBLIC"}})
	if status != http.StatusCreated {
		t.Fatalf("create a group for Mia with the elevated token: %d %v", status, body)
	}
	if g := body["group"].(map[string]any); g["ownerId"] != mia.ID {
		t.Fatalf("created group = %v, want it owned by Mia", g)
	}

	b.open("/profile")
	if b.hasText("Copy it now") || b.count("//*[@id='new-token']") != 0 {
		t.Fatal("the token is shown again after reloading the page")
	}
	if n := b.count(row("nightly sync") + "/td[normalize-space(.)='Never']"); n != 0 {
		t.Fatal("Last used still says Never after the token was used")
	}

	b.clickIn("nightly sync", "Revoke")
	b.waitText("Token revoked.")
	b.waitText("You have no API tokens.")
	if status, _ := app.API(t, token, http.MethodGet, "/settings", nil); status != http.StatusUnauthorized {
		t.Fatalf("the revoked token still works: %d", status)
	}
}

// A member's tokens act as the member, cannot be elevated, and a token
// without a name is refused with a message naming the field.
func TestTokenForAMember(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "mia@example.com", "Mia Member")
	b := newTab(t, app)
	b.signIn("mia@example.com")
	b.open("/profile")
	if b.count(field("Elevated")) != 0 {
		t.Fatal("a member is offered elevated tokens")
	}
	b.click("Create token")
	b.waitText("Token name is required.")
	if b.count("//*[@id='new-token']") != 0 {
		t.Fatal("a token was made without a name")
	}

	b.fill("Token name", "my script")
	b.click("Create token")
	token := b.newToken()
	if status, body := app.API(t, token, http.MethodGet, "/settings", nil); status != http.StatusForbidden {
		t.Fatalf("a member's token read the site settings: %d %v", status, body)
	}
	status, body := app.API(t, token, http.MethodPost, "/groups", map[string]any{"group": map[string]any{"name": "Knitting Circle", "privacyStatus": "PUBLIC"}})
	if status != http.StatusAccepted {
		t.Fatalf("a member's group under the default policy: %d %v, want 202 (waits for approval)", status, body)
	}
	b.open("/me/requests")
	b.waitText("Knitting Circle")
}
