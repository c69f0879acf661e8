package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// MembershipService implements guildhall.MembershipService: joining, join
// requests, members, roles and membership questions.
//
// Every change locks the group row FOR UPDATE before it decides anything, so
// all changes to one group's members and requests (and UpdateGroup's privacy
// change, which holds the same lock) happen one after the other: the role,
// the privacy and the admin count a change decides on are the ones it writes
// against. Locks are always taken group first, then request or member rows,
// so two changes never wait on each other in a circle.
type MembershipService struct{ db *DB }

// NewMembershipService returns the membership service.
func NewMembershipService(db *DB) *MembershipService { return &MembershipService{db: db} }

var _ guildhall.MembershipService = (*MembershipService)(nil)

// memberColumns are the columns of guildhall.Member, from group_members m
// joined to the member's account a.
const memberColumns = `m.group_id, m.account_id, a.display_name, a.email, m.role, m.joined_at`

// joinRequestColumns are the columns of joinRequestRow, from join_requests r
// joined to its group g and the requester's account a.
const joinRequestColumns = `r.id, r.group_id, g.name AS group_name, g.slug AS group_slug,
	r.account_id, a.display_name, r.status, r.rejection_reason, r.answers,
	r.created_at, r.decided_at, r.decided_by, r.escalated_at, ` + expiresAtColumn

// joinRequestFrom joins what joinRequestColumns reads; r may be a CTE.
const joinRequestFrom = `
	JOIN groups g ON g.id = r.group_id
	JOIN accounts a ON a.id = r.account_id`

// joinRequestRow is a join request as scanned, answers still JSON.
type joinRequestRow struct {
	guildhall.JoinRequest
	AnswersJSON []byte `db:"answers"`
}

// request decodes the answers and returns the domain value.
func (r *joinRequestRow) request() (*guildhall.JoinRequest, error) {
	out := r.JoinRequest
	out.Answers = []guildhall.Answer{}
	// Most requests answer no question: "[]" needs no decoder (a queue
	// page decodes 50).
	if len(r.AnswersJSON) > 0 && string(r.AnswersJSON) != "[]" {
		if err := json.Unmarshal(r.AnswersJSON, &out.Answers); err != nil {
			return nil, fmt.Errorf("decode answers of join request %s: %w", r.ID, err)
		}
	}
	return &out, nil
}

// memberOf reads one member of group g, locking the member row when lock is
// set; someone who is not a member is not found.
func memberOf(ctx context.Context, q sqlx.QueryerContext, g *guildhall.Group, accountID string, lock bool) (*guildhall.Member, error) {
	if !isUUID(accountID) {
		return nil, guildhall.NotFound("This person is not a member of %s.", g.Name)
	}
	query := `SELECT ` + memberColumns + `
		FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1 AND m.account_id = $2`
	if lock {
		query += ` FOR UPDATE OF m`
	}
	var m guildhall.Member
	err := sqlx.GetContext(ctx, q, &m, query, g.ID, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, guildhall.NotFound("This person is not a member of %s.", g.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("read member: %w", err)
	}
	return &m, nil
}

// insertMember adds accountID to group g with role and returns the member;
// it assumes the caller holds the group lock and checked they are not a
// member yet (the primary key still turns a duplicate into a conflict).
func insertMember(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, accountID string, role guildhall.Role) (*guildhall.Member, error) {
	var m guildhall.Member
	err := tx.GetContext(ctx, &m, `
		WITH m AS (
			INSERT INTO group_members (group_id, account_id, role) VALUES ($1, $2, $3)
			RETURNING *
		)
		SELECT `+memberColumns+` FROM m JOIN accounts a ON a.id = m.account_id`,
		g.ID, accountID, role)
	if uniqueViolation(err, "group_members_pkey") {
		return nil, guildhall.Conflict("This person is already a member of %s.", g.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("add member: %w", err)
	}
	return &m, syncMembersCount(ctx, tx, g)
}

// deleteMember takes accountID out of group g.
func deleteMember(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, accountID string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = $1 AND account_id = $2`, g.ID, accountID)
	if err != nil {
		return fmt.Errorf("remove member: %w", err)
	}
	return syncMembersCount(ctx, tx, g)
}

// syncMembersCount sets the group's members_count to its member rows (and
// marks it active), and updates g to match. Counting rather than adding one
// keeps the two equal whatever the path that changed the members; the count
// runs under the group lock, on the group_members primary key.
func syncMembersCount(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group) error {
	err := tx.GetContext(ctx, &g.MembersCount, `
		UPDATE groups
		SET members_count = (SELECT count(*) FROM group_members WHERE group_id = $1),
			last_activity_at = now()
		WHERE id = $1
		RETURNING members_count`, g.ID)
	if err != nil {
		return fmt.Errorf("count members: %w", err)
	}
	return nil
}

// keepAnAdmin refuses taking m, the only admin of group g, out of the
// admins (leaving, removal or demotion); the refusal starts with who, "You
// are" or "Ada Admin is". The caller holds the group lock, so no other
// change can take an admin away meanwhile.
func keepAnAdmin(ctx context.Context, tx *sqlx.Tx, g *guildhall.Group, m *guildhall.Member, who string) error {
	if m.Role != guildhall.RoleAdmin {
		return nil
	}
	var admins int
	err := tx.GetContext(ctx, &admins, `
		SELECT count(*) FROM group_members WHERE group_id = $1 AND role = 'ADMIN'`, g.ID)
	if err != nil {
		return fmt.Errorf("count admins: %w", err)
	}
	if admins > 1 {
		return nil
	}
	return guildhall.FailedPrecondition("%s the last admin of %s: make another member an admin first.", who, g.Name)
}

// memberAudit is the audit record of a change to member subject of group g.
// Member events are filed under the group whose membership changed, so a
// group's history is one index range; the person is the subject.
func memberAudit(actor guildhall.Actor, action string, g *guildhall.Group, subject *guildhall.Member, before, after map[string]any) guildhall.AuditRecord {
	if after == nil {
		after = map[string]any{}
	}
	after["subject"] = subject.DisplayName
	after["accountId"] = subject.AccountID
	return guildhall.AuditRecord{
		ActorID: actor.ID, ActorName: actorName(actor), Action: action,
		TargetType: guildhall.TargetMember, TargetID: g.ID, TargetName: g.Name,
		Before: before, After: after,
		Subject: &guildhall.EventSubject{Member: subject, Group: g},
	}
}

// requestAudit is the audit record of a decision on join request r of group g.
func requestAudit(actor guildhall.Actor, action string, g *guildhall.Group, r *guildhall.JoinRequest, before guildhall.Status, after map[string]any) guildhall.AuditRecord {
	if after == nil {
		after = map[string]any{}
	}
	after["status"] = r.Status
	after["subject"] = r.DisplayName
	return guildhall.AuditRecord{
		ActorID: actor.ID, ActorName: actorName(actor), Action: action,
		TargetType: guildhall.TargetJoinRequest, TargetID: r.ID, TargetName: g.Name,
		Before: map[string]any{"status": before}, After: after,
		Subject: &guildhall.EventSubject{JoinRequest: r, Group: g},
	}
}
