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

// The site settings page sets the request lifecycle; empty is off and a
// bad number is named beside its field.
func TestAdminSettingsLifecycleFields(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "sam@example.com", "Sam", testapp.SiteAdmin)
	c := app.SignedIn(t, "sam@example.com")
	body := testapp.Body(app.Get(t, c, "/admin/settings"))
	for _, label := range []string{"Pending requests expire after (days)", "Remind deciders after (days)", "Escalate to site admins after (days)"} {
		if !strings.Contains(body, ">"+label+"</label>") {
			t.Errorf("no field %q", label)
		}
	}
	form := url.Values{"creationPolicy": {"ALL_MEMBERS"}, "expireAfterDays": {"30"}, "remindAfterDays": {"three"}, "escalateAfterDays": {""}}
	res := app.PostForm(t, c, "/admin/settings", form)
	body = testapp.Body(res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Must be a whole number of days") || !strings.Contains(body, `value="30"`) {
		t.Fatalf("a bad number: %d\n%s", res.StatusCode, body)
	}
	form.Set("remindAfterDays", "3")
	if res := app.PostForm(t, c, "/admin/settings", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	st, err := app.Services.Settings.SiteSettings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.CreationPolicy != guildhall.AllMembers || *st.ExpireAfterDays != 30 || *st.RemindAfterDays != 3 || st.EscalateAfterDays != nil {
		t.Errorf("saved %+v", st)
	}
	body = testapp.Body(app.Get(t, c, "/admin/settings"))
	if !strings.Contains(body, `name="expireAfterDays" type="number" min="1" max="3650" step="1" inputmode="numeric" value="30"`) {
		t.Errorf("the page does not show the saved days:\n%s", body)
	}
}

// The inbox marks a request escalated to the site admins and says when it
// expires, while those timers are on.
func TestInboxShowsExpiryAndEscalation(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	sam := app.Account(t, "sam@example.com", "Sam", testapp.SiteAdmin)
	ann := app.Account(t, "ann@example.com", "Ann")
	c, err := app.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(sam), guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Services.Membership.Join(ctx, guildhall.ActorFor(ann), c.Group.ID, nil); err != nil {
		t.Fatal(err)
	}
	app.DB.MustExecContext(ctx, `UPDATE join_requests SET created_at = now() - interval '3 days'`)
	expire, escalate := 10, 2
	if _, err := app.Services.Settings.UpdateSettings(ctx, guildhall.ActorFor(sam), guildhall.SettingsUpdate{
		ExpireAfterDays: &expire, EscalateAfterDays: &escalate}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Services.Lifecycle.Run(ctx); err != nil {
		t.Fatal(err)
	}
	body := testapp.Body(app.Get(t, app.SignedIn(t, "sam@example.com"), "/inbox"))
	for _, want := range []string{">Escalated<", ">Expires in 6 days<", "3 days"} {
		if !strings.Contains(body, want) {
			t.Errorf("the inbox lacks %q:\n%s", want, body)
		}
	}
}
