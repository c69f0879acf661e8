package web_test

import (
	"context"
	"html"
	"net/http"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// A requester still sees a request to a group that turned secret, as
// Rejected with why, under the name they knew, and nothing on the page
// leads to the secret group.
func TestMyRequestsKeepsARequestToAGroupTurnedSecret(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	app := testapp.New(t)
	root := app.Account(t, "root@example.com", "Root", testapp.SiteAdmin)
	rita := app.Account(t, "rita@example.com", "Rita")
	rootActor := guildhall.ActorFor(root)
	c, err := app.Services.Groups.CreateGroup(ctx, rootActor, guildhall.GroupInput{Name: "Hidden Club", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(rita), c.Group.ID, nil); err != nil {
		t.Fatal(err)
	}
	secret, renamed := guildhall.Secret, "Inner Circle"
	g, err := app.Services.Groups.UpdateGroup(ctx, rootActor, c.Group.ID, guildhall.GroupUpdate{Privacy: &secret, Name: &renamed})
	if err != nil {
		t.Fatal(err)
	}

	res := app.Get(t, app.SignedIn(t, "rita@example.com"), "/me/requests")
	body := html.UnescapeString(testapp.Body(res))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	row := body[strings.Index(body, "Groups I asked to join"):]
	for _, want := range []string{"Hidden Club", "Rejected", "The group is now secret and takes no requests."} {
		if !strings.Contains(row, want) {
			t.Errorf("the request's row does not say %q", want)
		}
	}
	for _, leak := range []string{g.Slug, "Inner Circle", c.Group.ID, "Cancel request"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page shows %q", leak)
		}
	}
}
