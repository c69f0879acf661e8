package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// ListMembers pages the group's members, admins first, then by name, to
// those guildhall.CanSeeMemberList lets see them.
func (s *MembershipService) ListMembers(ctx context.Context, actor guildhall.Actor, groupID string, limit, offset int) (*guildhall.Page[guildhall.Member], error) {
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	return s.ListMembersOf(ctx, actor, &guildhall.GroupView{Group: *g, ViewerRole: role}, limit, offset)
}

// ListMembersOf is ListMembers for a group the caller has just read for
// actor (with the actor's role), as a page that shows the group does: it
// saves reading the group twice. The rules are the same.
func (s *MembershipService) ListMembersOf(ctx context.Context, actor guildhall.Actor, gv *guildhall.GroupView, limit, offset int) (*guildhall.Page[guildhall.Member], error) {
	g, role := &gv.Group, gv.ViewerRole
	if !guildhall.CanSeeGroup(actor, g, role) {
		return nil, groupNotFound()
	}
	if !guildhall.CanSeeMemberList(actor, g, role) {
		if !g.ShowMemberList {
			return nil, guildhall.Forbidden("The member list of %s is visible to its admins only.", g.Name)
		}
		return nil, guildhall.Forbidden("The member list of %s is visible to its members only.", g.Name)
	}
	limit, err := checkPage(limit, offset)
	if err != nil {
		return nil, err
	}
	page := &guildhall.Page[guildhall.Member]{Items: []guildhall.Member{}, Offset: offset, Limit: limit}
	// members_count is kept with every change of the members, under the
	// group lock: the total without counting.
	page.Total = g.MembersCount
	// The usual limits are written into the SQL so that PostgreSQL keeps
	// one generic plan (limitSQL); an offset is passed only when there is one.
	paging, args := pageSQL(limit, offset, []any{g.ID})
	err = s.db.selectPrepared(ctx, &page.Items, `
		SELECT `+memberColumns+`
		FROM group_members m JOIN accounts a ON a.id = m.account_id
		WHERE m.group_id = $1
		ORDER BY m.role = 'ADMIN' DESC, lower(a.display_name), m.account_id`+paging, args...)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	return page, nil
}

// AddMembers adds site members to the group directly, as
// guildhall.CanAddMembers allows. Each is added in its own transaction; a
// pending join request of theirs is approved in passing. A member with a
// private profile cannot be added, as they could not join themselves.
func (s *MembershipService) AddMembers(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs []string) ([]guildhall.BulkResult[guildhall.Member], error) {
	if err := checkBulk("memberIds", len(accountIDs)); err != nil {
		return nil, err
	}
	adders := groupRule{guildhall.CanAddMembers, guildhall.NotAdder}
	return eachOnGroup(ctx, s.db, actor, groupID, accountIDs, adders, func(tx *sqlx.Tx, g *guildhall.Group, i int, res *guildhall.BulkResult[guildhall.Member]) error {
		var err error
		res.Item, err = addMember(ctx, s.db, tx, actor, g, accountIDs[i])
		return err
	})
}

// addMember adds accountID to the locked group g as a member.
func addMember(ctx context.Context, db *DB, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, accountID string) (*guildhall.Member, error) {
	unknown := guildhall.NotFound("Account not found.")
	if !isUUID(accountID) {
		return nil, unknown
	}
	var acct guildhall.Account
	err := tx.GetContext(ctx, &acct, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unknown
	}
	if err != nil {
		return nil, fmt.Errorf("read account: %w", err)
	}
	role, err := roleIn(ctx, tx, g.ID, acct.ID)
	if err != nil {
		return nil, err
	}
	if role != guildhall.RoleNone {
		return nil, guildhall.Conflict("%s is already a member of %s.", acct.DisplayName, g.Name)
	}
	if !acct.PublicProfile {
		return nil, guildhall.Forbidden("%s has a private profile and cannot be added to groups.", acct.DisplayName)
	}
	m, err := insertMember(ctx, tx, g, acct.ID, guildhall.RoleMember)
	if err != nil {
		return nil, err
	}
	if err := db.notifyAdded(ctx, tx, actor, g, acct.ID); err != nil {
		return nil, err
	}
	// A pending request of theirs is answered by the addition.
	var rows []joinRequestRow
	err = tx.SelectContext(ctx, &rows, `
		WITH r AS (
			UPDATE join_requests SET status = 'APPROVED', decided_at = now(), decided_by = $3
			WHERE group_id = $1 AND account_id = $2 AND status = 'PENDING'
			RETURNING *
		)
		SELECT `+joinRequestColumns+` FROM r`+joinRequestFrom, g.ID, acct.ID, nullIfEmpty(actor.ID))
	if err != nil {
		return nil, fmt.Errorf("approve pending request: %w", err)
	}
	for i := range rows {
		r, err := rows[i].request()
		if err != nil {
			return nil, err
		}
		err = writeAudit(ctx, tx, requestAudit(actor, guildhall.ActionJoinRequestApproved, g, r, guildhall.Pending,
			map[string]any{"cause": "added as a member"}))
		if err != nil {
			return nil, err
		}
	}
	return m, writeAudit(ctx, tx, memberAudit(actor, guildhall.ActionMemberAdded, g, m, nil, map[string]any{"role": m.Role}))
}

// RemoveMember takes a member out of the group; site admins and group
// admins may (guildhall.CanManageMembers). Removing oneself is leaving, and
// anyone may. The last admin cannot be removed.
func (s *MembershipService) RemoveMember(ctx context.Context, actor guildhall.Actor, groupID, accountID string) error {
	return s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		if accountID == actor.ID && role != guildhall.RoleNone {
			return leave(ctx, tx, actor, g)
		}
		if !guildhall.CanManageMembers(actor, g, role) {
			return guildhall.Forbidden("Only the admins of %s can remove members.", g.Name)
		}
		m, err := memberOf(ctx, tx, g, accountID, true)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, g, m, m.DisplayName+" is"); err != nil {
			return err
		}
		if err := deleteMember(ctx, tx, g, m.AccountID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, memberAudit(actor, guildhall.ActionMemberRemoved, g, m, map[string]any{"role": m.Role}, nil))
	})
}

// SetRole makes each of accountIDs an admin or a member of the group; site
// admins and group admins may (guildhall.CanManageMembers). The group row is
// locked for each change, so two demotions at once cannot leave the group
// without an admin: the second one finds the first done.
func (s *MembershipService) SetRole(ctx context.Context, actor guildhall.Actor, groupID string, accountIDs []string, role guildhall.Role) ([]guildhall.BulkResult[guildhall.Member], error) {
	var v guildhall.Validator
	v.Check(role == guildhall.RoleAdmin || role == guildhall.RoleMember, "role", "Role must be ADMIN or MEMBER.")
	guildhall.CheckBulk(&v, "memberIds", len(accountIDs))
	if err := v.Err(); err != nil {
		return nil, err
	}
	managers := groupRule{guildhall.CanManageMembers, errCannotSetRoles}
	return eachOnGroup(ctx, s.db, actor, groupID, accountIDs, managers, func(tx *sqlx.Tx, g *guildhall.Group, i int, res *guildhall.BulkResult[guildhall.Member]) error {
		m, err := memberOf(ctx, tx, g, accountIDs[i], true)
		if err != nil {
			return err
		}
		res.Item = m
		if m.Role == role {
			return nil
		}
		if err := keepAnAdmin(ctx, tx, g, m, m.DisplayName+" is"); err != nil {
			return err
		}
		before := m.Role
		err = tx.GetContext(ctx, &m.Role, `
			UPDATE group_members SET role = $3 WHERE group_id = $1 AND account_id = $2
			RETURNING role`, g.ID, m.AccountID, role)
		if err != nil {
			return fmt.Errorf("set role: %w", err)
		}
		return writeAudit(ctx, tx, memberAudit(actor, guildhall.ActionMemberRoleChanged, g, m,
			map[string]any{"role": before}, map[string]any{"role": m.Role}))
	})
}

// errCannotSetRoles is the refusal of someone who may not change roles in g.
func errCannotSetRoles(g *guildhall.Group) error {
	return guildhall.Forbidden("Only the admins of %s can change who is an admin.", g.Name)
}
