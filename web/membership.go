package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// membershipRoutes registers joining, members, join requests and the inbox.
func (s *Server) membershipRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /groups/{slug}/join", s.joinPage)
	mux.HandleFunc("POST /groups/{slug}/join", s.join)
	mux.HandleFunc("POST /groups/{slug}/leave", s.leave)
	mux.HandleFunc("POST /groups/{slug}/request/cancel", s.cancelJoinRequest)

	// membership_members.go
	mux.HandleFunc("GET /groups/{slug}/members", s.membersPage)
	mux.HandleFunc("POST /groups/{slug}/members", s.addMember)
	mux.HandleFunc("POST /groups/{slug}/members/{accountID}/role", s.setMemberRole)
	mux.HandleFunc("POST /groups/{slug}/members/{accountID}/remove", s.removeMember)

	// membership_requests.go
	mux.HandleFunc("GET /groups/{slug}/requests", s.joinRequestsPage)
	mux.HandleFunc("POST /groups/{slug}/requests/decide", s.decideJoinRequests)
	mux.HandleFunc("GET /inbox", s.inboxPage)
	mux.HandleFunc("POST /inbox/decide", s.decideInbox)
}

// inboxCount is how many join requests wait for the viewer's decision; the
// navigation shows it on every page, so a failure only logs and shows none.
func (s *Server) inboxCount(r *http.Request, a guildhall.Actor) int {
	if s.Membership == nil {
		return 0
	}
	n, err := s.Membership.InboxCount(r.Context(), a)
	if err != nil {
		s.Logger.Error("inbox count", "err", err, "request_id", requestID(r))
		return 0
	}
	return n
}

// joinPage shows the membership questions of a private group before the
// request is sent. Anything but a request has nothing to ask here.
func (s *Server) joinPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	mode, err := guildhall.HowCanJoin(a, &g.Group, g.ViewerRole, g.HasPendingRequest)
	switch mode {
	case guildhall.JoinRefused:
		s.fail(w, r, err)
		return
	case guildhall.JoinAtOnce:
		http.Redirect(w, r, "/groups/"+g.Slug, http.StatusSeeOther)
		return
	}
	qs, err := s.Membership.Questions(r.Context(), a, g.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.JoinQuestions(joinForm(s.page(r, "Join "+g.Name, "groups"), g, qs, nil, nil)))
}

// join joins a public group at once or sends a request to a private one. A
// private group with questions first sends the viewer to answer them.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	answering := r.PostFormValue("answering") == "yes"
	var (
		qs      []guildhall.Question
		answers []guildhall.Answer
	)
	if mode, _ := guildhall.HowCanJoin(a, &g.Group, g.ViewerRole, g.HasPendingRequest); mode == guildhall.JoinByRequest {
		var err error
		if qs, err = s.Membership.Questions(r.Context(), a, g.ID); err != nil {
			s.fail(w, r, err)
			return
		}
		if len(qs) > 0 && !answering {
			s.redirect(w, r, "/groups/"+g.Slug+"/join")
			return
		}
		answers = postedAnswers(r, qs)
	}
	res, err := s.Membership.Join(r.Context(), a, g.ID, answers)
	if errors.Is(err, guildhall.ErrInvalid) && answering {
		s.render(w, r, http.StatusUnprocessableEntity,
			templates.JoinQuestions(joinForm(s.page(r, "Join "+g.Name, "groups"), g, qs, answers, err)))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if res.Request != nil {
		s.setFlash(w, r, "Your request to join "+g.Name+" is waiting for a decision.")
	} else {
		s.setFlash(w, r, "You joined "+g.Name+".")
	}
	s.redirect(w, r, "/groups/"+g.Slug)
}

// postedAnswers reads one answer per question, in the questions' order;
// an unanswered question gets an empty text for the service to judge.
func postedAnswers(r *http.Request, qs []guildhall.Question) []guildhall.Answer {
	answers := make([]guildhall.Answer, len(qs))
	for i, q := range qs {
		answers[i] = guildhall.Answer{QuestionID: q.ID, Question: q.Text,
			Text: strings.TrimSpace(r.PostFormValue("answer-" + q.ID))}
	}
	return answers
}

// joinForm builds the questions page, with the given answers and the
// messages of err (a validation error from Join) when re-rendering.
func joinForm(p templates.Page, g *guildhall.GroupView, qs []guildhall.Question, answers []guildhall.Answer, err error) templates.JoinForm {
	f := templates.JoinForm{Page: p, Slug: g.Slug, GroupName: g.Name}
	fe := guildhall.FieldErrors(err)
	placed := 0
	for i, q := range qs {
		field := templates.AnswerField{QuestionID: q.ID, Question: q.Text, Required: q.Required}
		if i < len(answers) {
			field.Value = answers[i].Text
		}
		if msg := answerError(fe, i, q.ID); msg != "" {
			field.Error = msg
			placed++
		}
		f.Answers = append(f.Answers, field)
	}
	if err != nil && placed == 0 {
		f.Error = guildhall.Message(err)
	}
	return f
}

// answerError finds the message the service gave for the i-th answer.
func answerError(fe map[string]string, i int, questionID string) string {
	for _, key := range []string{"answers[" + strconv.Itoa(i) + "]", "answers[" + strconv.Itoa(i) + "].text", "answers." + questionID, questionID} {
		if msg := fe[key]; msg != "" {
			return msg
		}
	}
	return ""
}

// leave takes the viewer out of the group; the last admin is told why not.
func (s *Server) leave(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	if err := s.Membership.Leave(r.Context(), a, g.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "You left "+g.Name+".")
	target := "/groups/" + g.Slug
	if !guildhall.CanSeeGroup(a, &g.Group, guildhall.RoleNone) {
		target = "/groups" // a secret group is gone from the viewer's sight
	}
	s.redirect(w, r, target)
}

// cancelJoinRequest cancels the viewer's own pending request and goes back
// where the form came from (a local "next"), else to the group.
func (s *Server) cancelJoinRequest(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	if _, err := s.Membership.CancelJoinRequest(r.Context(), viewer(r), g.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Canceled your request to join "+g.Name+".")
	target := "/groups/" + g.Slug
	if next := r.PostFormValue("next"); next != "" && safeNext(next) == next {
		target = next
	}
	s.redirect(w, r, target)
}
