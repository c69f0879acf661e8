package postgres

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// checkPage fills the default limit and names what is wrong with a page
// (guildhall.CheckPage), for the lists paged by limit and offset alone.
func checkPage(limit, offset int) (int, error) {
	var v guildhall.Validator
	guildhall.CheckPage(&v, "", &limit, offset)
	return limit, v.Err()
}

// checkBulk refuses more than guildhall.MaxBulk items at once, naming field.
func checkBulk(field string, n int) error {
	var v guildhall.Validator
	guildhall.CheckBulk(&v, field, n)
	return v.Err()
}

// requestOrder is the ORDER BY of requests aliased r for q: a constant,
// never input.
func requestOrder(q guildhall.RequestQuery) string {
	if q.OldestFirst {
		return `r.created_at, r.id`
	}
	return `r.created_at DESC, r.id DESC`
}

// eachInTx runs fn for every item of a bulk call in its own transaction, so
// that one item that fails leaves the others done. Domain errors are the
// item's result; anything else (the database failing) stops the call.
func eachInTx[T any](ctx context.Context, db *DB, ids []string, fn func(tx *sqlx.Tx, i int, res *guildhall.BulkResult[T]) error) ([]guildhall.BulkResult[T], error) {
	results := make([]guildhall.BulkResult[T], 0, len(ids))
	for i, id := range ids {
		res := guildhall.BulkResult[T]{ID: id}
		res.Err = db.inTx(ctx, func(tx *sqlx.Tx) error { return fn(tx, i, &res) })
		if res.Err != nil && !isDomainError(res.Err) {
			return nil, res.Err
		}
		results = append(results, res)
	}
	return results, nil
}

// groupRule is one of the domain's named rules on a group (CanAddMembers,
// CanDecideJoinRequests, …) with the refusal of those it turns away.
type groupRule struct {
	allows func(guildhall.Actor, *guildhall.Group, guildhall.Role) bool
	refuse func(*guildhall.Group) error
}

// eachOnGroup runs a bulk change of group groupID. rule is asked once on
// the group as read, and the whole call is refused when it says no; then
// each item runs in its own transaction (eachInTx) on the group row locked
// again, with rule asked again on it, so that a change made meanwhile (a
// demotion, a setting turned off) counts for the items still to come.
func eachOnGroup[T any](ctx context.Context, db *DB, actor guildhall.Actor, groupID string, ids []string, rule groupRule,
	fn func(tx *sqlx.Tx, g *guildhall.Group, i int, res *guildhall.BulkResult[T]) error,
) ([]guildhall.BulkResult[T], error) {
	g, role, err := groupForActor(ctx, db, actor, groupID)
	if err != nil {
		return nil, err
	}
	if !rule.allows(actor, g, role) {
		return nil, rule.refuse(g)
	}
	return eachInTx(ctx, db, ids, func(tx *sqlx.Tx, i int, res *guildhall.BulkResult[T]) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		if !rule.allows(actor, g, role) {
			return rule.refuse(g)
		}
		return fn(tx, g, i, res)
	})
}

// splitRejections checks a bulk rejection (at most guildhall.MaxBulk, each
// reason per guildhall.RejectionReasons) and returns the ids and the
// trimmed reasons; parts reads one rejection.
func splitRejections[R any](rejections []R, parts func(R) (id, reason string)) (ids, reasons []string, err error) {
	if err := checkBulk("rejections", len(rejections)); err != nil {
		return nil, nil, err
	}
	ids, reasons = make([]string, len(rejections)), make([]string, len(rejections))
	for i, rj := range rejections {
		ids[i], reasons[i] = parts(rj)
	}
	reasons, err = guildhall.RejectionReasons(reasons)
	return ids, reasons, err
}

// isDomainError reports whether err is one of the domain's kinds, safe to
// show per item, rather than a failure of the server.
func isDomainError(err error) bool {
	var de *guildhall.Error
	var ve *guildhall.ValidationError
	return errors.As(err, &de) || errors.As(err, &ve)
}

// getTx is tx.GetContext through the statement cache (stmtcache.go): the
// statement is parsed once per connection, and a call is one round trip
// whose plan PostgreSQL may keep, rather than a parse, a plan and two
// round trips each time. A decision on 100 requests runs four such
// statements; their parsing and planning were a sixth of its database time.
func (db *DB) getTx(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := db.txStmt(ctx, tx, query)
	if err != nil || st == nil {
		if err == nil {
			err = tx.GetContext(ctx, dest, query, args...)
		}
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// selectTx is tx.SelectContext through the statement cache (see getTx).
func (db *DB) selectTx(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := db.txStmt(ctx, tx, query)
	if err != nil || st == nil {
		if err == nil {
			err = tx.SelectContext(ctx, dest, query, args...)
		}
		return err
	}
	return st.SelectContext(ctx, dest, args...)
}

// txStmt is the cached statement for query bound to tx (prepared on tx's
// connection the first time that connection runs it), or nil when query
// is not in the cache: a statement is put in it by warmStmts, outside any
// transaction, because preparing needs a connection of the pool, and
// transactions holding every connection while each waits for one more
// would wait for ever.
func (db *DB) txStmt(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	c := db.stmts
	c.mu.Lock()
	st := c.m[query]
	c.mu.Unlock()
	if st == nil {
		return nil, nil
	}
	return tx.StmtxContext(ctx, st), nil
}

// warmStmts puts queries in the statement cache, for getTx and selectTx;
// call it outside any transaction.
func (db *DB) warmStmts(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, err := db.prepared(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
