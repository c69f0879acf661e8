package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// writeAudit records a change inside the transaction that makes it, so the
// log never says more or less than what happened.
func writeAudit(ctx context.Context, tx *sqlx.Tx, r guildhall.AuditRecord) error {
	before, err := jsonOrNull(r.Before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(r.After)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO audit_log (actor_id, actor_name, action, target_type, target_id, target_name, before, after)
		VALUES (NULLIF($1, '')::uuid, $2, $3, $4, $5, $6, $7, $8)`,
		r.ActorID, r.ActorName, r.Action, r.TargetType, r.TargetID, r.TargetName, before, after)
	if err != nil {
		return fmt.Errorf("write audit %s: %w", r.Action, err)
	}
	return nil
}

func jsonOrNull(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// actorName is how the audit log names an actor.
func actorName(a guildhall.Actor) string {
	if a.DisplayName == "" && a.Elevated {
		return "An elevated API token"
	}
	return a.DisplayName
}
