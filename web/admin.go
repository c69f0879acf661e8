package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// adminRoutes registers the site admin pages and the viewer's own requests.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /admin/settings", s.siteSettingsPage)
	mux.HandleFunc("POST /admin/settings", s.saveSiteSettings)
	mux.HandleFunc("GET /admin/create-requests", s.createRequestsPage)
	mux.HandleFunc("POST /admin/create-requests/decide", s.decideCreateRequests)
	mux.HandleFunc("GET /admin/audit", s.auditPage)
	mux.HandleFunc("GET /me/requests", s.myRequestsPage)
	mux.HandleFunc("POST /me/requests/create/{id}/cancel", s.cancelCreateRequest)
}

// siteAdminOnly refuses everyone but site admins; the services refuse them
// too, this only spares a useless query and says why.
func (s *Server) siteAdminOnly(w http.ResponseWriter, r *http.Request) bool {
	if !guildhall.CanAdministerSite(viewer(r)) {
		s.fail(w, r, guildhall.Forbidden("Only site admins can see this page."))
		return false
	}
	return true
}

func policyOptions() []templates.Option {
	opts := make([]templates.Option, len(guildhall.CreationPolicies))
	for i, p := range guildhall.CreationPolicies {
		opts[i] = templates.Option{Value: string(p), Label: p.Label()}
	}
	return opts
}

func (s *Server) siteSettingsPage(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	settings, err := s.Settings.SiteSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.SiteSettings(templates.SiteSettingsForm{
		Page: s.page(r, "Site settings", "admin"), Policy: string(settings.CreationPolicy), Options: policyOptions()}))
}

func (s *Server) saveSiteSettings(w http.ResponseWriter, r *http.Request) {
	p := guildhall.CreationPolicy(r.PostFormValue("creationPolicy"))
	_, err := s.Settings.SetCreationPolicy(r.Context(), viewer(r), p)
	if ve := guildhall.FieldErrors(err); len(ve) > 0 {
		s.render(w, r, http.StatusUnprocessableEntity, templates.SiteSettings(templates.SiteSettingsForm{
			Page: s.page(r, "Site settings", "admin"), Policy: string(p), Options: policyOptions(),
			Error: "Choose who can create groups."}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Saved: "+p.Label()+" can create groups.")
	s.redirect(w, r, "/admin/settings")
}

// requestStatus reads the status filter: PENDING by default, "" for all.
func requestStatus(r *http.Request) (filter guildhall.Status, shown string) {
	switch v := r.URL.Query().Get("status"); {
	case v == "ALL":
		return "", "ALL"
	case guildhall.Status(v).Valid():
		return guildhall.Status(v), v
	}
	return guildhall.Pending, string(guildhall.Pending)
}

const adminPageSize = 50

func pageNumber(r *http.Request) int {
	n, _ := strconv.Atoi(r.URL.Query().Get("page"))
	return max(n, 1)
}

// pagerLinks returns the Previous and Next links of a paged list.
func pagerLinks(base string, page, shown, offset, total int) (prev, next string) {
	link := func(p int) string {
		sep := "?"
		if strings.Contains(base, "?") {
			sep = "&"
		}
		if p <= 1 {
			return base
		}
		return base + sep + "page=" + strconv.Itoa(p)
	}
	if page > 1 {
		prev = link(page - 1)
	}
	if offset+shown < total {
		next = link(page + 1)
	}
	return prev, next
}

func createRequestRow(c guildhall.CreateRequest) templates.CreateRequestRow {
	row := templates.CreateRequestRow{ID: c.ID, Name: c.Name, Privacy: c.Privacy.Label(), Requester: c.RequesterName,
		When: templates.When(c.CreatedAt), Status: c.Status.Label(), Reason: c.RejectionReason, Pending: c.Status == guildhall.Pending}
	if c.GroupSlug != nil {
		row.GroupSlug = *c.GroupSlug
	}
	return row
}

func (s *Server) createRequestsPage(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	s.renderCreateRequests(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderCreateRequests(w http.ResponseWriter, r *http.Request, status int, reason string, problems []string) {
	filter, shown := requestStatus(r)
	page := pageNumber(r)
	q := guildhall.RequestQuery{Status: filter, Limit: adminPageSize, Offset: (page - 1) * adminPageSize}
	res, err := s.CreateRequests.ListCreateRequests(r.Context(), viewer(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := templates.CreateRequestsPage{Page: s.page(r, "Create requests", "admin"), Status: shown, Reason: reason, Errors: problems}
	for _, c := range res.Items {
		v.Rows = append(v.Rows, createRequestRow(c))
	}
	v.PrevURL, v.NextURL = pagerLinks("/admin/create-requests?status="+shown, page, len(res.Items), q.Offset, res.Total)
	s.render(w, r, status, templates.CreateRequests(v))
}

// decision reads a queue form: a per-row button ("one" = "approve:ID") or a
// bulk button ("action") with the checked ids (field idField).
func decision(r *http.Request, idField string) (action string, ids []string) {
	if one := r.PostFormValue("one"); one != "" {
		action, id, _ := strings.Cut(one, ":")
		return action, []string{id}
	}
	return r.PostFormValue("action"), r.PostForm[idField]
}

func (s *Server) decideCreateRequests(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, guildhall.Forbidden("The form could not be read."))
		return
	}
	a := viewer(r)
	action, ids := decision(r, "id")
	reason := r.PostFormValue("reason")
	if len(ids) == 0 {
		s.renderCreateRequests(w, r, http.StatusUnprocessableEntity, reason, []string{"Select at least one request first."})
		return
	}
	var results []guildhall.BulkResult[guildhall.CreateRequest]
	var err error
	switch action {
	case "approve":
		results, err = s.CreateRequests.ApproveCreateRequests(r.Context(), a, ids)
	case "reject":
		rejections := make([]guildhall.Rejection, len(ids))
		for i, id := range ids {
			rejections[i] = guildhall.Rejection{ID: id, Reason: reason}
		}
		results, err = s.CreateRequests.RejectCreateRequests(r.Context(), a, rejections)
	default:
		s.renderCreateRequests(w, r, http.StatusUnprocessableEntity, reason, []string{"Choose Approve or Reject."})
		return
	}
	if fe := guildhall.FieldErrors(err); len(fe) > 0 {
		s.renderCreateRequests(w, r, http.StatusUnprocessableEntity, reason, []string{guildhall.Message(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	done, problems := summarize(results, func(c *guildhall.CreateRequest) string { return c.Name })
	verb := map[string]string{"approve": "Approved", "reject": "Rejected"}[action]
	msg := ""
	if len(done) > 0 {
		msg = fmt.Sprintf("%s %s.", verb, strings.Join(done, ", "))
	}
	if len(problems) > 0 {
		msg = strings.TrimSpace(msg + " " + strings.Join(problems, " "))
	}
	s.setFlash(w, r, msg)
	s.redirect(w, r, "/admin/create-requests?status="+r.URL.Query().Get("status"))
}

// summarize splits bulk results into the names decided and the reasons the
// others were not.
func summarize[T any](results []guildhall.BulkResult[T], name func(*T) string) (done, problems []string) {
	for _, res := range results {
		if res.Err != nil {
			label := ""
			if res.Item != nil {
				label = name(res.Item) + ": "
			}
			problems = append(problems, label+guildhall.Message(res.Err))
			continue
		}
		if res.Item != nil {
			done = append(done, "“"+name(res.Item)+"”")
		}
	}
	return done, problems
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	page := pageNumber(r)
	offset := (page - 1) * adminPageSize
	res, err := s.Audit.ListAudit(r.Context(), viewer(r), adminPageSize, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := templates.AuditPage{Page: s.page(r, "Audit log", "admin")}
	for _, e := range res.Items {
		v.Rows = append(v.Rows, templates.AuditRow{When: templates.When(e.At), Sentence: e.Sentence(), Action: e.Action})
	}
	v.PrevURL, v.NextURL = pagerLinks("/admin/audit", page, len(res.Items), offset, res.Total)
	s.render(w, r, http.StatusOK, templates.Audit(v))
}

func (s *Server) myRequestsPage(w http.ResponseWriter, r *http.Request) {
	a := viewer(r)
	q := guildhall.RequestQuery{Limit: guildhall.MaxPageSize}
	creates, err := s.CreateRequests.MyCreateRequests(r.Context(), a, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	joins, err := s.Membership.MyJoinRequests(r.Context(), a, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := templates.MyRequestsPage{Page: s.page(r, "My requests", "requests")}
	for _, c := range creates.Items {
		v.Creates = append(v.Creates, createRequestRow(c))
	}
	for _, j := range joins.Items {
		v.Joins = append(v.Joins, templates.MyJoinRow{GroupName: j.GroupName, GroupSlug: j.GroupSlug,
			When: templates.When(j.CreatedAt), Status: j.Status.Label(), Reason: j.RejectionReason, Pending: j.Status == guildhall.Pending})
	}
	s.render(w, r, http.StatusOK, templates.MyRequests(v))
}

func (s *Server) cancelCreateRequest(w http.ResponseWriter, r *http.Request) {
	c, err := s.CreateRequests.CancelCreateRequest(r.Context(), viewer(r), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Canceled your request to create “"+c.Name+"”.")
	s.redirect(w, r, "/me/requests")
}
