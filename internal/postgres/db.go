// Package postgres implements Guildhall's services over PostgreSQL. Every
// public method that changes data runs in one transaction and asks the
// domain's named rules before it decides anything.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"runtime"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"guildhall/internal/jobs"
	"guildhall/migrations"
)

// DB is the connection pool every service shares.
type DB struct {
	*sqlx.DB
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// stmts are the hot reads' prepared statements (stmtcache.go).
	stmts *stmtCache
	// Mail is on when email is configured: notifications then queue the
	// emails their recipients chose, in the same transaction.
	Mail bool
}

// Open connects to url and checks the connection. Its pool holds
// DefaultPoolSize connections until SetPoolSize says otherwise.
func Open(ctx context.Context, url string) (*DB, error) {
	sx, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db := Wrap(sx)
	db.SetPoolSize(0)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// SetPoolSize bounds the connections the pool holds open at once; n <= 0
// takes DefaultPoolSize.
func (db *DB) SetPoolSize(n int) {
	if n <= 0 {
		n = DefaultPoolSize()
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
}

// DefaultPoolSize is four connections per CPU Go may use, between 8 and 32.
// A page's statements keep a PostgreSQL backend busy on the CPU, not
// waiting on disk, so more connections than that do not serve more pages:
// they only let more backends preempt one another while every request
// waits longer. Past the bound, requests wait for a connection in the pool
// instead, in Go, costing nothing. On a 2-core machine at 16 clients
// (benchload) going from 25 connections to 8 halved the heaviest pages'
// p99 (search 60 → 30 ms, the queue admin's inbox 57 → 24 ms) at the same
// rate.
func DefaultPoolSize() int {
	return min(max(4*runtime.GOMAXPROCS(0), 8), 32)
}

// Wrap adopts an open handle (tests get theirs from pgtestdb).
func Wrap(db *sqlx.DB) *DB { return &DB{DB: db, Now: time.Now, stmts: &stmtCache{}} }

// migrationLock is the key of the session advisory lock the migrate step
// holds ("guildhal" in ASCII): instances that start together queue on it, so
// the first migrates and the others find nothing left to do.
const migrationLock int64 = 0x6775696c6468616c

// Migrate applies every pending migration, each in its own transaction, and
// then River's (the job queue's tables), and returns how many it applied.
// The whole step runs under an advisory lock, so several instances starting
// at once on one database migrate it once; whatever else must be migrated
// with the schema belongs inside migrateLocked.
func Migrate(ctx context.Context, db *sql.DB) (int, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return 0, fmt.Errorf("migrations: wait for the migration lock: %w", err)
	}
	// Unlocking on a canceled ctx would fail; closing the connection
	// releases the lock too, so a failed unlock closes it for good.
	defer func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	return migrateLocked(ctx, db)
}

// migrateLocked applies Guildhall's migrations and River's; the caller
// holds the lock.
func migrateLocked(ctx context.Context, db *sql.DB) (int, error) {
	sub, err := fs.Sub(migrations.FS, ".")
	if err != nil {
		return 0, err
	}
	// Each slice of work numbers its migrations in its own range, and they
	// land in any order: a database that already has 00050 must still take
	// a 00010 that landed after it, rather than refuse to start.
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithAllowOutofOrder(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	n, err := jobs.Migrate(ctx, db)
	return len(res) + n, err
}

// MigrationVersion is the version of the newest migration applied (0 before
// any), for /readyz.
func MigrationVersion(ctx context.Context, db *sql.DB) (int64, error) {
	var v sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("migration version: %w", err)
	}
	return v.Int64, nil
}

// inTx runs fn in a transaction and commits when fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// uniqueViolation reports whether err is a unique violation of constraint.
func uniqueViolation(err error, constraint string) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.Constraint == constraint)
}

// notFound maps sql.ErrNoRows to a domain not-found error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return guildhallNotFound(format, args...)
	}
	return err
}

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// isUUID reports whether s can be an id; anything else is simply not found,
// rather than a driver error about the uuid type.
func isUUID(s string) bool { return uuidPattern.MatchString(s) }

// SiteGauges are the numbers an operator watches, counted over indexes in
// one round trip (for the metrics, at scrape time).
type SiteGauges struct {
	PendingJoinRequests   int64
	PendingCreateRequests int64
	Sessions              int64
}

// SiteGauges counts pending join and create requests and live sessions.
func (db *DB) SiteGauges(ctx context.Context) (SiteGauges, error) {
	var g SiteGauges
	err := db.QueryRowContext(ctx, `
		SELECT (SELECT count(*) FROM join_requests WHERE status = 'PENDING'),
		       (SELECT count(*) FROM create_requests WHERE status = 'PENDING'),
		       (SELECT count(*) FROM sessions WHERE expires_at > now())`).
		Scan(&g.PendingJoinRequests, &g.PendingCreateRequests, &g.Sessions)
	if err != nil {
		return g, fmt.Errorf("site gauges: %w", err)
	}
	return g, nil
}
