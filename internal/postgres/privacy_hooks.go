package postgres

import (
	"context"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// onPrivacyChange runs inside UpdateGroup's transaction, with the group row
// locked, after the privacy moved from before.Privacy to after.Privacy:
// PRIVATE → PUBLIC approves every pending join request, PRIVATE → SECRET
// rejects them. (Filled in by the joining work.)
func onPrivacyChange(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, before, after *guildhall.Group) error {
	return nil
}

// onGroupDeleted runs inside DeleteGroup's transaction: it ends the group's
// pending join requests. (Filled in by the joining work.)
func onGroupDeleted(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group) error {
	return nil
}
