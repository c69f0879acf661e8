// Package postgres implements Guildhall's services over PostgreSQL. Every
// public method that changes data runs in one transaction and asks the
// domain's named rules before it decides anything.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
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

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(25)
	db.SetMaxIdleConns(25)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return Wrap(db), nil
}

// Wrap adopts an open handle (tests get theirs from pgtestdb).
func Wrap(db *sqlx.DB) *DB { return &DB{DB: db, Now: time.Now, stmts: &stmtCache{}} }

// Migrate applies every pending migration, each in its own transaction, and
// then River's (the job queue's tables), and returns how many it applied.
func Migrate(ctx context.Context, db *sql.DB) (int, error) {
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
