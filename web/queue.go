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

// queuePageSize is how many requests a queue page shows.
const queuePageSize = 50

// requestStatus reads a queue's status filter: PENDING by default, "" for all.
func requestStatus(r *http.Request) (filter guildhall.Status, shown string) {
	switch v := r.URL.Query().Get("status"); {
	case v == "ALL":
		return "", "ALL"
	case guildhall.Status(v).Valid():
		return guildhall.Status(v), v
	}
	return guildhall.Pending, string(guildhall.Pending)
}

// queueState is what a decision leaves on a queue page: the reason typed,
// what was decided and skipped, or why nothing was.
type queueState struct {
	reason   string
	decision templates.Decision
	problems []string
}

// queue starts a queue's view model with the state a decision left.
func (st queueState) queue(id, action string) templates.Queue {
	return templates.Queue{ID: id, Action: action, Reason: st.reason, Decision: st.decision, Errors: st.problems}
}

// queueDecision is what a queue form posts: one row's button ("one" =
// "approve:KEY"), or a bulk button ("action") with the checked rows
// ("request"), or with every row of the page when "Select all on this page"
// is checked (the page lists its rows in "onpage").
type queueDecision struct {
	action string
	keys   []string
	reason string
}

func readDecision(r *http.Request) queueDecision {
	d := queueDecision{reason: r.PostFormValue("reason")}
	if one := r.PostFormValue("one"); one != "" {
		action, key, _ := strings.Cut(one, ":")
		d.action, d.keys = action, []string{key}
		return d
	}
	d.action, d.keys = r.PostFormValue("action"), r.PostForm["request"]
	if r.PostFormValue("all") != "" {
		d.keys = r.PostForm["onpage"]
	}
	return d
}

// queueFlow is one queue page in the decision flow every queue shares.
type queueFlow struct {
	// render shows the page again with st, answering status.
	render func(status int, st queueState)
	// back is where a plain (non-htmx) post returns after a decision.
	back string
	// decide runs the decision and says what it did and skipped.
	decide func(ctx context.Context, a guildhall.Actor, d queueDecision) (templates.Decision, error)
}

// decideQueue is the decision flow of every queue: read the form, refuse
// an empty selection or an unknown action with 422 and the page again,
// decide, then say what was decided and skipped: in place for htmx, or as
// a flash on the page a plain post is sent back to.
func (s *Server) decideQueue(w http.ResponseWriter, r *http.Request, f queueFlow) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadForm())
		return
	}
	d := readDecision(r)
	st := queueState{reason: d.reason}
	switch {
	case len(d.keys) == 0:
		st.problems = []string{"Select at least one request first."}
	case d.action != "approve" && d.action != "reject":
		st.problems = []string{"Choose Approve or Reject."}
	}
	if len(st.problems) > 0 {
		f.render(http.StatusUnprocessableEntity, st)
		return
	}
	out, err := f.decide(r.Context(), viewer(r), d)
	if errors.Is(err, guildhall.ErrInvalid) {
		st.problems = invalidText(err)
		f.render(http.StatusUnprocessableEntity, st)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		f.render(http.StatusOK, queueState{decision: out})
		return
	}
	s.setFlash(w, r, strings.Join(out.Lines(), "\n"))
	s.redirect(w, r, f.back)
}

// tally adds bulk results to the decision: the names decided, and the
// others with why they were skipped. describe names an item and gives its
// status, which tells "already decided" from other refusals.
func tally[T any](d *templates.Decision, results []guildhall.BulkResult[T], describe func(*T) (string, guildhall.Status)) {
	for _, res := range results {
		name, status := "", guildhall.Status("")
		if res.Item != nil {
			name, status = describe(res.Item)
		}
		switch {
		case res.Err == nil:
			d.Done = append(d.Done, name)
		case status != "" && status != guildhall.Pending:
			d.Skipped = append(d.Skipped, templates.Skip{Name: name, Why: "already decided"})
		case errors.Is(res.Err, guildhall.ErrNotFound):
			d.Skipped = append(d.Skipped, templates.Skip{Name: name, Why: "not found"})
		default:
			d.Skipped = append(d.Skipped, templates.Skip{Name: name, Why: guildhall.Message(res.Err)})
		}
	}
}

// age words how long a request has waited (pending) or how long ago it was
// made (decided).
func age(since time.Time, pending bool) string {
	return ageAt(since, pending, time.Now())
}

// ageAt is age as of now.
func ageAt(since time.Time, pending bool, now time.Time) string {
	w := templates.Waited(since, now)
	if pending || w == "just now" {
		return w
	}
	return w + " ago"
}

// whenHeader heads a queue's time column for its status filter.
func whenHeader(filter guildhall.Status) string {
	if filter == guildhall.Pending {
		return "Waiting"
	}
	return "Asked"
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
