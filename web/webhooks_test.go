package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// A group's admins manage its webhooks on /groups/{slug}/webhooks; members
// and site members without a role are refused there and on /admin/webhooks;
// a group's page does not open another group's or the site's endpoint.
func TestGroupWebhooksPage(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	admin := app.Account(t, "ada@example.com", "Ada", testapp.SiteAdmin)
	olga := app.Account(t, "olga@example.com", "Olga")
	app.Account(t, "mo@example.com", "Mo")
	c, err := app.Services.Groups.CreateGroup(ctx, guildhall.Actor{Account: *admin, Elevated: true},
		guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Public}, olga.ID)
	if err != nil {
		t.Fatal(err)
	}
	site, _, err := app.Services.Webhooks.CreateWebhook(ctx, guildhall.ActorFor(admin),
		guildhall.NewWebhook{URL: "https://example.com/site", EventTypes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	base := "/groups/" + c.Group.Slug + "/webhooks"

	oc := app.SignedIn(t, "olga@example.com")
	if body := testapp.Body(app.Get(t, oc, "/groups/"+c.Group.Slug)); !strings.Contains(body, `href="`+base+`"`) {
		t.Error("the group page offers its admin no Webhooks link")
	}
	res := app.PostForm(t, oc, base, url.Values{"url": {"http://127.0.0.1:9/hook"}, "eventTypes": {"member.added"}})
	body := testapp.Body(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "whsec_") || !strings.Contains(body, "member.added") {
		t.Fatalf("add a group webhook: %d\n%s", res.StatusCode, body)
	}
	// "All events" starts ticked: a person who also ticks one type means
	// that type; with nothing ticked every event is sent.
	res = app.PostForm(t, oc, base, url.Values{"url": {"http://127.0.0.1:9/one"}, "eventTypes": {"*", "member.added"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("add a webhook with All events and one type: %d", res.StatusCode)
	}
	res = app.PostForm(t, oc, base, url.Values{"url": {"http://127.0.0.1:9/none"}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("add a webhook with no type ticked: %d", res.StatusCode)
	}
	hooks, err := app.Services.Webhooks.ListWebhooks(ctx, guildhall.ActorFor(olga), guildhall.WebhookScope{GroupID: c.Group.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		want := map[string]string{"http://127.0.0.1:9/hook": "member.added", "http://127.0.0.1:9/one": "member.added", "http://127.0.0.1:9/none": "*"}[h.URL]
		if strings.Join(h.EventTypes, ",") != want {
			t.Errorf("%s subscribes to %v, want %s", h.URL, h.EventTypes, want)
		}
	}
	res = app.PostForm(t, oc, base, url.Values{"url": {"http://127.0.0.1:9/bad"}, "eventTypes": {"group.exploded"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(testapp.Body(res), "There is no event type group.exploded.") {
		t.Errorf("an unknown event type: %d", res.StatusCode)
	}
	if res := app.Get(t, oc, base+"/"+site.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("the site's endpoint under the group's page: %d, want 404", res.StatusCode)
	}
	if res := app.Get(t, oc, "/admin/webhooks"); res.StatusCode != http.StatusForbidden {
		t.Errorf("a group admin opens /admin/webhooks: %d, want 403", res.StatusCode)
	}
	mc := app.SignedIn(t, "mo@example.com")
	if res := app.Get(t, mc, base); res.StatusCode != http.StatusForbidden {
		t.Errorf("a site member opens the group's webhooks: %d, want 403", res.StatusCode)
	}
	ac := app.SignedIn(t, "ada@example.com")
	if body := testapp.Body(app.Get(t, ac, base)); !strings.Contains(body, "http://127.0.0.1:9/hook") || strings.Contains(body, "example.com/site") {
		t.Error("the group's page should list its endpoint and not the site's")
	}
}

// From an audit entry a site admin reaches the deliveries of its events.
func TestAuditEntryLeadsToItsDeliveries(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	ctx := context.Background()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer recv.Close()
	admin := guildhall.ActorFor(app.Account(t, "ada@example.com", "Ada", testapp.SiteAdmin))
	app.Account(t, "mo@example.com", "Mo")
	if _, _, err := app.Services.Webhooks.CreateWebhook(ctx, admin, guildhall.NewWebhook{URL: recv.URL + "/hook", EventTypes: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	app.StartJobs(t)
	if _, err := app.Services.Groups.CreateGroup(ctx, admin, guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Public}, ""); err != nil {
		t.Fatal(err)
	}
	app.WaitJobs(t)

	ac := app.SignedIn(t, "ada@example.com")
	body := testapp.Body(app.Get(t, ac, "/admin/audit"))
	link := regexp.MustCompile(`href="(/admin/audit/\d+/deliveries)"`).FindStringSubmatch(body)
	if link == nil {
		t.Fatalf("the audit log links no deliveries:\n%s", body)
	}
	res := app.Get(t, ac, link[1])
	body = testapp.Body(res)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, recv.URL+"/hook") || !strings.Contains(body, "group.created") ||
		!strings.Contains(body, "<td>200</td>") {
		t.Fatalf("%s: %d\n%s", link[1], res.StatusCode, body)
	}
	if res := app.Get(t, app.SignedIn(t, "mo@example.com"), link[1]); res.StatusCode != http.StatusForbidden {
		t.Errorf("a member opens the deliveries of an audit entry: %d, want 403", res.StatusCode)
	}
}
