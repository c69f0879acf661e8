package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// TokenService implements guildhall.TokenService.
type TokenService struct{ db *DB }

// NewTokenService returns the API token service.
func NewTokenService(db *DB) *TokenService { return &TokenService{db: db} }

var _ guildhall.TokenService = (*TokenService)(nil)

const tokenColumns = `t.id, t.account_id, t.name, t.elevated, t.created_at, t.last_used_at, t.revoked_at`

// lastUsedEvery is how stale last_used_at may get: a token in steady use
// costs one write a minute, not one per call.
const lastUsedEvery = time.Minute

// hashToken is what api_tokens.token_hash keeps of a token. The token
// carries 130 random bits, so a fast hash is enough: nobody can guess one
// from its hash.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

func errTokenNotFound() error { return guildhall.NotFound("Token not found.") }

// errTokenRefused is the one answer for a token that never existed and one
// that was revoked.
func errTokenRefused() error {
	return guildhall.Unauthenticated("The API token is not valid: it is unknown or was revoked.")
}

// CreateToken makes a token for the actor's own account.
func (s *TokenService) CreateToken(ctx context.Context, actor guildhall.Actor, name string, elevated bool) (string, *guildhall.Token, error) {
	if actor.ID == "" {
		return "", nil, guildhall.Unauthenticated("Sign in to make API tokens.")
	}
	if elevated && !guildhall.CanCreateElevatedToken(actor) {
		return "", nil, guildhall.Forbidden("Only site admins can make elevated tokens.")
	}
	name, err := guildhall.NormalizeTokenName(name)
	if err != nil {
		return "", nil, err
	}
	plain := guildhall.TokenPrefix + rand.Text()
	var t guildhall.Token
	err = s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &t, `
			INSERT INTO api_tokens AS t (account_id, name, token_hash, elevated)
			VALUES ($1, $2, $3, $4)
			RETURNING `+tokenColumns, actor.ID, name, hashToken(plain), elevated)
		if err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionTokenCreated,
			TargetType: guildhall.TargetToken, TargetID: t.ID, TargetName: t.Name,
			After: map[string]any{"name": t.Name, "elevated": t.Elevated},
		})
	})
	if err != nil {
		return "", nil, err
	}
	return plain, &t, nil
}

// ListTokens lists the actor's live tokens, newest first.
func (s *TokenService) ListTokens(ctx context.Context, actor guildhall.Actor) ([]guildhall.Token, error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to see your API tokens.")
	}
	tokens := []guildhall.Token{}
	err := s.db.SelectContext(ctx, &tokens, `
		SELECT `+tokenColumns+` FROM api_tokens t
		WHERE t.account_id = $1 AND t.revoked_at IS NULL
		ORDER BY t.created_at DESC, t.id`, actor.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return tokens, nil
}

// RevokeToken revokes the actor's live token id; anyone else's token, or
// one already revoked, is not found.
func (s *TokenService) RevokeToken(ctx context.Context, actor guildhall.Actor, id string) error {
	if actor.ID == "" {
		return guildhall.Unauthenticated("Sign in to revoke API tokens.")
	}
	if !isUUID(id) {
		return errTokenNotFound()
	}
	return s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var t guildhall.Token
		err := tx.GetContext(ctx, &t, `
			UPDATE api_tokens AS t SET revoked_at = now()
			WHERE t.id = $1 AND t.account_id = $2 AND t.revoked_at IS NULL
			RETURNING `+tokenColumns, id, actor.ID)
		if errors.Is(err, sql.ErrNoRows) {
			return errTokenNotFound()
		}
		if err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionTokenRevoked,
			TargetType: guildhall.TargetToken, TargetID: t.ID, TargetName: t.Name,
			Before: map[string]any{"name": t.Name, "elevated": t.Elevated},
		})
	})
}

// authenticateSQL finds the live token $1 (its hash) and its account and,
// when a limit is given ($3 burst, $4 rate; NULL for none), charges the
// call to the bucket $2 at $5 with the limiter's own upsert
// (refillAndTake), all in one statement: one round trip per API call
// instead of two. An unknown or revoked token yields no row and so charges
// no bucket. The upsert locks the bucket's row and reads its latest version
// (ON CONFLICT DO UPDATE does so inside a WITH as anywhere), so concurrent
// calls over any connection of any instance take exactly as Limiter.Take
// does.
var authenticateSQL = `
	WITH t AS (
		SELECT ` + accountColumnsOf("a") + `, t.id AS token_id, t.elevated, t.last_used_at
		FROM api_tokens t JOIN accounts a ON a.id = t.account_id
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL
	), take AS (
		INSERT INTO rate_limits AS b (key, tokens, burst, rate, updated_at, taken)
		SELECT $2::text, $3::float8 - 1, $3::float8, $4::float8, $5::timestamptz, true
		FROM t WHERE $3::float8 IS NOT NULL` + refillAndTake + `
	)
	SELECT t.*, take.taken, take.tokens AS bucket_tokens, take.rate AS bucket_rate
	FROM t LEFT JOIN take ON true`

// tokenBucket is the key of a token's rate-limit bucket: the hex of its
// hash, so no token is kept anywhere.
func tokenBucket(hash []byte) string { return "api-token:" + hex.EncodeToString(hash) }

// Authenticate finds the live token and its account, and charges the call
// to the token's bucket when limit is given. It answers the same for a
// token that never existed and one that was revoked.
func (s *TokenService) Authenticate(ctx context.Context, token string, limit *guildhall.Limit) (guildhall.Actor, time.Duration, error) {
	if !strings.HasPrefix(token, guildhall.TokenPrefix) || len(token) > 200 {
		return guildhall.Actor{}, 0, errTokenRefused()
	}
	hash := hashToken(token)
	bucket := tokenBucket(hash)
	var burst, rate any // NULL: charge nothing
	if limit != nil {
		if err := checkLimit(bucket, *limit); err != nil {
			return guildhall.Actor{}, 0, err
		}
		burst, rate = float64(limit.Burst), limit.Rate
	}
	var row struct {
		guildhall.Account
		TokenID      string
		Elevated     bool
		LastUsedAt   *time.Time
		Taken        *bool
		BucketTokens *float64
		BucketRate   *float64
	}
	now := s.db.Now()
	// Scanned by position (scanPrepared), in the order of t's columns.
	a := &row.Account
	err := s.db.scanPrepared(ctx, authenticateSQL, []any{hash, bucket, burst, rate, now},
		&a.ID, &a.Email, &a.DisplayName, &a.SiteAdmin, &a.PublicProfile, &a.CreatedAt,
		&row.TokenID, &row.Elevated, &row.LastUsedAt, &row.Taken, &row.BucketTokens, &row.BucketRate)
	if errors.Is(err, sql.ErrNoRows) {
		return guildhall.Actor{}, 0, errTokenRefused()
	}
	if err != nil {
		return guildhall.Actor{}, 0, fmt.Errorf("authenticate token: %w", err)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) >= lastUsedEvery {
		// The guard in WHERE keeps concurrent calls from all writing.
		_, err := s.db.ExecContext(ctx, `
			UPDATE api_tokens SET last_used_at = $2
			WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $2::timestamptz - interval '1 minute')`,
			row.TokenID, now)
		if err != nil {
			return guildhall.Actor{}, 0, fmt.Errorf("record token use: %w", err)
		}
	}
	var wait time.Duration
	if row.Taken != nil && !*row.Taken {
		wait = waitFor(*row.BucketTokens, *row.BucketRate)
	}
	// An elevated token is only as strong as its account: a site admin who
	// lost the flag keeps a working token, but no longer an elevated one.
	return guildhall.Actor{Account: row.Account, Elevated: row.Elevated && row.SiteAdmin}, wait, nil
}

// accountColumnsOf is accountColumns read from accounts aliased alias.
func accountColumnsOf(alias string) string {
	cols := strings.Split(accountColumns, ", ")
	for i, c := range cols {
		cols[i] = alias + "." + c
	}
	return strings.Join(cols, ", ")
}
