// Package web is Guildhall's HTTP side: routes, handlers and middleware for
// the dashboard and the API. Handlers parse input, call the service layer and
// render; every rule is decided by the services.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"guildhall/internal/guildhall"
)

// Config holds everything the server needs; package app builds it.
type Config struct {
	Logger         *slog.Logger
	Accounts       guildhall.AccountService
	Groups         guildhall.GroupService
	Settings       guildhall.SettingsService
	CreateRequests guildhall.CreateRequestService
	Audit          guildhall.AuditService
	Membership     guildhall.MembershipService
	Tokens         guildhall.TokenService
	Notifications  guildhall.NotificationService
	// EmailOn shows the email preferences on /profile (email is configured)
	// when Notifications also serves them.
	EmailOn bool
	// Email keeps email preferences and signs unsubscribe links.
	Email    guildhall.EmailPreferenceService
	Webhooks guildhall.WebhookService
	// API serves /api/v1/ (the JSON API); nil leaves it out.
	API      http.Handler
	Sessions *SessionStore
	// Ping reports whether the database answers (for /readyz).
	Ping func(ctx context.Context) error
	// TrustProxy makes the server believe X-Forwarded-For and
	// X-Forwarded-Proto (set it only behind a proxy that sets them).
	TrustProxy bool
	// TrustedProxies, when given, lists every proxy address or network in
	// front (the one that connects included): forwarding headers are believed
	// only from them, and their entries in X-Forwarded-For are skipped to
	// find the client. Empty trusts the one proxy in front.
	TrustedProxies []netip.Prefix
	// LoginLimits bounds sign-in attempts; zero values take defaults.
	LoginLimits LoginLimits
	// MigrationVersion reports the database's schema version for /readyz
	// (and, answering, that the database does); nil leaves it to Ping.
	MigrationVersion func(ctx context.Context) (int64, error)
	// Requests, when set, is told of every answered request (metrics).
	Requests RequestObserver
	// Limiter keeps the rate limits' buckets where every instance shares
	// them (postgres.Limiter); nil limits nothing.
	Limiter guildhall.Limiter
}

// RequestObserver learns of every answered request: its route pattern
// ("" when none matched), status and duration.
type RequestObserver interface {
	ObserveRequest(route string, status int, took time.Duration)
}

// Server is the HTTP handler of Guildhall.
type Server struct {
	Config
	// draining is set when shutdown begins: /readyz then answers 503 so a
	// load balancer stops sending before the listener closes.
	draining atomic.Bool
	logins   *loginLimiter
	handler  http.Handler
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{Config: cfg, logins: newLoginLimiter(cfg.LoginLimits, cfg.Limiter, cfg.Logger)}
	s.handler = s.middleware(s.routes())
	return s
}

// Drain makes /readyz answer 503 from now on; requests are still served.
func (s *Server) Drain() { s.draining.Store(true) }

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }
