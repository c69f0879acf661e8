package postgres

import (
	"guildhall/internal/guildhall"
	"guildhall/internal/webhooks"
)

// Services bundles every service over one database.
type Services struct {
	Accounts       *AccountService
	Groups         *GroupService
	Settings       *SettingsService
	CreateRequests *CreateRequestService
	Audit          *AuditService
	Membership     *MembershipService
	Tokens         *TokenService
	Notifications  *NotificationService
	Lifecycle      *LifecycleService
	Webhooks       *WebhookService
	// Limits holds the rate limits' buckets for every instance.
	Limits *Limiter
}

// NewServices builds every service over db.
func NewServices(db *DB, hasher *guildhall.PasswordHasher) *Services {
	return &Services{
		Accounts:       NewAccountService(db, hasher),
		Groups:         NewGroupService(db),
		Settings:       NewSettingsService(db),
		CreateRequests: NewCreateRequestService(db),
		Audit:          NewAuditService(db),
		Membership:     NewMembershipService(db),
		Tokens:         NewTokenService(db),
		Notifications:  NewNotificationService(db),
		Lifecycle:      NewLifecycleService(db),
		// Endpoints must be public until the wiring allows otherwise.
		Webhooks: NewWebhookService(db, &webhooks.Guard{}),
		Limits:   NewLimiter(db),
	}
}
