package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

const queuePageSize = 50

// queueState is what a decision leaves on a queue page: the reason typed,
// what was done and what could not be.
type queueState struct {
	reason   string
	notice   string
	problems []string
}

// deciderGroup loads the group and refuses viewers who may not decide its
// join requests (the service would only show them their own).
func (s *Server) deciderGroup(w http.ResponseWriter, r *http.Request) (*guildhall.GroupView, bool) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return nil, false
	}
	if !guildhall.CanDecideJoinRequests(viewer(r), &g.Group, g.ViewerRole) {
		s.fail(w, r, guildhall.NotDecider(&g.Group))
		return nil, false
	}
	return g, true
}

func (s *Server) joinRequestsPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.deciderGroup(w, r)
	if !ok {
		return
	}
	s.renderJoinRequests(w, r, g, http.StatusOK, queueState{})
}

func (s *Server) renderJoinRequests(w http.ResponseWriter, r *http.Request, g *guildhall.GroupView, status int, st queueState) {
	filter, shown := requestStatus(r)
	page := pageNumber(r)
	q := guildhall.RequestQuery{Status: filter, Limit: queuePageSize, Offset: (page - 1) * queuePageSize}
	res, err := s.Membership.ListJoinRequests(r.Context(), viewer(r), g.ID, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "/groups/" + g.Slug + "/requests"
	queue := st.queue("join-requests", base+"/decide?status="+shown)
	queue.Empty = "No join requests here."
	if filter == guildhall.Pending {
		queue.Empty = "No join requests are waiting."
	}
	for _, j := range res.Items {
		queue.Rows = append(queue.Rows, joinRequestRow(j, j.AccountID))
	}
	queue.PrevURL, queue.NextURL = pagerLinks(base+"?status="+shown, page, len(res.Items), q.Offset, res.Total)
	s.render(w, r, status, templates.JoinRequests(templates.JoinRequestsPage{
		Page: s.page(r, "Join requests · "+g.Name, "groups"), Slug: g.Slug, GroupName: g.Name, Status: shown, Queue: queue}))
}

func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) {
	s.renderInbox(w, r, http.StatusOK, queueState{})
}

func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, status int, st queueState) {
	page := pageNumber(r)
	offset := (page - 1) * queuePageSize
	res, err := s.Membership.Inbox(r.Context(), viewer(r), queuePageSize, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	queue := st.queue("inbox", "/inbox/decide")
	queue.ShowGroup = true
	queue.Empty = "Nothing waits for your decision."
	for _, j := range res.Items {
		queue.Rows = append(queue.Rows, joinRequestRow(j, j.GroupID+":"+j.AccountID))
	}
	queue.PrevURL, queue.NextURL = pagerLinks("/inbox", page, len(res.Items), offset, res.Total)
	// The inbox's total is the navigation's count: no second query.
	p := s.frame(r, "Inbox", "inbox")
	p.Nav.InboxCount = res.Total
	s.render(w, r, status, templates.Inbox(templates.InboxPage{Page: p, Queue: queue}))
}

func (st queueState) queue(id, action string) templates.RequestQueue {
	return templates.RequestQueue{ID: id, Action: action, Reason: st.reason, Notice: st.notice, Errors: st.problems}
}

func joinRequestRow(j guildhall.JoinRequest, key string) templates.JoinRequestRow {
	row := templates.JoinRequestRow{Key: key, GroupName: j.GroupName, GroupSlug: j.GroupSlug, DisplayName: j.DisplayName,
		When: templates.When(j.CreatedAt), Status: j.Status.Label(), Reason: j.RejectionReason, Pending: j.Status == guildhall.Pending}
	for _, a := range j.Answers {
		row.Answers = append(row.Answers, templates.AnswerRow{Question: a.Question, Answer: a.Text})
	}
	return row
}

// decideJoins approves or rejects the requests of accountIDs in one group.
func (s *Server) decideJoins(ctx context.Context, a guildhall.Actor, groupID, action string, accountIDs []string, reason string) ([]guildhall.BulkResult[guildhall.JoinRequest], error) {
	switch action {
	case "approve":
		return s.Membership.ApproveJoinRequests(ctx, a, groupID, accountIDs)
	case "reject":
		rejections := make([]guildhall.MemberRejection, len(accountIDs))
		for i, id := range accountIDs {
			rejections[i] = guildhall.MemberRejection{AccountID: id, Reason: reason}
		}
		return s.Membership.RejectJoinRequests(ctx, a, groupID, rejections)
	}
	var v guildhall.Validator
	v.Add("action", "Choose Approve or Reject.")
	return nil, v.Err()
}

// decideJoinRequests decides a group's queue: one row's button or the
// checked rows.
func (s *Server) decideJoinRequests(w http.ResponseWriter, r *http.Request) {
	g, ok := s.deciderGroup(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadForm())
		return
	}
	again := func(status int, st queueState) { s.renderJoinRequests(w, r, g, status, st) }
	action, ids := decision(r, "member")
	st := queueState{reason: r.PostFormValue("reason")}
	if len(ids) == 0 {
		st.problems = []string{"Select at least one request first."}
		again(http.StatusUnprocessableEntity, st)
		return
	}
	results, err := s.decideJoins(r.Context(), viewer(r), g.ID, action, ids, st.reason)
	if errors.Is(err, guildhall.ErrInvalid) {
		st.problems = invalidText(err)
		again(http.StatusUnprocessableEntity, st)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	done, problems := summarize(results, func(j *guildhall.JoinRequest) string { return j.DisplayName })
	_, shown := requestStatus(r)
	s.decided(w, r, action, done, problems, "/groups/"+g.Slug+"/requests?status="+shown, again)
}

// decideInbox decides requests across groups: each row names its group
// ("GROUPID:ACCOUNTID"), and each group's share is decided by one call.
func (s *Server) decideInbox(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadForm())
		return
	}
	again := func(status int, st queueState) { s.renderInbox(w, r, status, st) }
	action, keys := decision(r, "member")
	st := queueState{reason: r.PostFormValue("reason")}
	var groups []string
	byGroup := map[string][]string{}
	for _, key := range keys {
		groupID, accountID, ok := strings.Cut(key, ":")
		if !ok || groupID == "" || accountID == "" {
			continue
		}
		if _, seen := byGroup[groupID]; !seen {
			groups = append(groups, groupID)
		}
		byGroup[groupID] = append(byGroup[groupID], accountID)
	}
	if len(groups) == 0 {
		st.problems = []string{"Select at least one request first."}
		again(http.StatusUnprocessableEntity, st)
		return
	}
	var done, problems []string
	for _, groupID := range groups {
		results, err := s.decideJoins(r.Context(), viewer(r), groupID, action, byGroup[groupID], st.reason)
		switch {
		case errors.Is(err, guildhall.ErrInvalid):
			// The same action and reason go to every group, so the first
			// group refuses them before anything is decided.
			st.problems = invalidText(err)
			again(http.StatusUnprocessableEntity, st)
			return
		case err != nil && statusOf(err) >= 500:
			s.fail(w, r, err)
			return
		case err != nil:
			problems = append(problems, guildhall.Message(err))
			continue
		}
		d, p := summarize(results, func(j *guildhall.JoinRequest) string { return j.DisplayName + " (" + j.GroupName + ")" })
		done, problems = append(done, d...), append(problems, p...)
	}
	s.decided(w, r, action, done, problems, "/inbox", again)
}

// decided tells the viewer what a decision did. htmx swaps the re-rendered
// queue in place with the notice; a plain post is sent back to the page
// (back) with the same words as a flash.
func (s *Server) decided(w http.ResponseWriter, r *http.Request, action string, done, problems []string, back string, again func(int, queueState)) {
	notice := ""
	if len(done) > 0 {
		verb := map[string]string{"approve": "Approved", "reject": "Rejected"}[action]
		notice = verb + " " + strings.Join(done, ", ") + "."
	}
	if r.Header.Get("HX-Request") == "true" {
		again(http.StatusOK, queueState{notice: notice, problems: problems})
		return
	}
	s.setFlash(w, r, strings.TrimSpace(notice+" "+strings.Join(problems, " ")))
	s.redirect(w, r, back)
}

// invalidText is the field messages of a validation error, each once, in
// the order the service gave them.
func invalidText(err error) []string {
	var ve *guildhall.ValidationError
	if !errors.As(err, &ve) {
		return []string{guildhall.Message(err)}
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range ve.Violations {
		if !seen[v.Description] {
			seen[v.Description] = true
			out = append(out, v.Description)
		}
	}
	return out
}

// errBadForm answers a form body that cannot be parsed.
func errBadForm() error {
	var v guildhall.Validator
	v.Add("form", "The form could not be read.")
	return v.Err()
}
