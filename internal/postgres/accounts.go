package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"guildhall/internal/guildhall"

	"github.com/jmoiron/sqlx"
)

var guildhallNotFound = guildhall.NotFound

// AccountService implements guildhall.AccountService.
type AccountService struct {
	db     *DB
	hasher *guildhall.PasswordHasher
	// dummyHash is verified when the email is unknown, so a wrong email
	// costs the same time as a wrong password.
	dummyHash string
}

// NewAccountService returns the account service.
func NewAccountService(db *DB, hasher *guildhall.PasswordHasher) *AccountService {
	dummy, _ := hasher.Hash("not a real password")
	return &AccountService{db: db, hasher: hasher, dummyHash: dummy}
}

var _ guildhall.AccountService = (*AccountService)(nil)

const accountColumns = `id, email, display_name, site_admin, public_profile, created_at`

// CreateAccount validates n and stores a new account.
func (s *AccountService) CreateAccount(ctx context.Context, n guildhall.NewAccount) (*guildhall.Account, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(n.Password)
	if err != nil {
		return nil, err
	}
	var a guildhall.Account
	err = s.db.GetContext(ctx, &a, `
		INSERT INTO accounts (email, display_name, password_hash, site_admin, public_profile)
		VALUES ($1, $2, $3, $4, $5)
		RETURNING `+accountColumns,
		n.Email, n.DisplayName, hash, n.SiteAdmin, n.PublicProfile)
	if uniqueViolation(err, "accounts_email_key") {
		return nil, &guildhall.ValidationError{Violations: []guildhall.FieldViolation{
			{Field: "email", Description: "An account with this email already exists."}}}
	}
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	return &a, nil
}

// Authenticate checks email and password.
func (s *AccountService) Authenticate(ctx context.Context, email, password string) (*guildhall.Account, error) {
	var row struct {
		guildhall.Account
		PasswordHash string `db:"password_hash"`
	}
	// An email that is not text (a NUL, not UTF-8) cannot belong to an
	// account: it is an unknown email, answered like any other.
	err := sql.ErrNoRows
	if guildhall.TextProblem(email) == "" {
		err = s.db.GetContext(ctx, &row, `SELECT `+accountColumns+`, password_hash FROM accounts WHERE email = $1`, email)
	}
	hash := row.PasswordHash
	if errors.Is(err, sql.ErrNoRows) {
		hash = s.dummyHash
	} else if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	ok, verr := s.hasher.Verify(password, hash)
	if verr != nil {
		return nil, fmt.Errorf("authenticate: %w", verr)
	}
	if err != nil || !ok {
		return nil, guildhall.Unauthenticated("Email or password is incorrect.")
	}
	return &row.Account, nil
}

// AccountByID returns the account with id.
func (s *AccountService) AccountByID(ctx context.Context, id string) (*guildhall.Account, error) {
	var a guildhall.Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	if err != nil {
		return nil, notFound(err, "Account not found.")
	}
	return &a, nil
}

// AccountByEmail returns the account with email (case-insensitive).
func (s *AccountService) AccountByEmail(ctx context.Context, email string) (*guildhall.Account, error) {
	var v guildhall.Validator
	if !guildhall.CheckText(&v, "email", "Email", email) {
		return nil, v.Err()
	}
	var a guildhall.Account
	err := s.db.GetContext(ctx, &a, `SELECT `+accountColumns+` FROM accounts WHERE email = $1`, email)
	if err != nil {
		return nil, notFound(err, "No account has the email %s.", email)
	}
	return &a, nil
}

// UpdateProfile changes the actor's own display name and public flag, and
// the email preferences given, in one transaction after checking them all.
func (s *AccountService) UpdateProfile(ctx context.Context, actor guildhall.Actor, p guildhall.ProfileUpdate) (*guildhall.Account, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var a guildhall.Account
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &a, `
			UPDATE accounts SET display_name = $2, public_profile = $3, updated_at = now()
			WHERE id = $1
			RETURNING `+accountColumns, actor.ID, p.DisplayName, p.PublicProfile)
		if err != nil {
			return notFound(err, "Account not found.")
		}
		if len(p.Email) == 0 {
			return nil
		}
		return saveEmailPreferences(ctx, tx, actor.ID, p.Email)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CountAccounts returns how many accounts exist.
func (s *AccountService) CountAccounts(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM accounts`)
	return n, err
}
