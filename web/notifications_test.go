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

// A decider sees the unread count in the navigation, reads the grouped
// notification on /notifications, and "Mark all read" clears the count.
func TestNotificationsPageAndNavCount(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	olga := app.Account(t, "olga@example.com", "Olga", testapp.SiteAdmin)
	c, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(olga), guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "bea", "cy"} {
		a := app.Account(t, name+"@example.com", name)
		if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(a), c.Group.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	oc := app.SignedIn(t, "olga@example.com")
	body := testapp.Body(app.Get(t, oc, "/groups"))
	if !strings.Contains(body, `aria-label="1 unread"`) {
		t.Errorf("the navigation does not show 1 unread notification:\n%s", body)
	}
	res := app.Get(t, oc, "/notifications")
	body = testapp.Body(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "3 new requests to join Hiking Club") ||
		!strings.Contains(body, "Mark all read") || !strings.Contains(body, ">Unread<") {
		t.Fatalf("/notifications: %d\n%s", res.StatusCode, body)
	}
	res = app.PostForm(t, oc, "/notifications/read", url.Values{})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("Mark all read: %d", res.StatusCode)
	}
	body = testapp.Body(app.Get(t, oc, "/notifications"))
	if strings.Contains(body, "unread\"") || strings.Contains(body, ">Unread<") || !strings.Contains(body, "3 new requests to join Hiking Club") {
		t.Errorf("after Mark all read:\n%s", body)
	}
}
