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

// isDomainError reports whether err is one of the domain's kinds, safe to
// show per item, rather than a failure of the server.
func isDomainError(err error) bool {
	var de *guildhall.Error
	var ve *guildhall.ValidationError
	return errors.As(err, &de) || errors.As(err, &ve)
}
