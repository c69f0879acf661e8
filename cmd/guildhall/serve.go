package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"guildhall/app"
	"guildhall/internal/mail"
	"guildhall/web"
	"guildhall/web/api"
)

func serve(ctx context.Context, args []string, logger *slog.Logger) error {
	tuneGC()
	var c config
	fs := newFlagSet("serve")
	fs.StringVar(&c.Addr, "addr", envOr("GUILDHALL_ADDR", "127.0.0.1:8080"), "listen address")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", os.Getenv("GUILDHALL_TRUST_PROXY") == "true", "believe X-Forwarded-For/-Proto from a proxy in front")
	apiRate := fs.Float64("api-rate-limit", envFloat("GUILDHALL_API_RATE_LIMIT", float64(api.DefaultRateLimit)), "API calls a second one token may make on average")
	allowPrivate := fs.Bool("webhooks-allow-private", os.Getenv("GUILDHALL_WEBHOOKS_ALLOW_PRIVATE") == "true",
		"let webhook endpoints be on loopback, private and link-local addresses")
	apiBurst := fs.Int("api-burst", envInt("GUILDHALL_API_BURST", api.DefaultBurst), "API calls one token may make at once")
	smtpURL := fs.String("smtp-url", os.Getenv("GUILDHALL_SMTP_URL"), "SMTP server for email: smtp://, smtp+starttls:// or smtps://[user:pass@]host[:port]; empty keeps notifications in-app")
	mailFrom := fs.String("mail-from", os.Getenv("GUILDHALL_MAIL_FROM"), "the From address of email")
	baseURL := fs.String("base-url", os.Getenv("GUILDHALL_BASE_URL"), "where people reach Guildhall, for links in email (default http://ADDR)")
	metricsAddr := fs.String("metrics-addr", os.Getenv("GUILDHALL_METRICS_ADDR"), "serve Prometheus metrics at /metrics and Go profiles at /debug/pprof/ on this address (off when empty); keep it off the public network")
	shutdownTimeout := fs.Duration("shutdown-timeout", envDuration("GUILDHALL_SHUTDOWN_TIMEOUT", 20*time.Second), "how long in-flight requests may take to finish on shutdown")
	var proxies string
	fs.StringVar(&proxies, "trusted-proxies", os.Getenv("GUILDHALL_TRUSTED_PROXIES"),
		"comma-separated addresses or networks of every proxy in front; implies --trust-proxy")
	drainDelay := fs.Duration("drain-delay", envDuration("GUILDHALL_DRAIN_DELAY", 5*time.Second), "on shutdown, how long /readyz answers 503 while requests are still served, before the listener closes")
	dbConns := fs.Int("db-max-conns", envInt("GUILDHALL_DB_MAX_CONNS", 0), "most database connections this instance holds open at once (0: four per CPU, between 8 and 32)")
	dbFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	var sender *mail.Sender
	if *smtpURL != "" {
		var err error
		if sender, err = mail.New(*smtpURL, *mailFrom, nil); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	if *baseURL == "" {
		*baseURL = "http://" + c.Addr
	}
	if *shutdownTimeout <= 0 || *drainDelay < 0 {
		return errors.New("serve: --shutdown-timeout must be above 0 and --drain-delay not below 0")
	}
	if *dbConns < 0 {
		return errors.New("serve: --db-max-conns must not be below 0")
	}
	if *apiRate <= 0 || *apiBurst < 1 {
		return errors.New("serve: --api-rate-limit must be above 0 and --api-burst at least 1")
	}
	var err error
	if c.TrustedProxies, err = web.ParseProxies(proxies); err != nil {
		return fmt.Errorf("serve: --trusted-proxies: %w", err)
	}
	c.TrustProxy = c.TrustProxy || len(c.TrustedProxies) > 0
	db, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeDB()
	db.SetPoolSize(*dbConns)
	if sender != nil {
		logger.Info("email is on", "smtp", sender.String())
	} else {
		logger.Info("email is off: notifications stay in-app (set GUILDHALL_SMTP_URL and GUILDHALL_MAIL_FROM to send email)")
	}

	a := app.New(db, app.Config{Logger: logger, TrustProxy: c.TrustProxy, TrustedProxies: c.TrustedProxies, WebhooksAllowPrivate: *allowPrivate, Mail: sender, BaseURL: *baseURL,
		MetricsAddr: *metricsAddr, ShutdownTimeout: *shutdownTimeout, DrainDelay: *drainDelay, API: func(ac *api.Config) {
			ac.RateLimit, ac.Burst = rate.Limit(*apiRate), *apiBurst
		}})
	if n, err := a.Services.Accounts.CountAccounts(ctx); err == nil && n == 0 {
		logger.Info("no accounts yet; create the first site admin with: " + firstAdminHint(c))
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}

// firstAdminHint is the exact command that creates the first site admin.
func firstAdminHint(c config) string {
	cmd := os.Args[0]
	if !strings.Contains(cmd, "/") {
		cmd = "guildhall"
	}
	hint := cmd + " user add --email admin@example.com --name \"Site Admin\" --password-stdin --site-admin"
	if c.DatabaseURL != "" {
		hint += " --database-url '<the same DATABASE_URL>'"
	} else if c.DataDir != ".guildhall" {
		hint += fmt.Sprintf(" --data-dir %q", c.DataDir)
	}
	return hint + " (then type the password)"
}

// tuneGC lets the heap grow to five times what is live between
// collections (GOGC=400) unless GOGC is set. A server's live heap is small
// (a few megabytes: pages are rendered and sent, nothing is kept), so Go's
// default of GOGC=100 collects every few hundred requests and spends a
// tenth of the CPU of a directory page on it; GOMEMLIMIT, when set, still
// bounds the heap.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
