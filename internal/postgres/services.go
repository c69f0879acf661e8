package postgres

import "guildhall/internal/guildhall"

// Services bundles every service over one database.
type Services struct {
	Accounts *AccountService
}

// NewServices builds every service over db.
func NewServices(db *DB, hasher *guildhall.PasswordHasher) *Services {
	return &Services{
		Accounts: NewAccountService(db, hasher),
	}
}
