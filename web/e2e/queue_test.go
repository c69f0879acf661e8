package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// Every queue selects a whole page at once, says how long each request has
// waited (the exact time on hover), and after a bulk decision names what it
// skipped and why.
func TestQueueSelectAllWaitedAndSkippedSummary(t *testing.T) {
	w := newJoinWorld(t)
	owner := w.account(t, "Olga Owner")
	g := w.group(t, owner, "Tidy Tables", guildhall.Private, nil)
	ann, ben := w.account(t, "Ann Archer"), w.account(t, "Ben Baker")
	for _, a := range []*guildhall.Account{ann, ben, w.account(t, "Cid Cooper")} {
		w.request(t, a, g)
	}
	if _, err := w.app.DB.ExecContext(context.Background(),
		`UPDATE join_requests SET created_at = now() - interval '3 days 2 hours' WHERE account_id = $1`, ann.ID); err != nil {
		t.Fatal(err)
	}

	o := w.signedIn(t, owner)
	o.open("/groups/" + g.Slug + "/requests")
	o.waitCount(row("Ann Archer")+"//time[normalize-space(.)='3 days' and @datetime and contains(@title, 'UTC')]", 1)
	o.waitCount(row("Cid Cooper")+"//time[normalize-space(.)='just now']", 1)

	// Ben cancels while the page is open: selecting the whole page then
	// decides the others and says Ben was skipped.
	if _, err := w.app.Services.Membership.CancelJoinRequest(context.Background(), guildhall.ActorFor(ben), g.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	o.toggle("Select all on this page")
	if !o.checked("Ann Archer") || !o.checked("Ben Baker") || !o.checked("Cid Cooper") {
		t.Fatal("Select all on this page left rows unchecked")
	}
	o.toggle("Ben Baker")
	if o.checked("Select all on this page") {
		t.Fatal("Select all on this page stays checked with a row unchecked")
	}
	o.toggle("Ben Baker")
	o.click("Approve selected")
	o.waitText("Approved “Cid Cooper”, “Ann Archer”.")
	o.waitText("Skipped “Ben Baker”: already decided.")
	o.waitText("No join requests are waiting.")

	// Without JavaScript, the same box decides every row of the page, and
	// an id that matches nothing is named as not found.
	dan := w.account(t, "Dan Dover")
	w.request(t, dan, g)
	c := w.app.SignedIn(t, owner.Email)
	res := w.app.PostForm(t, c, "/groups/"+g.Slug+"/requests/decide?status=PENDING", url.Values{
		"action": {"reject"}, "all": {"page"}, "onpage": {dan.ID, "00000000-0000-0000-0000-000000000000"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("decide all without JavaScript: %d\n%s", res.StatusCode, testapp.Body(res))
	}
	body := testapp.Body(w.app.Get(t, c, "/groups/"+g.Slug+"/requests?status=PENDING"))
	for _, want := range []string{"Rejected “Dan Dover”.", "Skipped 1 request: not found."} {
		if !strings.Contains(body, want) {
			t.Errorf("the page after deciding lacks %q:\n%s", want, body)
		}
	}
	if got := w.pending(t, g); len(got) != 0 {
		t.Fatalf("still pending: %v", got)
	}
}
