package guildhall

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Question is a membership question of a private group.
type Question struct {
	ID       string `db:"id" json:"id"`
	GroupID  string `db:"group_id" json:"-"`
	Position int    `db:"position" json:"position"`
	Text     string `db:"text" json:"text"`
	Required bool   `db:"required" json:"required"`
}

// QuestionInput is one question as an admin writes it.
type QuestionInput struct {
	Text     string
	Required bool
}

// Answer is a requester's answer to one question.
type Answer struct {
	QuestionID string `json:"questionId"`
	// Question is the question's text when it was answered.
	Question string `json:"question"`
	Text     string `json:"text"`
}

// CheckQuestions trims and validates the questions, naming each one wrong.
func CheckQuestions(in []QuestionInput) (texts []string, required []bool, err error) {
	var v Validator
	v.Check(len(in) <= MaxQuestions, "questions", "A group can ask at most 5 questions.")
	texts, required = make([]string, len(in)), make([]bool, len(in))
	for i, q := range in {
		texts[i], required[i] = strings.TrimSpace(q.Text), q.Required
		CheckName(&v, fmt.Sprintf("questions[%d].text", i), "Question", texts[i], MaxQuestionLength, "200")
	}
	return texts, required, v.Err()
}

// CheckAnswers validates answers against the group's questions qs and
// returns what to store: the non-blank answers, trimmed, in the questions'
// order, each with the question's text as the group asked it (not as the
// client sent it). Problems with the i-th answer name "answers[i]"; a
// required question with no answer at all names "answers.<questionId>".
func CheckAnswers(qs []Question, answers []Answer) ([]Answer, error) {
	var v Validator
	byID := make(map[string]Question, len(qs))
	for _, q := range qs {
		byID[q.ID] = q
	}
	given := make(map[string]int, len(answers)) // question id → index in answers
	for i, a := range answers {
		field := fmt.Sprintf("answers[%d]", i)
		text := strings.TrimSpace(a.Text)
		if _, ok := byID[a.QuestionID]; !ok {
			v.Add(field, "This group does not ask this question (any more); reload the page and answer again.")
			continue
		}
		if _, twice := given[a.QuestionID]; twice {
			v.Add(field, "This question is answered twice.")
			continue
		}
		given[a.QuestionID] = i
		if CheckText(&v, field, "Answer", text) && utf8.RuneCountInString(text) > MaxAnswerLength {
			v.Add(field, "Answer must be at most 1,000 characters.")
		}
	}
	kept := []Answer{}
	for _, q := range qs {
		i, ok := given[q.ID]
		text := ""
		if ok {
			text = strings.TrimSpace(answers[i].Text)
		}
		switch {
		case text != "":
			kept = append(kept, Answer{QuestionID: q.ID, Question: q.Text, Text: text})
		case q.Required && ok:
			v.Add(fmt.Sprintf("answers[%d]", i), "An answer is required.")
		case q.Required:
			v.Add("answers."+q.ID, "An answer is required.")
		}
	}
	return kept, v.Err()
}
