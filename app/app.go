// Package app assembles Guildhall, in this one place: from an open database
// and a Config it builds the services, the JSON API and the web server, and
// runs them. cmd/guildhall serves what it builds; internal/testapp starts the
// very same assembly for tests. Something new that lives as long as the
// server (a job queue client, metrics) is built in New and started or
// stopped in Serve.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strings"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/internal/jobs"
	"guildhall/internal/mail"
	"guildhall/internal/metrics"
	"guildhall/internal/postgres"
	"guildhall/internal/webhooks"
	"guildhall/web"
	"guildhall/web/api"
)

// Config is what Guildhall is assembled from, beside its database.
type Config struct {
	Logger *slog.Logger
	// Hasher hashes passwords; nil takes guildhall.DefaultPasswordHasher.
	Hasher *guildhall.PasswordHasher
	// TrustProxy makes the server believe X-Forwarded-For and
	// X-Forwarded-Proto (set it only behind a proxy that sets them).
	TrustProxy bool
	// TrustedProxies lists the proxies in front (web.Config.TrustedProxies).
	TrustedProxies []netip.Prefix
	// ShutdownTimeout bounds how long Serve waits for in-flight requests
	// once its context ends; zero means 20 s.
	ShutdownTimeout time.Duration
	// DrainDelay is how long Serve keeps serving, with /readyz answering
	// 503, between its context ending and the listener closing: time for a
	// load balancer's health check to take this instance out.
	DrainDelay time.Duration
	// MetricsAddr, when set, serves Prometheus metrics at /metrics on this
	// address, apart from the public listener.
	MetricsAddr string
	// Web and API, when set, change the web server's and the API's
	// configuration before they are built (tests tighten limits this way).
	Web func(*web.Config)
	API func(*api.Config)
	// WebhooksAllowPrivate lets webhook endpoints be on loopback, private
	// and link-local addresses (--webhooks-allow-private; tests need it).
	WebhooksAllowPrivate bool
	// Mail sends email; nil keeps notifications in-app only.
	Mail *mail.Sender
	// BaseURL is where people reach Guildhall (links in emails), e.g.
	// https://groups.example.org, without a trailing slash.
	BaseURL string
}

// App is Guildhall assembled over one database.
type App struct {
	// Metrics holds the Prometheus registry Serve exposes on MetricsAddr.
	Metrics  *metrics.Metrics
	DB       *postgres.DB
	Services *postgres.Services
	// Server serves the dashboard with the API mounted at /api/v1/.
	Server *web.Server
	config Config
	jobs   *jobs.Registry
}

// New builds the services over db, then the API and the web server over the
// services.
func New(db *postgres.DB, c Config) *App {
	if c.Hasher == nil {
		c.Hasher = guildhall.DefaultPasswordHasher()
	}
	db.Mail = c.Mail != nil
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	s := postgres.NewServices(db, c.Hasher)
	guard := &webhooks.Guard{AllowPrivate: c.WebhooksAllowPrivate}
	s.Webhooks.SetGuard(guard)

	apiCfg := api.Config{
		Logger: c.Logger, Accounts: s.Accounts, Groups: s.Groups, Settings: s.Settings,
		CreateRequests: s.CreateRequests, Membership: s.Membership, Tokens: s.Tokens, Notifications: s.Notifications,
		Webhooks: s.Webhooks,
	}
	if c.API != nil {
		c.API(&apiCfg)
	}
	webCfg := web.Config{
		Logger:         c.Logger,
		Accounts:       s.Accounts,
		Groups:         s.Groups,
		Settings:       s.Settings,
		CreateRequests: s.CreateRequests,
		Audit:          s.Audit,
		Membership:     s.Membership,
		Tokens:         s.Tokens,
		Notifications:  s.Notifications,
		Webhooks:       s.Webhooks,
		API:            api.New(apiCfg),
		Sessions:       web.NewSessionStore(postgres.NewSessionRows(db)),
		Ping:           db.PingContext,
		TrustProxy:     c.TrustProxy,
		TrustedProxies: c.TrustedProxies,
		EmailOn:        c.Mail != nil,
		Email:          s.Notifications,
		Limiter:        s.Limits,
	}
	m := metrics.New(db.DB.DB, func(ctx context.Context) (metrics.Counts, error) {
		g, err := db.SiteGauges(ctx)
		return metrics.Counts(g), err
	})
	webCfg.Requests = m
	webCfg.MigrationVersion = func(ctx context.Context) (int64, error) { return postgres.MigrationVersion(ctx, db.DB.DB) }
	if c.Web != nil {
		c.Web(&webCfg)
	}
	return &App{Metrics: m, DB: db, Services: s, Server: web.New(webCfg), config: c, jobs: registerJobs(db, s, guard, c)}
}

// Serve serves HTTP on ln, with the background work beside it, until ctx
// ends; then it lets in-flight requests finish within the shutdown timeout.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	logger := a.config.Logger
	hs := &http.Server{
		Handler:           a.Server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	queue, err := a.StartJobs(bg, 0)
	if err != nil {
		return err
	}

	errc := make(chan error, 2)
	if a.config.MetricsAddr != "" {
		ms, err := a.serveMetrics(errc)
		if err != nil {
			return err
		}
		defer func() {
			if err := ms.Close(); err != nil {
				logger.Warn("close the metrics server", "err", err)
			}
		}()
	}
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("Guildhall is serving at http://" + ln.Addr().String() + "/")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Server.Drain()
	if d := a.config.DrainDelay; d > 0 {
		logger.Info("shutting down: /readyz answers 503; still serving while the load balancer notices", "drain_delay", d)
		select {
		case <-time.After(d):
		case err := <-errc:
			return err
		}
	}
	logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cmp.Or(a.config.ShutdownTimeout, 20*time.Second))
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Jobs still running at the deadline are canceled; their rows stay in
	// the queue and this instance restarted, or another, works them again.
	if err := queue.Stop(shutdownCtx); err != nil {
		logger.Warn("stop job queue", "err", err)
	}
	logger.Info("stopped")
	return nil
}

// serveMetrics serves /metrics (and /debug/pprof/) on MetricsAddr; a failure to serve lands in
// errc.
func (a *App) serveMetrics(errc chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", a.config.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	// Go's profiles, for an operator chasing where time goes
	// (`go tool pprof http://ADDR/debug/pprof/profile`); the metrics
	// address is kept off the public network.
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := ms.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	a.config.Logger.Info("metrics at http://" + ln.Addr().String() + "/metrics")
	return ms, nil
}
