// Package app wires the PostgreSQL services into the web server's
// configuration, once, for cmd/guildhall and for the tests alike.
package app

import (
	"log/slog"

	"guildhall/internal/postgres"
	"guildhall/web"
	"guildhall/web/api"
)

// WebConfig is the server configuration over db and its services, the JSON
// API mounted at /api/v1/ included.
func WebConfig(db *postgres.DB, s *postgres.Services, logger *slog.Logger) web.Config {
	return web.Config{
		Logger:         logger,
		Accounts:       s.Accounts,
		Groups:         s.Groups,
		Settings:       s.Settings,
		CreateRequests: s.CreateRequests,
		Audit:          s.Audit,
		Membership:     s.Membership,
		Tokens:         s.Tokens,
		API:            api.New(APIConfig(s, logger)),
		Sessions:       web.NewSessionStore(postgres.NewSessionStore(db)),
		Ping:           db.PingContext,
	}
}

// APIConfig is the JSON API's configuration over the same services.
func APIConfig(s *postgres.Services, logger *slog.Logger) api.Config {
	return api.Config{
		Logger: logger, Accounts: s.Accounts, Groups: s.Groups, Settings: s.Settings,
		CreateRequests: s.CreateRequests, Membership: s.Membership, Tokens: s.Tokens,
	}
}
