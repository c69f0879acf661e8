package postgres

import (
	"context"
	"fmt"

	"guildhall/internal/guildhall"
)

// AuditService implements guildhall.AuditService.
type AuditService struct{ db *DB }

// NewAuditService returns the audit log reader.
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

var _ guildhall.AuditService = (*AuditService)(nil)

// ListAudit pages the audit log, newest first, for site admins. A limit of 0
// means the default page size.
func (s *AuditService) ListAudit(ctx context.Context, actor guildhall.Actor, limit, offset int) (*guildhall.Page[guildhall.AuditEntry], error) {
	if !guildhall.CanAdministerSite(actor) {
		return nil, guildhall.Forbidden("Only site admins can read the audit log.")
	}
	limit, err := checkPage(limit, offset)
	if err != nil {
		return nil, err
	}
	page := &guildhall.Page[guildhall.AuditEntry]{Items: []guildhall.AuditEntry{}, Offset: offset, Limit: limit}
	if err := s.db.GetContext(ctx, &page.Total, `SELECT count(*) FROM audit_log`); err != nil {
		return nil, fmt.Errorf("count audit log: %w", err)
	}
	err = s.db.SelectContext(ctx, &page.Items, `
		SELECT id, at, actor_id, actor_name, action, target_type, target_id, target_name, before, after
		FROM audit_log
		ORDER BY id DESC
		LIMIT $1 OFFSET $2`, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("list audit log: %w", err)
	}
	return page, nil
}
