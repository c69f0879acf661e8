package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/testapp"
)

// receiver is a webhook endpoint as a subscriber would write it: it checks
// every delivery's signature on its own (no Guildhall code) and counts what
// it accepted by webhook-id.
type receiver struct {
	t    *testing.T
	addr string
	srv  *http.Server

	mu     sync.Mutex
	secret string
	status int
	got    map[string]int
	types  map[string]string
	bodies map[string]map[string]any
	forged int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, status: http.StatusOK, got: map[string]int{}, types: map[string]string{}, bodies: map[string]map[string]any{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.serve(ln)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/hook" }

func (r *receiver) serve(ln net.Listener) {
	r.srv = &http.Server{Handler: http.HandlerFunc(r.handle)}
	go r.srv.Serve(ln)
	r.t.Cleanup(func() { r.srv.Close() })
}

// down stops listening: deliveries meet a refused connection.
func (r *receiver) down() { r.srv.Close() }

// up listens again on the same address.
func (r *receiver) up() {
	ln, err := net.Listen("tcp", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.serve(ln)
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }
func (r *receiver) answer(code int)    { r.mu.Lock(); r.status = code; r.mu.Unlock() }

func (r *receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ts := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(req.Header.Get("webhook-signature")), []byte(want)) {
		r.forged++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if r.status/100 == 2 {
		var doc map[string]any
		_ = json.Unmarshal(body, &doc)
		r.got[id]++
		r.types[id], _ = doc["type"].(string)
		r.bodies[id] = doc
	}
	w.WriteHeader(r.status)
	io.WriteString(w, "thanks")
}

// exactlyOnce checks that every event in the database was accepted once.
func (r *receiver) exactlyOnce(a *testapp.App) {
	r.t.Helper()
	var ids []string
	if err := a.DB.SelectContext(context.Background(), &ids, `SELECT id FROM events`); err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.forged > 0 {
		r.t.Errorf("%d deliveries failed the signature check", r.forged)
	}
	if len(ids) == 0 || len(r.got) != len(ids) {
		r.t.Errorf("received %d distinct events, want all %d", len(r.got), len(ids))
	}
	for _, id := range ids {
		if r.got[id] != 1 {
			r.t.Errorf("event %s (%s) accepted %d times, want once", id, r.types[id], r.got[id])
		}
	}
}

type site struct {
	*testapp.App
	admin guildhall.Actor
	hook  *guildhall.Webhook
}

func newSite(t *testing.T, recv *receiver) *site {
	a := testapp.New(t)
	admin := guildhall.ActorFor(a.Account(t, "ada@example.com", "Ada Admin", testapp.SiteAdmin))
	hook, secret, err := a.Services.Webhooks.CreateWebhook(context.Background(), admin,
		guildhall.NewWebhook{URL: recv.URL(), EventTypes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	recv.setSecret(secret)
	return &site{App: a, admin: admin, hook: hook}
}

// changes makes n groups, each raising group.created.
func (s *site) changes(t *testing.T, prefix string, n int) {
	for i := range n {
		_, err := s.Services.Groups.CreateGroup(context.Background(), s.admin,
			guildhall.GroupInput{Name: prefix + " " + string(rune('A'+i)), Privacy: guildhall.Public}, "")
		if err != nil {
			t.Fatal(err)
		}
	}
}

func retryNow(t *testing.T, a *testapp.App) {
	if _, err := jobs.RetryNow(context.Background(), a.DB.DB.DB); err != nil {
		t.Fatal(err)
	}
}

// A receiver that is down and comes back, with Guildhall restarted in
// between: every event arrives exactly once, signed, and the log shows the
// failed attempt and the one that succeeded.
func TestDeliveriesSurviveReceiverDownAndRestart(t *testing.T) {
	recv := newReceiver(t)
	s := newSite(t, recv)
	stop := s.StartJobs(t)
	recv.down()
	s.changes(t, "Down", 3)
	s.WaitJobs(t) // first attempts made, refused, retries scheduled

	stop() // Guildhall stops with the deliveries pending
	recv.up()
	restarted := s.Another(t)
	restarted.StartJobs(t)
	retryNow(t, s.App)
	s.WaitJobs(t)
	recv.exactlyOnce(s.App)

	log, err := s.Services.Webhooks.Deliveries(context.Background(), s.admin, s.hook.ID, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	var failed, succeeded int
	for _, d := range log.Items {
		switch {
		case d.Succeeded && d.Attempt == 2 && *d.StatusCode == 200 && d.ResponseExcerpt == "thanks":
			succeeded++
		case !d.Succeeded && d.Attempt == 1 && d.StatusCode == nil && d.Error != "":
			failed++
		}
	}
	if failed != 3 || succeeded != 3 {
		t.Errorf("delivery log has %d refused first attempts and %d successful second ones, want 3 and 3: %+v", failed, succeeded, log.Items)
	}
	var body map[string]any
	for _, b := range recv.bodies {
		body = b
	}
	data, _ := body["data"].(map[string]any)
	group, _ := data["group"].(map[string]any)
	actor, _ := data["actor"].(map[string]any)
	if body["type"] != "group.created" || body["timestamp"] == nil || group["slug"] == nil || actor["displayName"] != "Ada Admin" {
		t.Errorf("body %v: want type, timestamp, data.group as the API shows it and data.actor", body)
	}
}

// Two instances on one database: each event is delivered once.
func TestTwoInstancesDeliverOnce(t *testing.T) {
	recv := newReceiver(t)
	s := newSite(t, recv)
	s.StartJobs(t)
	s.Another(t).StartJobs(t)
	s.changes(t, "Twice", 12)
	s.WaitJobs(t)
	recv.exactlyOnce(s.App)
}

// An endpoint that has failed every delivery for a day is disabled, and
// its page says why; a redelivery is then refused until it is enabled.
func TestEndpointFailingForADayIsDisabled(t *testing.T) {
	recv := newReceiver(t)
	recv.answer(http.StatusInternalServerError)
	s := newSite(t, recv)
	s.StartJobs(t)
	s.changes(t, "Failing", 1)
	s.WaitJobs(t)
	ctx := context.Background()
	s.DB.MustExecContext(ctx, `UPDATE webhooks SET failing_since = now() - interval '25 hours'`)
	retryNow(t, s.App)
	s.WaitJobs(t)

	w, err := s.Services.Webhooks.Webhook(ctx, s.admin, s.hook.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w.Enabled || !strings.Contains(w.DisabledReason, "failed for a day") || !strings.Contains(w.DisabledReason, "HTTP 500") {
		t.Fatalf("endpoint enabled %v, reason %q: want disabled after a day of HTTP 500", w.Enabled, w.DisabledReason)
	}
	log, err := s.Services.Webhooks.Deliveries(ctx, s.admin, s.hook.ID, 10, 0)
	if err != nil || len(log.Items) != 2 || *log.Items[0].StatusCode != 500 || log.Items[0].ResponseExcerpt != "thanks" {
		t.Fatalf("log %+v (%v): want two attempts answered 500", log, err)
	}
	err = s.Services.Webhooks.Redeliver(ctx, s.admin, s.hook.ID, log.Items[0].ID)
	if !errors.Is(err, guildhall.ErrFailedPrecondition) {
		t.Errorf("redeliver to a disabled endpoint: %v, want refused", err)
	}
}
