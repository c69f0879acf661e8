package web

import (
	"context"
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
	mux.HandleFunc("GET /admin/audit/export", s.auditExport)
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
	l := settings.RequestLifecycle
	s.render(w, r, http.StatusOK, templates.SiteSettings(templates.SiteSettingsForm{
		Page: s.page(r, "Site settings", "admin"), Policy: string(settings.CreationPolicy), Options: policyOptions(),
		Expire: daysText(l.ExpireAfterDays), Remind: daysText(l.RemindAfterDays), Escalate: daysText(l.EscalateAfterDays)}))
}

func daysText(d *int) string {
	if d == nil {
		return ""
	}
	return strconv.Itoa(*d)
}

// parseDays reads a number of days, empty for off; what is not a whole
// number is named in errs.
func parseDays(r *http.Request, field string, errs map[string]string) *int {
	v := strings.TrimSpace(r.PostFormValue(field))
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		errs[field] = "Must be a whole number of days, or empty for never."
		return nil
	}
	return &n
}

func (s *Server) saveSiteSettings(w http.ResponseWriter, r *http.Request) {
	p := guildhall.CreationPolicy(r.PostFormValue("creationPolicy"))
	errs := map[string]string{}
	u := guildhall.SettingsUpdate{CreationPolicy: &p}
	// A form from before the lifecycle fields existed changes only the policy.
	if r.PostForm.Has("expireAfterDays") || r.PostForm.Has("remindAfterDays") || r.PostForm.Has("escalateAfterDays") {
		u.Lifecycle(guildhall.RequestLifecycle{
			ExpireAfterDays:   parseDays(r, "expireAfterDays", errs),
			RemindAfterDays:   parseDays(r, "remindAfterDays", errs),
			EscalateAfterDays: parseDays(r, "escalateAfterDays", errs),
		})
	}
	var err error
	if len(errs) == 0 {
		_, err = s.Settings.UpdateSettings(r.Context(), viewer(r), u)
		for field, msg := range guildhall.FieldErrors(err) {
			errs[field] = msg
		}
	}
	if len(errs) > 0 {
		f := templates.SiteSettingsForm{
			Page: s.page(r, "Site settings", "admin"), Policy: string(p), Options: policyOptions(), Errors: errs,
			Expire: r.PostFormValue("expireAfterDays"), Remind: r.PostFormValue("remindAfterDays"),
			Escalate: r.PostFormValue("escalateAfterDays")}
		if errs["creationPolicy"] != "" {
			f.Error = "Choose who can create groups."
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.SiteSettings(f))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Saved: "+p.Label()+" can create groups.")
	s.redirect(w, r, "/admin/settings")
}

// createRequestRow is one of the viewer's own group creations.
func createRequestRow(c guildhall.CreateRequest) templates.CreateRequestRow {
	row := templates.CreateRequestRow{ID: c.ID, Name: c.Name, Privacy: c.Privacy.Label(),
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
	s.renderCreateRequests(w, r, http.StatusOK, queueState{})
}

func (s *Server) renderCreateRequests(w http.ResponseWriter, r *http.Request, status int, st queueState) {
	filter, shown := requestStatus(r)
	page := pageNumber(r)
	q := guildhall.RequestQuery{Status: filter, Limit: queuePageSize, Offset: (page - 1) * queuePageSize}
	res, err := s.CreateRequests.ListCreateRequests(r.Context(), viewer(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	queue := st.queue("create-requests", "/admin/create-requests/decide?status="+shown)
	queue.NameHeader, queue.ShowRequester, queue.WhenHeader = "Group", true, whenHeader(filter)
	queue.Empty = "No group creations here."
	if filter == guildhall.Pending {
		queue.Empty = "No group creations are waiting for approval."
	}
	for _, c := range res.Items {
		pending := c.Status == guildhall.Pending
		row := templates.QueueRow{Key: c.ID, Name: c.Name, Privacy: c.Privacy.Label(), Requester: c.RequesterName,
			Since: c.CreatedAt, Age: age(c.CreatedAt, pending), Status: c.Status.Label(), Reason: c.RejectionReason, Pending: pending,
			Marks: lifecycleMarksNow(pending, nil, c.ExpiresAt)}
		if c.GroupSlug != nil {
			row.NameURL = "/groups/" + *c.GroupSlug
		}
		queue.Rows = append(queue.Rows, row)
	}
	queue.PrevURL, queue.NextURL = pagerLinks("/admin/create-requests?status="+shown, page, len(res.Items), q.Offset, res.Total)
	s.render(w, r, status, templates.CreateRequests(templates.CreateRequestsPage{
		Page: s.page(r, "Create requests", "admin"), Status: shown, Queue: queue}))
}

func (s *Server) decideCreateRequests(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	s.decideQueue(w, r, queueFlow{
		render: func(status int, st queueState) { s.renderCreateRequests(w, r, status, st) },
		back:   "/admin/create-requests?status=" + r.URL.Query().Get("status"),
		decide: func(ctx context.Context, a guildhall.Actor, d queueDecision) (templates.Decision, error) {
			var results []guildhall.BulkResult[guildhall.CreateRequest]
			var err error
			if d.action == "approve" {
				results, err = s.CreateRequests.ApproveCreateRequests(ctx, a, d.keys)
			} else {
				rejections := make([]guildhall.Rejection, len(d.keys))
				for i, id := range d.keys {
					rejections[i] = guildhall.Rejection{ID: id, Reason: d.reason}
				}
				results, err = s.CreateRequests.RejectCreateRequests(ctx, a, rejections)
			}
			out := templates.Decision{Action: d.action}
			tally(&out, results, func(c *guildhall.CreateRequest) (string, guildhall.Status) { return c.Name, c.Status })
			return out, err
		},
	})
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
