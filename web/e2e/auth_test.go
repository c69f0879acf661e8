package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"guildhall/internal/testapp"
)

func TestSignUpLandsOnGroupsSignedIn(t *testing.T) {
	app := testapp.New(t)
	b := newTab(t, app)
	b.open("/signup")
	b.fill("Email", "ada@example.com")
	b.fill("Display name", "Ada Lovelace")
	b.fill("Password", "analytical engine")
	b.click("Create account")
	b.waitPath("/groups")
	b.waitText("Ada Lovelace")
	if b.count(button("Sign out")) != 1 {
		t.Fatalf("no Sign out button after sign-up:\n%s", b.pageText())
	}
	if _, err := app.Services.Accounts.AccountByEmail(context.Background(), "ada@example.com"); err != nil {
		t.Fatalf("account not stored: %v", err)
	}
}

func TestSignUpWithBadInputNamesEachFieldAndSavesNothing(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "taken@example.com", "Taken")
	b := newTab(t, app)
	b.open("/signup")
	b.fill("Email", "not-an-email")
	b.fill("Password", "short")
	b.click("Create account")
	b.waitText("Email must be an address like name@example.com.")
	b.waitText("Display name is required.")
	b.waitText("Password must be at least 8 characters.")

	b.fill("Email", "TAKEN@example.com")
	b.fill("Display name", "Someone")
	b.fill("Password", "long enough password")
	b.click("Create account")
	b.waitText("An account with this email already exists.")
	if n, _ := app.Services.Accounts.CountAccounts(context.Background()); n != 1 {
		t.Fatalf("accounts = %d after refused sign-ups, want 1", n)
	}
}

func TestSignInSignOutAndDenyByDefault(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "grace@example.com", "Grace Hopper")
	b := newTab(t, app)

	b.open("/profile")
	b.waitPath("/login")
	b.fill("Email", "grace@example.com")
	b.fill("Password", testapp.Password)
	b.click("Sign in")
	b.waitPath("/profile") // back where sign-in was asked for
	b.waitText("Grace Hopper")

	b.click("Sign out")
	b.waitPath("/login")
	b.open("/groups")
	b.waitPath("/login")
	if b.hasText("Grace Hopper") {
		t.Fatal("display name still shown after sign-out")
	}
}

func TestWrongPasswordAndUnknownEmailGetTheSameMessage(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "grace@example.com", "Grace Hopper")
	b := newTab(t, app)
	for _, email := range []string{"grace@example.com", "nobody@example.com"} {
		b.open("/login")
		b.fill("Email", email)
		b.fill("Password", "wrong password")
		b.click("Sign in")
		b.waitText("Email or password is incorrect.")
		b.waitPath("/login")
	}
}

func TestProfilePublicFlag(t *testing.T) {
	app := testapp.New(t)
	acct := app.Account(t, "grace@example.com", "Grace Hopper")
	b := newTab(t, app)
	b.signIn("grace@example.com")
	b.open("/profile")
	if !b.checked("Public profile") {
		t.Fatal("Public profile should start checked")
	}
	b.toggle("Public profile")
	b.fill("Display name", "Rear Admiral Hopper")
	b.click("Save")
	b.waitText("Profile saved.")
	b.open("/profile")
	if b.checked("Public profile") {
		t.Fatal("Public profile still checked after turning it off")
	}
	b.waitText("Rear Admiral Hopper")
	got, err := app.Services.Accounts.AccountByID(context.Background(), acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PublicProfile || got.DisplayName != "Rear Admiral Hopper" {
		t.Fatalf("stored profile = %+v", got)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	app := testapp.New(t)
	acct := app.Account(t, "grace@example.com", "Grace Hopper")
	// Another origin on the same machine (same site, so the session cookie
	// travels with the post): only the origin check stands in the way.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/profile">
			<input type="hidden" name="displayName" value="Hacked">
			<button type="submit">Claim prize</button></form>`, app.URL)
	}))
	defer evil.Close()

	b := newTab(t, app)
	b.signIn("grace@example.com")
	b.do("open the other site", navigate(evil.URL))
	b.click("Claim prize")
	b.waitText("This request came from another site and was refused.")
	got, _ := app.Services.Accounts.AccountByID(context.Background(), acct.ID)
	if got.DisplayName != "Grace Hopper" {
		t.Fatalf("display name changed to %q by a cross-origin post", got.DisplayName)
	}
}
