package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SessionRows keeps browser sessions, keyed by the sha256 of their token.
type SessionRows struct{ db *DB }

// NewSessionRows returns the session rows over db (web.SessionRows).
func NewSessionRows(db *DB) *SessionRows { return &SessionRows{db: db} }

// Load returns the live session for tokenHash; data is nil when there is none.
func (s *SessionRows) Load(ctx context.Context, tokenHash []byte) (accountID string, data []byte, err error) {
	var row struct {
		AccountID sql.NullString `db:"account_id"`
		Data      []byte         `db:"data"`
	}
	err = s.db.GetContext(ctx, &row, `
		SELECT account_id, data FROM sessions
		WHERE token_hash = $1 AND expires_at > now()`, tokenHash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if row.Data == nil {
		row.Data = []byte{}
	}
	return row.AccountID.String, row.Data, nil
}

// Save inserts or replaces the session for tokenHash.
func (s *SessionRows) Save(ctx context.Context, tokenHash []byte, accountID string, data []byte, expiresAt time.Time) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, account_id, data, expires_at)
		VALUES ($1, NULLIF($2, '')::uuid, $3, $4)
		ON CONFLICT (token_hash) DO UPDATE
		SET account_id = EXCLUDED.account_id, data = EXCLUDED.data, expires_at = EXCLUDED.expires_at`,
		tokenHash, accountID, data, expiresAt)
	return err
}

// Delete removes the session for tokenHash.
func (s *SessionRows) Delete(ctx context.Context, tokenHash []byte) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// DeleteExpired removes sessions past their expiry and returns how many.
func (s *SessionRows) DeleteExpired(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= now()`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
