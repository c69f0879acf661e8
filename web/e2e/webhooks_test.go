package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"guildhall/internal/testapp"
	"guildhall/internal/webhooks"
)

// A site admin adds a webhook on /admin/webhooks, copies the secret shown
// once, sends a test event that the receiver verifies, redelivers it,
// disables and enables the endpoint, and deletes it.
func TestAdminWebhooksJourney(t *testing.T) {
	app := testapp.New(t)
	app.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin)
	app.StartJobs(t)

	var mu sync.Mutex
	var secret string
	verified := map[string]int{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if err := webhooks.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		verified[r.Header.Get("webhook-id")]++
		io.WriteString(w, "got it")
	}))
	defer recv.Close()

	b := newTab(t, app)
	b.signIn("ada@example.com")
	b.open("/admin/webhooks")
	b.waitText("No webhooks yet.")
	if !b.checked("All events") {
		t.Fatal(`"All events" should be the default choice`)
	}
	b.fill("URL", "ftp://nowhere")
	b.click("Add webhook")
	b.waitText("Give an http:// or https:// URL")

	b.fill("URL", recv.URL+"/hook")
	b.click("Add webhook")
	b.waitText("Its signing secret is shown only now")
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.getElementById('new-secret').innerText.trim()"))
	if err != nil || !strings.HasPrefix(got, "whsec_") {
		t.Fatalf("shown secret %q, %v", got, err)
	}
	mu.Lock()
	secret = got
	mu.Unlock()
	if n := b.count(row(recv.URL+"/hook") + "/td[normalize-space(.)='All events']"); n != 1 {
		t.Fatal("the table should list the endpoint with All events")
	}

	b.follow(recv.URL + "/hook")
	b.waitText("Nothing was delivered yet.")
	b.click("Send test event")
	b.waitText("Test event sent")
	app.WaitJobs(t)
	path, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("location.pathname"))
	if err != nil {
		t.Fatal(err)
	}
	b.open(path)
	b.waitText("webhook.test")
	if n := b.count(row("webhook.test") + "/td[normalize-space(.)='200']"); n != 1 {
		t.Fatal("the delivery log should show the test event answered 200")
	}
	b.waitText("got it")

	b.click("Redeliver")
	b.waitText("Redelivery queued")
	app.WaitJobs(t)
	b.open(path)
	b.do("wait for the second attempt", poll(`[...document.querySelectorAll("tr")].some(r => r.cells.length > 4 && r.cells[4].innerText.trim() === "2")`))
	mu.Lock()
	if len(verified) != 1 {
		t.Errorf("the receiver verified %v, want one event (twice, same webhook-id)", verified)
	}
	for _, n := range verified {
		if n != 2 {
			t.Errorf("the event arrived %d times, want 2 (sent, redelivered)", n)
		}
	}
	mu.Unlock()

	b.click("Disable")
	b.waitText("Webhook disabled")
	if b.count(button("Send test event")) != 0 || b.count(button("Enable")) != 1 {
		t.Fatal("a disabled endpoint offers Enable, not Send test event")
	}
	b.click("Enable")
	b.waitText("Webhook enabled.")
	b.click("Delete webhook")
	b.waitPath("/admin/webhooks")
	b.waitText("No webhooks yet.")
}
