package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/mail"
	"guildhall/internal/mail/mailtest"
	"guildhall/internal/testapp"
)

// Emails go through the job queue to a real SMTP server: the first new
// request of a batch at once, the rest in the digest; decisions at once
// with a working one-click unsubscribe; a refused delivery is retried.
func TestNotificationEmails(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Plain)
	sender, err := mail.New("smtp://"+srv.Addr, "Guildhall <noreply@example.com>", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := testapp.NewWithMail(t, sender)
	a.StartJobs(t)
	ctx := context.Background()
	olga := a.Account(t, "olga@example.com", "Olga", testapp.SiteAdmin)
	ann := a.Account(t, "ann@example.com", "Ann")
	bob := a.Account(t, "bob@example.com", "Bob")
	c, err := a.Services.Groups.CreateGroup(ctx, guildhall.ActorFor(olga), guildhall.GroupInput{Name: "Hiking Club", Privacy: guildhall.Private}, "")
	if err != nil {
		t.Fatal(err)
	}
	g := c.Group
	for _, p := range []*guildhall.Account{ann, bob} {
		if _, err := a.Services.Membership.Join(ctx, guildhall.ActorFor(p), g.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	a.WaitJobs(t)
	got := srv.Wait(t, 1)
	if len(got) != 1 || got[0].To[0] != "olga@example.com" || !regexp.MustCompile(`Subject: [12] new requests? to join Hiking Club`).MatchString(got[0].Data) {
		t.Fatalf("after two requests the server got %d emails: %+v", len(got), got)
	}

	// Ann's approval reaches her at once, with a one-click unsubscribe.
	if _, err := a.Services.Membership.ApproveJoinRequests(ctx, guildhall.ActorFor(olga), g.ID, []string{ann.ID}); err != nil {
		t.Fatal(err)
	}
	got = srv.Wait(t, 2)
	mailToAnn := got[1]
	if mailToAnn.To[0] != "ann@example.com" || !strings.Contains(mailToAnn.Data, "Subject: Your request to join Hiking Club was approved") ||
		!strings.Contains(mailToAnn.Data, "List-Unsubscribe-Post: List-Unsubscribe=One-Click") {
		t.Fatalf("email to Ann:\n%s", mailToAnn.Data)
	}
	link := regexp.MustCompile(`List-Unsubscribe:\s*<([^>]+)>`).FindStringSubmatch(mailToAnn.Data)
	if link == nil || !strings.HasPrefix(link[1], a.URL+"/unsubscribe?t=") {
		t.Fatalf("no unsubscribe link to this server in:\n%s", mailToAnn.Data)
	}
	res, err := http.PostForm(link[1], url.Values{"List-Unsubscribe": {"One-Click"}})
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %v %v", res, err)
	}
	prefs, err := a.Services.Notifications.EmailPreferences(ctx, guildhall.ActorFor(ann))
	if err != nil || prefs[guildhall.TopicDecisions] != guildhall.EmailOff || prefs[guildhall.TopicAdded] != guildhall.EmailAtOnce {
		t.Fatalf("Ann's preferences after unsubscribing: %v %v", prefs, err)
	}
	if res, _ := http.Get(strings.Replace(link[1], "t=", "t=x", 1)); res.StatusCode != http.StatusNotFound {
		t.Errorf("a forged link answers %d", res.StatusCode)
	}

	// Bob's rejection: the server refuses once, the queue tries again.
	srv.FailNext(1)
	if _, err := a.Services.Membership.RejectJoinRequests(ctx, guildhall.ActorFor(olga), g.ID,
		[]guildhall.MemberRejection{{AccountID: bob.ID, Reason: "Full for this season."}}); err != nil {
		t.Fatal(err)
	}
	a.WaitJobs(t)
	if _, err := jobs.RetryNow(ctx, a.DB.DB.DB); err != nil { // do not wait out a longer backoff
		t.Fatal(err)
	}
	got = srv.Wait(t, 3)
	var retried int
	if err := a.DB.GetContext(ctx, &retried, `SELECT count(*) FROM river_job WHERE kind = 'notification_email' AND attempt = 2 AND state = 'completed'`); err != nil || retried != 1 {
		t.Errorf("%d emails delivered on a second attempt, want 1 (%v)", retried, err)
	}
	if got[2].To[0] != "bob@example.com" || !strings.Contains(got[2].Data, "Full for this season.") {
		t.Fatalf("email to Bob:\n%s", got[2].Data)
	}

	// The second request went to Olga's digest.
	if n, err := a.Services.Notifications.QueueDigests(ctx); err != nil || n != 1 {
		t.Fatalf("queued %d digests: %v", n, err)
	}
	got = srv.Wait(t, 4)
	if got[3].To[0] != "olga@example.com" || !strings.Contains(got[3].Data, "daily digest") ||
		!strings.Contains(got[3].Data, "2 new requests to join Hiking Club") {
		t.Fatalf("digest:\n%s", got[3].Data)
	}
	if n, _ := a.Services.Notifications.QueueDigests(ctx); n != 0 {
		t.Errorf("a second digest run queued %d", n)
	}
	a.WaitJobs(t)
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("%d emails in all, want 4", n)
	}
}

// With email configured, /profile offers the choices per kind and saves
// them with the profile.
func TestProfileEmailPreferences(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Plain)
	sender, err := mail.New("smtp://"+srv.Addr, "noreply@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	a := testapp.NewWithMail(t, sender)
	ann := a.Account(t, "ann@example.com", "Ann")
	c := a.SignedIn(t, "ann@example.com")
	body := testapp.Body(a.Get(t, c, "/profile"))
	for _, want := range []string{"New requests to decide", ">Daily digest</label>", ">At once</label>", ">Off</label>",
		`name="email.decisions" value="AT_ONCE" checked`} {
		if !strings.Contains(body, want) {
			t.Errorf("/profile lacks %q", want)
		}
	}
	res := a.PostForm(t, c, "/profile", url.Values{"displayName": {"Ann"}, "publicProfile": {"on"},
		"email.requests": {"DIGEST"}, "email.decisions": {"OFF"}, "email.added": {"AT_ONCE"}, "email.reminders": {"AT_ONCE"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", res.StatusCode, testapp.Body(res))
	}
	prefs, err := a.Services.Notifications.EmailPreferences(context.Background(), guildhall.ActorFor(ann))
	if err != nil || prefs[guildhall.TopicRequests] != guildhall.EmailDigest || prefs[guildhall.TopicDecisions] != guildhall.EmailOff {
		t.Errorf("saved %v %v", prefs, err)
	}
	// A bad choice is named beside its kind, and nothing is saved: not the
	// display name beside it, not the other choices.
	res = a.PostForm(t, c, "/profile", url.Values{"displayName": {"AnnX"}, "email.requests": {"SOMETIMES"}, "email.decisions": {"DIGEST"}})
	body = testapp.Body(res)
	if res.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `<p class="field-error" id="email-requests-error">Choose Off, At once or Daily digest.</p>`) {
		t.Errorf("a bad choice: %d, want 422 naming it\n%s", res.StatusCode, body)
	}
	if acct, err := a.Services.Accounts.AccountByID(context.Background(), ann.ID); err != nil || acct.DisplayName != "Ann" {
		t.Errorf("a refused save changed the display name: %+v %v", acct, err)
	}
	prefs, err = a.Services.Notifications.EmailPreferences(context.Background(), guildhall.ActorFor(ann))
	if err != nil || prefs[guildhall.TopicRequests] != guildhall.EmailDigest || prefs[guildhall.TopicDecisions] != guildhall.EmailOff {
		t.Errorf("a refused save changed the choices: %v %v", prefs, err)
	}

	// Without email there is nothing to choose.
	b := testapp.New(t)
	b.Account(t, "bea@example.com", "Bea")
	if body := testapp.Body(b.Get(t, b.SignedIn(t, "bea@example.com"), "/profile")); strings.Contains(body, "Daily digest") {
		t.Error("/profile offers email choices with no email configured")
	}
}
