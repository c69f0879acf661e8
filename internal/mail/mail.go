// Package mail sends Guildhall's emails over SMTP with go-mail. It knows
// nothing of notifications: the job that sends one builds a Message and
// calls Send, and the queue retries it when Send fails.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Sender sends emails through one SMTP server.
type Sender struct {
	host     string
	port     int
	opts     []gomail.Option
	from     string
	security string
}

// Message is one email, plain text.
type Message struct {
	To      string
	Subject string
	Body    string
	// Unsubscribe is the signed one-click unsubscribe URL: it becomes the
	// List-Unsubscribe header, with List-Unsubscribe-Post (RFC 8058).
	Unsubscribe string
}

// New reads rawURL and from:
//
//	smtp://[user:pass@]host[:port]          STARTTLS when the server offers it, plain SMTP otherwise (port 25)
//	smtp+starttls://[user:pass@]host[:port] STARTTLS required (port 587)
//	smtps://[user:pass@]host[:port]         TLS from the first byte (port 465)
//
// tlsConfig, when not nil, replaces the default TLS settings (tests trust
// their own certificate with it).
func New(rawURL, from string, tlsConfig *tls.Config) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("GUILDHALL_SMTP_URL: want smtp://, smtp+starttls:// or smtps://host[:port]")
	}
	if from == "" {
		return nil, fmt.Errorf("GUILDHALL_MAIL_FROM is needed with GUILDHALL_SMTP_URL")
	}
	s := &Sender{host: u.Hostname(), from: from}
	port := 0
	switch u.Scheme {
	case "smtp":
		port, s.security = 25, "STARTTLS when offered"
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtp+starttls":
		port, s.security = 587, "STARTTLS required"
		s.opts = append(s.opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "smtps":
		port, s.security = 465, "TLS"
		s.opts = append(s.opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("GUILDHALL_SMTP_URL: unknown scheme %q (smtp, smtp+starttls or smtps)", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("GUILDHALL_SMTP_URL: bad port %q", p)
		}
	}
	s.port = port
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(30*time.Second))
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	}
	s.opts = append(s.opts, gomail.WithTLSConfig(tlsConfig))
	if u.User != nil {
		pass, _ := u.User.Password()
		s.opts = append(s.opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	if _, err := gomail.NewClient(s.host, s.opts...); err != nil {
		return nil, fmt.Errorf("GUILDHALL_SMTP_URL: %w", err)
	}
	if err := gomail.NewMsg().From(from); err != nil {
		return nil, fmt.Errorf("GUILDHALL_MAIL_FROM: %w", err)
	}
	return s, nil
}

// String describes the server for the log, without credentials.
func (s *Sender) String() string {
	return net.JoinHostPort(s.host, strconv.Itoa(s.port)) + " (" + s.security + ")"
}

// Send delivers m in one SMTP conversation.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to %s: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	if m.Unsubscribe != "" {
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail to %s: %w", m.To, err)
	}
	return nil
}
