package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// SettingsService implements guildhall.SettingsService.
type SettingsService struct{ db *DB }

// NewSettingsService returns the site settings service.
func NewSettingsService(db *DB) *SettingsService { return &SettingsService{db: db} }

var _ guildhall.SettingsService = (*SettingsService)(nil)

// SiteSettings returns the site-wide settings (the one row of site_settings).
func (s *SettingsService) SiteSettings(ctx context.Context) (*guildhall.SiteSettings, error) {
	var st guildhall.SiteSettings
	if err := s.db.GetContext(ctx, &st, `SELECT creation_policy, updated_at FROM site_settings`); err != nil {
		return nil, fmt.Errorf("read site settings: %w", err)
	}
	return &st, nil
}

// SetCreationPolicy changes who may create groups; only site admins may.
// Setting the policy it already has changes and records nothing.
func (s *SettingsService) SetCreationPolicy(ctx context.Context, actor guildhall.Actor, p guildhall.CreationPolicy) (*guildhall.SiteSettings, error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, guildhall.Forbidden("Only site admins can change who can create groups.")
	}
	var v guildhall.Validator
	v.Check(p.Valid(), "creationPolicy", "Creation policy must be ADMINS_ONLY, ALL_MEMBERS or MEMBERS_WITH_APPROVAL.")
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out guildhall.SiteSettings
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var old guildhall.SiteSettings
		if err := tx.GetContext(ctx, &old, `SELECT creation_policy, updated_at FROM site_settings FOR UPDATE`); err != nil {
			return fmt.Errorf("lock site settings: %w", err)
		}
		if old.CreationPolicy == p {
			out = old
			return nil
		}
		err := tx.GetContext(ctx, &out, `
			UPDATE site_settings SET creation_policy = $1, updated_at = now() WHERE id
			RETURNING creation_policy, updated_at`, p)
		if err != nil {
			return fmt.Errorf("set creation policy: %w", err)
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionPolicyChanged,
			TargetType: guildhall.TargetSite, TargetID: "site", TargetName: "the site",
			Before: map[string]any{"creationPolicy": old.CreationPolicy},
			After:  map[string]any{"creationPolicy": out.CreationPolicy},
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
