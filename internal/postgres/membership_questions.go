package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// Questions returns the group's membership questions in order, to anyone
// who can see the group.
func (s *MembershipService) Questions(ctx context.Context, actor guildhall.Actor, groupID string) ([]guildhall.Question, error) {
	g, _, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	return questionsOf(ctx, s.db, g.ID)
}

// questionsOf reads the questions of group groupID in order.
func questionsOf(ctx context.Context, q sqlx.QueryerContext, groupID string) ([]guildhall.Question, error) {
	qs := []guildhall.Question{}
	err := sqlx.SelectContext(ctx, q, &qs, `
		SELECT id, group_id, position, text, required
		FROM membership_questions WHERE group_id = $1
		ORDER BY position`, groupID)
	if err != nil {
		return nil, fmt.Errorf("read questions: %w", err)
	}
	return qs, nil
}

// SetQuestions replaces the group's membership questions (at most five);
// site admins and group admins may (guildhall.CanManageGroup). Only private
// groups ask them, but any group may keep a set, ready for when it turns
// private. Requests already sent keep the questions' text as answered.
func (s *MembershipService) SetQuestions(ctx context.Context, actor guildhall.Actor, groupID string, in []guildhall.QuestionInput) ([]guildhall.Question, error) {
	var out []guildhall.Question
	err := s.db.inTx(ctx, func(tx *sqlx.Tx) error {
		g, role, err := lockGroup(ctx, tx, actor, groupID)
		if err != nil {
			return err
		}
		if !guildhall.CanManageGroup(actor, g, role) {
			return guildhall.Forbidden("Only the admins of %s can change its membership questions.", g.Name)
		}
		texts, required, err := guildhall.CheckQuestions(in)
		if err != nil {
			return err
		}
		before, err := questionsOf(ctx, tx, g.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM membership_questions WHERE group_id = $1`, g.ID); err != nil {
			return fmt.Errorf("delete questions: %w", err)
		}
		_, err = tx.ExecContext(ctx, `
			INSERT INTO membership_questions (group_id, position, text, required)
			SELECT $1, q.position, q.text, q.required
			FROM unnest($2::text[], $3::boolean[]) WITH ORDINALITY AS q(text, required, position)`,
			g.ID, pq.Array(texts), pq.Array(required))
		if err != nil {
			return fmt.Errorf("insert questions: %w", err)
		}
		if out, err = questionsOf(ctx, tx, g.ID); err != nil {
			return err
		}
		return writeAudit(ctx, tx, guildhall.AuditRecord{
			ActorID: actor.ID, ActorName: actorName(actor), Action: guildhall.ActionQuestionsChanged,
			TargetType: guildhall.TargetGroup, TargetID: g.ID, TargetName: g.Name,
			Before: map[string]any{"questions": before}, After: map[string]any{"questions": out},
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
