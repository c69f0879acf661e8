package pgcluster

// The server process: a stale one stopped, a new one started with no TCP
// listener and waited for, and the database created.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// stopStale stops a server left running on this data directory by a
// previous process that did not shut it down.
func (c *Cluster) stopStale(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(c.pgData, "postmaster.pid")); err != nil {
		return nil
	}
	// pg_ctl status exits 0 when a server is running, 3 when not.
	if _, err := c.run(ctx, "pg_ctl", "status", "-D", c.pgData); err != nil {
		return nil
	}
	c.logger.Warn("pgcluster: stopping stale server left running on data directory", "pgdata", c.pgData)
	out, err := c.run(ctx, "pg_ctl", "stop", "-D", c.pgData, "-m", "fast", "-w", "-t", strconv.Itoa(pgctlTimeout))
	if err != nil {
		return fmt.Errorf("pgcluster: stop stale server on %s: %w\n%s", c.pgData, err, out)
	}
	return nil
}

// startServer runs pg_ctl start with no TCP listener and the socket in
// socketDir. pg_ctl hands -o to a shell, hence the quoting.
func (c *Cluster) startServer(ctx context.Context) error {
	var logOffset int64
	if fi, err := os.Stat(c.logFile); err == nil {
		logOffset = fi.Size()
	}
	opts := []string{
		"-p", strconv.Itoa(socketPort),
		"-c", "listen_addresses=''",
		"-c", shellQuote("unix_socket_directories=" + c.socketDir),
		"-c", "unix_socket_permissions=0700",
		"-c", "max_connections=200",
	}
	if c.noSync {
		opts = append(opts, "-c", "fsync=off")
	} else {
		opts = append(opts, "-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on")
	}
	out, err := c.run(ctx, "pg_ctl", "start", "-D", c.pgData, "-w", "-t", strconv.Itoa(pgctlTimeout),
		"-l", c.logFile, "-o", strings.Join(opts, " "))
	if err == nil {
		return nil
	}
	logTail := readFrom(c.logFile, logOffset)
	// pg_ctl may have given up waiting while the server still came up.
	_, _ = c.run(context.Background(), "pg_ctl", "stop", "-D", c.pgData, "-m", "immediate", "-w", "-t", "10")
	return fmt.Errorf("pgcluster: pg_ctl start: %w\n%s\nserver log %s:\n%s", err, out, c.logFile, logTail)
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// waitReady polls the server until it accepts connections.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer db.Close()
	for {
		pingCtx, pingCancel := context.WithTimeout(ctx, 2*time.Second)
		err = db.PingContext(pingCtx)
		pingCancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: server on socket %s did not accept connections: %w (last error: %v)\nserver log %s:\n%s",
				c.socketDir, ctx.Err(), err, c.logFile, readFrom(c.logFile, 0))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// createDatabase creates database name unless it already exists.
func (c *Cluster) createDatabase(ctx context.Context, name string) error {
	if name == "" {
		return nil
	}
	db, err := sql.Open("postgres", c.URL("postgres"))
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("pgcluster: check database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return fmt.Errorf("pgcluster: create database %q: %w", name, err)
	}
	return nil
}
