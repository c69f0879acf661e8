package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// The Standard Webhooks specification's own example signs to this value.
func TestSignMatchesStandardWebhooks(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Sign = %q, %v", got, err)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,other "+got)
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0), 5*time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := Verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 1}`), time.Unix(1614265330, 0), 5*time.Minute); err == nil {
		t.Error("Verify accepted a changed body")
	}
}

func TestPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:2800:220:1::": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::1": false, "100.64.0.1": false, "0.0.0.0": false,
		"::ffff:127.0.0.1": false, "224.0.0.1": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}

// Registration refuses URLs that lead inside; with AllowPrivate they pass.
func TestGuardRefusesPrivateURLs(t *testing.T) {
	ctx := context.Background()
	for _, u := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "https://10.0.0.7/"} {
		err := (&Guard{}).CheckURL(ctx, u)
		var ve *guildhall.ValidationError
		if !errors.As(err, &ve) || ve.For("url") == "" {
			t.Errorf("CheckURL(%s) = %v, want a refusal naming url", u, err)
		}
		if err := (&Guard{AllowPrivate: true}).CheckURL(ctx, u); err != nil {
			t.Errorf("allowed private: CheckURL(%s) = %v", u, err)
		}
	}
}

// The dial-time check stops a connection to a private address whatever the
// name resolved to when the endpoint was registered (DNS rebinding).
func TestGuardChecksAtDialTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	_, err := (&Guard{}).Client().Get(srv.URL)
	if !errors.Is(err, errPrivate) {
		t.Errorf("GET %s through the guard: %v, want refused as private", srv.URL, err)
	}
	res, err := (&Guard{AllowPrivate: true}).Client().Get(srv.URL)
	if err != nil {
		t.Fatalf("allowed private: %v", err)
	}
	res.Body.Close()
}

func TestBackoffSpansAboutADay(t *testing.T) {
	var total time.Duration
	for n := 1; n < MaxAttempts; n++ {
		d := Backoff(n)
		if d <= 0 || d > 5*time.Hour {
			t.Errorf("Backoff(%d) = %s", n, d)
		}
		total += d
	}
	if total < 18*time.Hour || total > 30*time.Hour {
		t.Errorf("the attempts span %s, want about a day", total)
	}
}
