package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

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
	res, err := s.Membership.ListJoinRequestsOf(r.Context(), viewer(r), g, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := "/groups/" + g.Slug + "/requests"
	queue := joinQueue(st, "join-requests", base+"/decide?status="+shown)
	queue.WhenHeader = whenHeader(filter)
	queue.Empty = "No join requests here."
	if filter == guildhall.Pending {
		queue.Empty = "No join requests are waiting."
	}
	queue.Rows = make([]templates.QueueRow, 0, len(res.Items))
	now := time.Now()
	for i := range res.Items {
		queue.Rows = append(queue.Rows, joinRequestRow(&res.Items[i], res.Items[i].AccountID, now))
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
	queue := joinQueue(st, "inbox", "/inbox/decide")
	queue.ShowGroup = true
	queue.Empty = "Nothing waits for your decision."
	queue.Rows = make([]templates.QueueRow, 0, len(res.Items))
	now := time.Now()
	for i := range res.Items {
		j := &res.Items[i]
		queue.Rows = append(queue.Rows, joinRequestRow(j, j.GroupID+":"+j.AccountID, now))
	}
	queue.PrevURL, queue.NextURL = pagerLinks("/inbox", page, len(res.Items), offset, res.Total)
	// The inbox's total is the navigation's count: no second query.
	p := s.frame(r, "Inbox", "inbox")
	p.Nav.InboxCount = res.Total
	s.render(w, r, status, templates.Inbox(templates.InboxPage{Page: p, Queue: queue}))
}

// joinQueue is a queue of join requests: named by requester, with answers.
func joinQueue(st queueState, id, action string) templates.Queue {
	q := st.queue(id, action)
	q.NameHeader, q.ShowAnswers = "Requester", true
	return q
}

// joinRequestRow is j's row of a queue, its ages as of now: one clock
// reading for the page's 50 rows rather than two a row.
func joinRequestRow(j *guildhall.JoinRequest, key string, now time.Time) templates.QueueRow {
	pending := j.Status == guildhall.Pending
	row := templates.QueueRow{Key: key, Name: j.DisplayName, GroupName: j.GroupName, GroupSlug: j.GroupSlug,
		Since: j.CreatedAt, Age: ageAt(j.CreatedAt, pending, now), Status: j.Status.Label(), Reason: j.RejectionReason, Pending: pending,
		Marks: lifecycleMarks(pending, j.EscalatedAt, j.ExpiresAt, now)}
	for _, a := range j.Answers {
		row.Answers = append(row.Answers, templates.AnswerRow{Question: a.Question, Answer: a.Text})
	}
	return row
}

// decideJoins approves or rejects the requests of accountIDs in one group
// and adds the outcome to out; label names a decided request.
func (s *Server) decideJoins(ctx context.Context, a guildhall.Actor, groupID string, d queueDecision, accountIDs []string, out *templates.Decision, label func(*guildhall.JoinRequest) string) error {
	var results []guildhall.BulkResult[guildhall.JoinRequest]
	var err error
	if d.action == "approve" {
		results, err = s.Membership.ApproveJoinRequests(ctx, a, groupID, accountIDs)
	} else {
		rejections := make([]guildhall.MemberRejection, len(accountIDs))
		for i, id := range accountIDs {
			rejections[i] = guildhall.MemberRejection{AccountID: id, Reason: d.reason}
		}
		results, err = s.Membership.RejectJoinRequests(ctx, a, groupID, rejections)
	}
	if err != nil {
		return err
	}
	tally(out, results, func(j *guildhall.JoinRequest) (string, guildhall.Status) { return label(j), j.Status })
	return nil
}

// decideJoinRequests decides a group's queue: one row's button or the
// checked rows.
func (s *Server) decideJoinRequests(w http.ResponseWriter, r *http.Request) {
	g, ok := s.deciderGroup(w, r)
	if !ok {
		return
	}
	_, shown := requestStatus(r)
	s.decideQueue(w, r, queueFlow{
		render: func(status int, st queueState) { s.renderJoinRequests(w, r, g, status, st) },
		back:   "/groups/" + g.Slug + "/requests?status=" + shown,
		decide: func(ctx context.Context, a guildhall.Actor, d queueDecision) (templates.Decision, error) {
			out := templates.Decision{Action: d.action}
			err := s.decideJoins(ctx, a, g.ID, d, d.keys, &out, func(j *guildhall.JoinRequest) string { return j.DisplayName })
			return out, err
		},
	})
}

// decideInbox decides requests across groups: each row names its group
// ("GROUPID:ACCOUNTID"), and each group's share is decided by one call.
func (s *Server) decideInbox(w http.ResponseWriter, r *http.Request) {
	s.decideQueue(w, r, queueFlow{
		render: func(status int, st queueState) { s.renderInbox(w, r, status, st) },
		back:   "/inbox",
		decide: s.decideAcrossGroups,
	})
}

func (s *Server) decideAcrossGroups(ctx context.Context, a guildhall.Actor, d queueDecision) (templates.Decision, error) {
	out := templates.Decision{Action: d.action}
	var groups []string
	byGroup := map[string][]string{}
	for _, key := range d.keys {
		groupID, accountID, ok := strings.Cut(key, ":")
		if !ok || groupID == "" || accountID == "" {
			out.Skipped = append(out.Skipped, templates.Skip{Why: "not found"})
			continue
		}
		if _, seen := byGroup[groupID]; !seen {
			groups = append(groups, groupID)
		}
		byGroup[groupID] = append(byGroup[groupID], accountID)
	}
	label := func(j *guildhall.JoinRequest) string { return j.DisplayName + " (" + j.GroupName + ")" }
	for _, groupID := range groups {
		err := s.decideJoins(ctx, a, groupID, d, byGroup[groupID], &out, label)
		switch {
		case errors.Is(err, guildhall.ErrInvalid):
			// The same action and reason go to every group, so the first
			// group refuses them before anything is decided.
			return out, err
		case err != nil && statusOf(err) >= 500:
			return out, err
		case err != nil:
			// The whole group is refused (gone, or no longer the viewer's
			// to decide): its requests are skipped with the reason.
			for range byGroup[groupID] {
				out.Skipped = append(out.Skipped, templates.Skip{Why: skipWhy(err)})
			}
		}
	}
	return out, nil
}

// skipWhy words a refusal of a whole group's share of the inbox.
func skipWhy(err error) string {
	if errors.Is(err, guildhall.ErrNotFound) {
		return "not found"
	}
	return guildhall.Message(err)
}
