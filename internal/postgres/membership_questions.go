package postgres

import (
	"context"
	"fmt"
	"strings"

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
		texts, required, err := checkQuestions(in)
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

// checkQuestions trims and validates the questions, naming each one wrong.
func checkQuestions(in []guildhall.QuestionInput) (texts []string, required []bool, err error) {
	var v guildhall.Validator
	v.Check(len(in) <= guildhall.MaxQuestions, "questions", "A group can ask at most 5 questions.")
	texts, required = make([]string, len(in)), make([]bool, len(in))
	for i, q := range in {
		texts[i], required[i] = strings.TrimSpace(q.Text), q.Required
		guildhall.CheckName(&v, fmt.Sprintf("questions[%d].text", i), "Question", texts[i], guildhall.MaxQuestionLength, "200")
	}
	return texts, required, v.Err()
}

// PreviewPrivacyChange says what changing the group's privacy to "to"
// would do to its pending join requests, for the confirmation page of
// those who may change it (guildhall.CanManageGroup).
func (s *MembershipService) PreviewPrivacyChange(ctx context.Context, actor guildhall.Actor, groupID string, to guildhall.Privacy) (*guildhall.PrivacyPreview, error) {
	g, role, err := groupForActor(ctx, s.db, actor, groupID)
	if err != nil {
		return nil, err
	}
	if !guildhall.CanManageGroup(actor, g, role) {
		return nil, guildhall.Forbidden("Only the admins of %s can change its privacy.", g.Name)
	}
	if !to.Valid() {
		var v guildhall.Validator
		v.Add("privacy", "Privacy must be PUBLIC, PRIVATE or SECRET.")
		return nil, v.Err()
	}
	var n int
	err = s.db.GetContext(ctx, &n, `
		SELECT count(*) FROM join_requests WHERE group_id = $1 AND status = 'PENDING'`, g.ID)
	if err != nil {
		return nil, fmt.Errorf("count pending requests: %w", err)
	}
	p := guildhall.EffectOfPrivacyChange(g.Privacy, to, n)
	return &p, nil
}
