package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"guildhall/internal/app"
	"guildhall/internal/guildhall"
	"guildhall/internal/postgres"
	"guildhall/web"
)

func serve(ctx context.Context, args []string, logger *slog.Logger) error {
	var c config
	fs := newFlagSet("serve")
	fs.StringVar(&c.Addr, "addr", envOr("GUILDHALL_ADDR", "127.0.0.1:8080"), "listen address")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", os.Getenv("GUILDHALL_TRUST_PROXY") == "true", "believe X-Forwarded-For/-Proto from a proxy in front")
	dbFlags(fs, &c)
	if err := parse(fs, args); err != nil {
		return err
	}
	db, closeDB, err := openDatabase(ctx, c, logger)
	if err != nil {
		return err
	}
	defer closeDB()

	services := postgres.NewServices(db, guildhall.DefaultPasswordHasher())
	if n, err := services.Accounts.CountAccounts(ctx); err == nil && n == 0 {
		logger.Info("no accounts yet; create the first site admin with: " + firstAdminHint(c))
	}
	cfg := app.WebConfig(db, services, logger)
	cfg.TrustProxy = c.TrustProxy
	srv := web.New(cfg)

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	go srv.Housekeeping(bg)

	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("Guildhall is serving at http://" + ln.Addr().String() + "/")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
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
