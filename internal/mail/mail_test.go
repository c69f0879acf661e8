package mail

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"

	"guildhall/internal/mail/mailtest"
)

func TestNewReadsTheURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"smtp://mail.example.com", "mail.example.com:25 (STARTTLS when offered)"},
		{"smtp+starttls://u:p@mail.example.com", "mail.example.com:587 (STARTTLS required)"},
		{"smtps://mail.example.com:2465", "mail.example.com:2465 (TLS)"},
	} {
		s, err := New(tc.url, "Guildhall <noreply@example.com>", nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		if s.String() != tc.want {
			t.Errorf("%s = %s, want %s", tc.url, s, tc.want)
		}
	}
	for _, bad := range []string{"http://mail.example.com", "smtp://", "smtp://host:99999", "::"} {
		if _, err := New(bad, "noreply@example.com", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := New("smtp://host", "", nil); err == nil {
		t.Error("no sender accepted")
	}
}

// Each scheme talks to a real SMTP server the way it says: plain when the
// server offers no STARTTLS, STARTTLS when it does, TLS from the start.
func TestSendOverEachScheme(t *testing.T) {
	for _, tc := range []struct {
		scheme string
		mode   mailtest.Mode
	}{
		{"smtp", mailtest.Plain},
		{"smtp", mailtest.StartTLS},
		{"smtp+starttls", mailtest.StartTLS},
		{"smtps", mailtest.ImplicitTLS},
	} {
		srv := mailtest.Start(t, tc.mode)
		// Credentials go only over TLS: go-mail will not send them in the clear.
		creds := "ann:secret@"
		if tc.mode == mailtest.Plain {
			creds = ""
		}
		s, err := New(tc.scheme+"://"+creds+srv.Addr, "Guildhall <noreply@example.com>", &tls.Config{RootCAs: srv.RootCAs, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(context.Background(), Message{To: "bob@example.com", Subject: "Hello", Body: "Hi Bob",
			Unsubscribe: "http://127.0.0.1/unsubscribe?t=x"})
		if err != nil {
			t.Fatalf("%s over %v: %v", tc.scheme, tc.mode, err)
		}
		got := srv.Messages()
		if len(got) != 1 || got[0].To[0] != "bob@example.com" || !strings.Contains(got[0].Data, "Hi Bob") ||
			!strings.Contains(got[0].Data, "List-Unsubscribe: <http://127.0.0.1/unsubscribe?t=x>") ||
			!strings.Contains(got[0].Data, "List-Unsubscribe-Post: List-Unsubscribe=One-Click") {
			t.Errorf("%s over %v: the server got %+v", tc.scheme, tc.mode, got)
		}
		if creds != "" && got[0].User != "ann" {
			t.Errorf("%s over %v: signed in as %q", tc.scheme, tc.mode, got[0].User)
		}
		if got[0].TLS != (tc.mode != mailtest.Plain) {
			t.Errorf("%s over %v: TLS = %v", tc.scheme, tc.mode, got[0].TLS)
		}
	}
	// smtp+starttls refuses a server without STARTTLS.
	srv := mailtest.Start(t, mailtest.Plain)
	s, _ := New("smtp+starttls://"+srv.Addr, "noreply@example.com", nil)
	if err := s.Send(context.Background(), Message{To: "bob@example.com", Subject: "x", Body: "x"}); err == nil {
		t.Error("smtp+starttls sent in the clear")
	}
}
