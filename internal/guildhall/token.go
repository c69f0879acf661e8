package guildhall

import (
	"context"
	"strings"
	"time"
)

// MaxTokenNameLength bounds an API token's name.
const MaxTokenNameLength = 100

// TokenPrefix starts every API token, so a token pasted in the wrong place
// is recognisable (and secret scanners can find it).
const TokenPrefix = "gh_"

// Audit actions and target type of API tokens.
const (
	ActionTokenCreated = "token.created"
	ActionTokenRevoked = "token.revoked"
	TargetToken        = "api_token"
)

// Token is an API token as its owner sees it; the token itself is never
// stored, only its hash.
type Token struct {
	ID        string `db:"id"`
	AccountID string `db:"account_id"`
	Name      string `db:"name"`
	// Elevated tokens skip every permission check (see CanCreateElevatedToken).
	Elevated   bool       `db:"elevated"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

// NormalizeTokenName trims name and checks it, naming the field "name".
func NormalizeTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	var v Validator
	CheckName(&v, "name", "Token name", name, MaxTokenNameLength, "100")
	return name, v.Err()
}

// CanCreateElevatedToken: only site admins, by their own account (an
// elevated caller is not a site admin by account and cannot mint more).
func CanCreateElevatedToken(a Actor) bool { return a.SiteAdmin }

// TokenService manages API tokens. Every method but Authenticate works on
// the actor's own tokens only.
type TokenService interface {
	// CreateToken makes a token named name and returns it in plain text,
	// the only time it is ever seen. elevated needs CanCreateElevatedToken.
	CreateToken(ctx context.Context, actor Actor, name string, elevated bool) (string, *Token, error)
	// ListTokens lists the actor's live (not revoked) tokens, newest first.
	ListTokens(ctx context.Context, actor Actor) ([]Token, error)
	// RevokeToken stops the actor's token id from working, at once.
	RevokeToken(ctx context.Context, actor Actor, id string) error
	// Authenticate returns the actor a token acts as: its account, elevated
	// when the token is elevated and the account still a site admin. An
	// unknown or revoked token is ErrUnauthenticated and charges nothing.
	// With a limit, the call also takes one token from the token's own
	// bucket, shared by every instance as Limiter.Take's are, in the same
	// step; wait is then 0 when it got one, else how long until the bucket
	// has one (it stays as it was, and the call must be refused).
	Authenticate(ctx context.Context, token string, limit *Limit) (actor Actor, wait time.Duration, err error)
}
