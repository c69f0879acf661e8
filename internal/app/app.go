// Package app wires the PostgreSQL services into the web server's
// configuration, once, for cmd/guildhall and for the tests alike.
package app

import (
	"log/slog"

	"guildhall/internal/postgres"
	"guildhall/web"
)

// WebConfig is the server configuration over db and its services.
func WebConfig(db *postgres.DB, s *postgres.Services, logger *slog.Logger) web.Config {
	return web.Config{
		Logger:         logger,
		Accounts:       s.Accounts,
		Groups:         s.Groups,
		Settings:       s.Settings,
		CreateRequests: s.CreateRequests,
		Audit:          s.Audit,
		Membership:     s.Membership,
		Sessions:       web.NewSessionStore(postgres.NewSessionStore(db)),
		Ping:           db.PingContext,
	}
}
