package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"guildhall/internal/guildhall"
)

// Join joins a public group at once or sends a request to a private one, as
// guildhall.HowCanJoin decides. The group row stays locked until the join is
// stored, so a join that arrives while the group's privacy changes either
// comes before the change (and its request is approved or rejected by it) or
// after it (and sees the new privacy).
func (s *MembershipService) Join(ctx context.Context, actor guildhall.Actor, groupID string, answers []guildhall.Answer) (*guildhall.JoinResult, error) {
	if actor.ID == "" {
		return nil, guildhall.Unauthenticated("Sign in to join groups.")
	}
	var out guildhall.JoinResult
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		var pending bool
		err = tx.GetContext(ctx, &pending, `
			SELECT EXISTS (SELECT 1 FROM join_requests
				WHERE group_id = $1 AND account_id = $2 AND status = 'PENDING')`, g.ID, actor.ID)
		if err != nil {
			return fmt.Errorf("read pending request: %w", err)
		}
		mode, err := guildhall.HowCanJoin(actor, g, role, pending)
		if err != nil {
			return err
		}
		switch mode {
		case guildhall.JoinAtOnce:
			out.Member, err = insertMember(ctx, tx, g, actor.ID, guildhall.RoleMember)
			if err != nil {
				return err
			}
			return writeAudit(ctx, tx, memberAudit(actor, guildhall.ActionMemberJoined, g, out.Member,
				nil, map[string]any{"role": guildhall.RoleMember}))
		case guildhall.JoinByRequest:
			out.Request, err = insertJoinRequest(ctx, tx, actor, g, answers)
			if err != nil {
				return err
			}
			if err := s.db.notifyNewJoinRequest(ctx, tx, g, out.Request); err != nil {
				return err
			}
			return writeAudit(ctx, tx, guildhall.AuditRecord{
				ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionJoinRequestSubmitted,
				TargetType: guildhall.TargetJoinRequest, TargetID: out.Request.ID, TargetName: g.Name,
				After:   map[string]any{"status": out.Request.Status, "subject": out.Request.DisplayName, "answers": out.Request.Answers},
				Subject: &guildhall.EventSubject{JoinRequest: out.Request, Group: g},
			})
		}
		return fmt.Errorf("join: unexpected mode %d", mode)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// insertJoinRequest checks answers against the group's questions and
// stores a pending request. The partial unique index on pending requests
// makes a second pending request a conflict even if a check were missed.
func insertJoinRequest(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group, answers []guildhall.Answer) (*guildhall.JoinRequest, error) {
	qs, err := questionsOf(ctx, tx, g.ID)
	if err != nil {
		return nil, err
	}
	kept, err := guildhall.CheckAnswers(qs, answers)
	if err != nil {
		return nil, err
	}
	doc, err := json.Marshal(kept)
	if err != nil {
		return nil, err
	}
	var row joinRequestRow
	err = tx.GetContext(ctx, &row, `
		WITH r AS (
			INSERT INTO join_requests (group_id, account_id, answers) VALUES ($1, $2, $3)
			RETURNING *
		)
		SELECT `+joinRequestColumns+` FROM r`+joinRequestFrom, g.ID, actor.ID, doc)
	if uniqueViolation(err, "join_requests_one_pending_key") {
		return nil, guildhall.Conflict("You already asked to join %s; your request is waiting for a decision.", g.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("insert join request: %w", err)
	}
	return row.request()
}

// Leave takes the actor out of the group. The last admin must first make
// another member an admin, so that a group always keeps one.
func (s *MembershipService) Leave(ctx context.Context, actor guildhall.Actor, groupID string) error {
	return s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		if !guildhall.CanLeave(actor, g, role) {
			return guildhall.FailedPrecondition("You are not a member of %s.", g.Name)
		}
		return leave(ctx, tx, actor, g)
	})
}

// leave takes the actor, a member of the locked group g, out of it.
func leave(ctx context.Context, tx *sqlx.Tx, actor guildhall.Actor, g *guildhall.Group) error {
	m, err := memberOf(ctx, tx, g, actor.ID, true)
	if err != nil {
		return err
	}
	if err := keepAnAdmin(ctx, tx, g, m, "You are"); err != nil {
		return err
	}
	if err := deleteMember(ctx, tx, g, m.AccountID); err != nil {
		return err
	}
	return writeAudit(ctx, tx, memberAudit(actor, guildhall.ActionMemberLeft, g, m,
		map[string]any{"role": m.Role}, nil))
}

// CancelJoinRequest cancels the actor's own pending request to join the group.
func (s *MembershipService) CancelJoinRequest(ctx context.Context, actor guildhall.Actor, groupID string) (*guildhall.JoinRequest, error) {
	var out *guildhall.JoinRequest
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, _, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		noRequest := guildhall.NotFound("You have no pending request to join %s.", g.Name)
		if actor.ID == "" {
			return noRequest
		}
		var rows []joinRequestRow
		err = tx.SelectContext(ctx, &rows, `
			WITH r AS (
				UPDATE join_requests SET status = 'CANCELED', decided_at = now(), decided_by = $2
				WHERE group_id = $1 AND account_id = $2 AND status = 'PENDING'
				RETURNING *
			)
			SELECT `+joinRequestColumns+` FROM r`+joinRequestFrom, g.ID, actor.ID)
		if err != nil {
			return fmt.Errorf("cancel join request: %w", err)
		}
		if len(rows) == 0 {
			// A request decided meanwhile is a decision too late (409),
			// not a missing request.
			var last guildhall.Status
			err := tx.GetContext(ctx, &last, `
				SELECT status FROM join_requests WHERE group_id = $1 AND account_id = $2
				ORDER BY created_at DESC LIMIT 1`, g.ID, actor.ID)
			if errors.Is(err, sql.ErrNoRows) {
				return noRequest
			}
			if err != nil {
				return fmt.Errorf("cancel join request: %w", err)
			}
			return guildhall.FailedPrecondition("Your request to join %s was already %s.", g.Name, strings.ToLower(string(last)))
		}
		if out, err = rows[0].request(); err != nil {
			return err
		}
		return writeAudit(ctx, tx, requestAudit(actor, guildhall.ActionJoinRequestCanceled, g, out, guildhall.Pending, nil))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
