package postgres

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"guildhall/internal/guildhall"
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

// loadSignedInSQL is LoadSignedIn's statement, made once: building its
// text on every call (the replacer below) was 5 % of a group page's CPU.
var loadSignedInSQL = `
SELECT s.data, a.id, a.email, a.display_name, a.site_admin, a.public_profile, a.created_at,
	COALESCE(n.inbox, 0) AS inbox, COALESCE(n.unread, 0) AS unread,
	st.creation_policy, st.expire_after_days, st.remind_after_days, st.escalate_after_days, st.updated_at
FROM sessions s
CROSS JOIN site_settings st
LEFT JOIN accounts a ON a.id = s.account_id
LEFT JOIN LATERAL (
	SELECT (` + signedInInboxSQL + `) AS inbox,
		(SELECT unread FROM notification_counts WHERE account_id = a.id) AS unread
	WHERE a.id IS NOT NULL
) n ON true
WHERE s.token_hash = $1 AND s.expires_at > now()`

// signedInInboxSQL is inboxCountSQL for the account of the session's row:
// the lateral join hands over its $1 (the account) and $2 (whether it is a
// site admin).
var signedInInboxSQL = strings.NewReplacer("$1::uuid", "a.id", "$2::boolean", "a.site_admin").Replace(inboxCountSQL)

// LoadSignedIn reads the live session for tokenHash with everything a
// signed-in page needs before it starts, in one round trip: the session's
// data, its account (nil when none is signed in), the navigation's counts
// (the inbox badge from the kept counts, the unread notifications from
// their counter) and the site settings (one row). data is nil when there is
// no live session.
func (s *SessionRows) LoadSignedIn(ctx context.Context, tokenHash []byte) (data []byte, who guildhall.SignedIn, err error) {
	var (
		id, email, name sql.NullString
		admin, public   sql.NullBool
		created         sql.NullTime
		nav             guildhall.NavCounts
		st              = &who.Settings
	)
	err = s.db.scanPrepared(ctx, loadSignedInSQL, []any{tokenHash},
		&data, &id, &email, &name, &admin, &public, &created, &nav.Inbox, &nav.Unread,
		&st.CreationPolicy, &st.ExpireAfterDays, &st.RemindAfterDays, &st.EscalateAfterDays, &st.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.SignedIn{}, nil
	}
	if err != nil {
		return nil, guildhall.SignedIn{}, err
	}
	if data == nil {
		data = []byte{}
	}
	if id.Valid {
		who.Account = &guildhall.Account{ID: id.String, Email: email.String, DisplayName: name.String,
			SiteAdmin: admin.Bool, PublicProfile: public.Bool, CreatedAt: created.Time}
		who.Nav = nav
	}
	return data, who, nil
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
