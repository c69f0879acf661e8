// Package mailtest runs a real SMTP server (emersion/go-smtp) on
// 127.0.0.1 for tests, and keeps what arrives so a test can read it.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mode is how the server secures its connections.
type Mode int

// The modes.
const (
	// Plain offers no STARTTLS.
	Plain Mode = iota
	// StartTLS offers STARTTLS.
	StartTLS
	// ImplicitTLS speaks TLS from the first byte (smtps).
	ImplicitTLS
)

// Message is one email as the server received it.
type Message struct {
	From string
	To   []string
	// Data is the message as sent: headers, blank line, body.
	Data string
	// TLS reports whether it came over an encrypted connection.
	TLS bool
	// User is who authenticated ("" when no one did).
	User string
}

// Server is a running SMTP server.
type Server struct {
	// Addr is host:port.
	Addr string
	// RootCAs trusts the server's certificate (for 127.0.0.1).
	RootCAs *x509.CertPool

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
	// fail makes the next n deliveries fail with a temporary error.
	fail int
}

// Start runs a server in mode until the test ends. It accepts any
// credentials over PLAIN.
func Start(t testing.TB, mode Mode) *Server {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &Server{RootCAs: pool, arrived: make(chan struct{}, 1000)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	var ln net.Listener
	var err error
	switch mode {
	case Plain:
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case StartTLS:
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	case ImplicitTLS:
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }() // returns when Cleanup closes it
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// FailNext makes the next n deliveries fail with a temporary error, as a
// server that is busy would.
func (s *Server) FailNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until at least n messages arrived (at most a minute) and
// returns them.
func (s *Server) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("%d messages arrived, want %d", len(s.Messages()), n)
		}
	}
}

type session struct {
	s    *Server
	conn *smtp.Conn
	msg  Message
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, _ string) error {
		x.msg.User = user
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.msg.From = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.fail > 0 {
		x.s.fail--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
	}
	m := x.msg
	m.Data = string(data)
	_, m.TLS = x.conn.TLSConnectionState()
	x.s.messages = append(x.s.messages, m)
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.msg = Message{User: x.msg.User} }
func (x *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}
