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

// settingsColumns are the columns of guildhall.SiteSettings.
const settingsColumns = `creation_policy, expire_after_days, remind_after_days, escalate_after_days, updated_at`

// SiteSettings returns the site-wide settings (the one row of site_settings).
func (s *SettingsService) SiteSettings(ctx context.Context) (*guildhall.SiteSettings, error) {
	var st guildhall.SiteSettings
	if err := s.db.getPrepared(ctx, &st, `SELECT `+settingsColumns+` FROM site_settings`); err != nil {
		return nil, fmt.Errorf("read site settings: %w", err)
	}
	return &st, nil
}

// SetCreationPolicy changes who may create groups; only site admins may.
// Setting the policy it already has changes and records nothing.
func (s *SettingsService) SetCreationPolicy(ctx context.Context, actor guildhall.Actor, p guildhall.CreationPolicy) (*guildhall.SiteSettings, error) {
	return s.UpdateSettings(ctx, actor, guildhall.SettingsUpdate{CreationPolicy: &p})
}

// UpdateSettings changes the settings given, in one transaction, each
// change recorded in the audit log; only site admins may. A setting given
// its current value changes and records nothing.
func (s *SettingsService) UpdateSettings(ctx context.Context, actor guildhall.Actor, u guildhall.SettingsUpdate) (*guildhall.SiteSettings, error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, guildhall.Forbidden("Only site admins can change the site settings.")
	}
	var v guildhall.Validator
	if u.CreationPolicy != nil {
		v.Check(u.CreationPolicy.Valid(), "creationPolicy", "Creation policy must be ADMINS_ONLY, ALL_MEMBERS or MEMBERS_WITH_APPROVAL.")
	}
	u.Apply(guildhall.RequestLifecycle{}).Validate(&v)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out guildhall.SiteSettings
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		var old guildhall.SiteSettings
		if err := tx.GetContext(ctx, &old, `SELECT `+settingsColumns+` FROM site_settings FOR UPDATE`); err != nil {
			return fmt.Errorf("lock site settings: %w", err)
		}
		next := old
		if u.CreationPolicy != nil {
			next.CreationPolicy = *u.CreationPolicy
		}
		next.RequestLifecycle = u.Apply(old.RequestLifecycle)
		policyChanged := next.CreationPolicy != old.CreationPolicy
		lifecycleChanged := lifecycleMap(next.RequestLifecycle) != lifecycleMap(old.RequestLifecycle)
		if !policyChanged && !lifecycleChanged {
			out = old
			return nil
		}
		err := tx.GetContext(ctx, &out, `
			UPDATE site_settings SET creation_policy = $1, expire_after_days = $2, remind_after_days = $3,
				escalate_after_days = $4, updated_at = now()
			WHERE id
			RETURNING `+settingsColumns,
			next.CreationPolicy, next.ExpireAfterDays, next.RemindAfterDays, next.EscalateAfterDays)
		if err != nil {
			return fmt.Errorf("update site settings: %w", err)
		}
		if policyChanged {
			err := writeAudit(ctx, tx, guildhall.AuditRecord{
				ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionPolicyChanged,
				TargetType: guildhall.TargetSite, TargetID: "site", TargetName: "the site",
				Before:  map[string]any{"creationPolicy": old.CreationPolicy},
				After:   map[string]any{"creationPolicy": out.CreationPolicy},
				Subject: &guildhall.EventSubject{Settings: &out},
			})
			if err != nil {
				return err
			}
		}
		if lifecycleChanged {
			return writeAudit(ctx, tx, guildhall.AuditRecord{
				ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionLifecycleChanged,
				TargetType: guildhall.TargetSite, TargetID: "site", TargetName: "the site",
				Before: lifecycleMap(old.RequestLifecycle), After: lifecycleMap(out.RequestLifecycle),
				// One change of the settings is one event, told once.
				Subject: subjectUnless(policyChanged, &guildhall.EventSubject{Settings: &out}),
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// lifecycleDays is the lifecycle as the audit log records it (0 = off),
// comparable with ==.
type lifecycleDays struct {
	ExpireAfterDays   int `json:"expireAfterDays"`
	RemindAfterDays   int `json:"remindAfterDays"`
	EscalateAfterDays int `json:"escalateAfterDays"`
}

func lifecycleMap(l guildhall.RequestLifecycle) lifecycleDays {
	return lifecycleDays{deref(l.ExpireAfterDays), deref(l.RemindAfterDays), deref(l.EscalateAfterDays)}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
