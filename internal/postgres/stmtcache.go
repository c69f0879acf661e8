package postgres

import (
	"context"
	"database/sql"
	"strconv"
	"sync"

	"github.com/jmoiron/sqlx"
)

// stmtCache holds the prepared statements of the hot reads (the session
// and navigation, a group by slug, a directory page, a queue page), keyed
// by their SQL text. database/sql prepares a statement on each connection
// that runs it, once, so these are parsed once per connection rather than
// per call; and lib/pq, which sends a query with arguments as a prepare and
// then an execute, needs one round trip instead of two. It holds no data, so
// nothing in it can go stale when another instance changes the database.
type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sqlx.Stmt
}

// maxCachedStmts bounds the cache: the directory's SQL varies only with the
// sort and the filters given, but the API's query language can combine more;
// past the bound, a query simply runs unprepared.
const maxCachedStmts = 256

// prepared returns the statement for query, preparing it on first use;
// nil when the cache is full.
func (db *DB) prepared(ctx context.Context, query string) (*sqlx.Stmt, error) {
	c := db.stmts
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := db.PreparexContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sqlx.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// uncanceled is ctx for a hot read, which is not canceled with the
// request (its values, and a deadline when it has one, still hold): for a
// statement that can be canceled, database/sql and lib/pq each start a
// goroutine to watch ctx, two per statement (7-9 % of a group page's CPU
// for its two reads by key), while canceling one costs lib/pq the
// connection and a new one to send the cancel request. A request's context
// has no deadline; it ends when the client goes away, and these reads take
// a few milliseconds at most.
func uncanceled(ctx context.Context) context.Context {
	if _, ok := ctx.Deadline(); ok {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// getPrepared is GetContext through the statement cache.
func (db *DB) getPrepared(ctx context.Context, dest any, query string, args ...any) error {
	ctx = uncanceled(ctx)
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	if st == nil {
		return db.GetContext(ctx, dest, query, args...)
	}
	return st.GetContext(ctx, dest, args...)
}

// scanPrepared reads the one row of a query through the statement cache
// into dest by position (sql.ErrNoRows when there is none), for a row read
// on every request: sqlx's mapping of columns to fields by name, made
// afresh for each row, costs more than the scan itself.
func (db *DB) scanPrepared(ctx context.Context, query string, args []any, dest ...any) error {
	ctx = uncanceled(ctx)
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	if st == nil {
		return db.QueryRowContext(ctx, query, args...).Scan(dest...)
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// queryPrepared is QueryContext through the statement cache, for a read
// whose rows its caller scans itself (by position: see scanPrepared).
// Unlike the other reads here it keeps ctx's cancellation; a caller that
// wants none passes uncanceled(ctx).
func (db *DB) queryPrepared(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// selectPrepared is SelectContext through the statement cache.
func (db *DB) selectPrepared(ctx context.Context, dest any, query string, args ...any) error {
	ctx = uncanceled(ctx)
	st, err := db.prepared(ctx, query)
	if err != nil {
		return err
	}
	if st == nil {
		return db.SelectContext(ctx, dest, query, args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// A page's LIMIT is part of the SQL text when it is one of the sizes the
// pages and the API's default use: with LIMIT $n PostgreSQL's generic plan
// must assume a tenth of the table and loses to a plan made anew on every
// call (half a millisecond of a directory page). Like a sort column, the
// text comes from a fixed map, never from formatting the value. Any other
// size is passed as a parameter, so that a client paging with every limit
// from 1 to 100 cannot fill the statement cache (maxCachedStmts) with one
// text per limit and push the hot pages' statements out of it; such a call
// is planned each time, as every call was before. Each size comes with one
// more, which tells whether a next page exists.
var keptLimits = map[int]string{
	10: " LIMIT 10", 11: " LIMIT 11",
	20: " LIMIT 20", 21: " LIMIT 21", // guildhall.DefaultPageSize, the directory's page
	25: " LIMIT 25", 26: " LIMIT 26",
	50: " LIMIT 50", 51: " LIMIT 51", // the queues' and the members page's size
	100: " LIMIT 100", 101: " LIMIT 101", // guildhall.MaxPageSize
}

// limitSQL is the kept " LIMIT n" for a kept size, else " LIMIT $k" with
// n appended to args.
func limitSQL(n int, args []any) (string, []any) {
	if sql, ok := keptLimits[n]; ok {
		return sql, args
	}
	args = append(args, n)
	return " LIMIT $" + strconv.Itoa(len(args)), args
}

// pageSQL is the LIMIT of a page (limitSQL) and its OFFSET, when there is
// one, as the next of args.
func pageSQL(limit, offset int, args []any) (string, []any) {
	s, args := limitSQL(limit, args)
	if offset > 0 {
		args = append(args, offset)
		s += " OFFSET $" + strconv.Itoa(len(args))
	}
	return s, args
}
