package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"guildhall/internal/pgcluster"
	"guildhall/internal/postgres"
)

// config is every setting, from flags or the environment (flags win).
type config struct {
	Addr        string
	DatabaseURL string
	DataDir     string
	TrustProxy  bool
	// TrustedProxies are the proxies in front (--trusted-proxies).
	TrustedProxies []netip.Prefix
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envFloat and envInt read a number from the environment, def when unset
// or not a number (the flag's own parsing then reports a bad flag value).
func envFloat(name string, def float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if v, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// dbFlags registers the flags every command that reaches the database shares.
func dbFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL; empty runs a private cluster in --data-dir")
	fs.StringVar(&c.DataDir, "data-dir", envOr("GUILDHALL_DATA_DIR", ".guildhall"), "where the private PostgreSQL cluster and generated secrets live")
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %w", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// openDatabase connects to DatabaseURL, or starts the private cluster when it
// is empty, and applies pending migrations. close stops whatever it started.
func openDatabase(ctx context.Context, c config, logger *slog.Logger) (db *postgres.DB, close func(), err error) {
	url, stopCluster, err := databaseURL(ctx, c, logger)
	if err != nil {
		return nil, nil, err
	}
	db, err = postgres.Open(ctx, url)
	if err != nil {
		stopCluster()
		return nil, nil, err
	}
	n, err := postgres.Migrate(ctx, db.DB.DB)
	if err != nil {
		db.Close()
		stopCluster()
		return nil, nil, err
	}
	if n > 0 {
		logger.Info("applied migrations", "count", n)
	}
	return db, func() { db.Close(); stopCluster() }, nil
}

// databaseURL is DatabaseURL, or the URL of the private cluster in DataDir,
// which it starts (or attaches to, when another guildhall process runs it).
// stop stops what it started.
func databaseURL(ctx context.Context, c config, logger *slog.Logger) (url string, stop func(), err error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, func() {}, nil
	}
	cluster, err := startCluster(ctx, c, logger)
	if err != nil {
		return "", nil, err
	}
	return cluster.URL("guildhall"), func() {
		if err := cluster.Stop(); err != nil {
			logger.Error("stop private PostgreSQL", "err", err)
		}
	}, nil
}

// startCluster starts (or attaches to) the private cluster in DataDir.
func startCluster(ctx context.Context, c config, logger *slog.Logger) (*pgcluster.Cluster, error) {
	dir, err := filepath.Abs(c.DataDir)
	if err != nil {
		return nil, err
	}
	if _, err := pgcluster.FindBinDir(); err != nil {
		return nil, err
	}
	cluster, err := pgcluster.Start(ctx, pgcluster.Config{DataDir: dir, DBName: "guildhall", Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("start private PostgreSQL in %s: %w", dir, err)
	}
	return cluster, nil
}
