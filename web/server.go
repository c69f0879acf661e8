// Package web is Guildhall's HTTP side: routes, handlers and middleware for
// the dashboard and the API. Handlers parse input, call the service layer and
// render; every rule is decided by the services.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"guildhall/internal/guildhall"
)

// Config holds everything the server needs; cmd builds it.
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
	// LoginLimits bounds sign-in attempts; zero values take defaults.
	LoginLimits LoginLimits
}

// Server is the HTTP handler of Guildhall.
type Server struct {
	Config
	logins  *loginLimiter
	handler http.Handler
}

// New builds the server and its routes.
func New(cfg Config) *Server {
	s := &Server{Config: cfg, logins: newLoginLimiter(cfg.LoginLimits)}
	s.handler = s.middleware(s.routes())
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Housekeeping forgets idle rate limiters until ctx ends. (Expired sessions
// are deleted by a periodic job of the durable queue, app/jobs.go.)
func (s *Server) Housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		s.logins.sweep(time.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
