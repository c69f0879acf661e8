package web

import (
	"cmp"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// webhookRoutes registers the webhook pages: the site's endpoints under
// /admin/webhooks, a group's under /groups/{slug}/webhooks. Both scopes
// share the handlers; the services decide who may do what.
func (s *Server) webhookRoutes(mux *http.ServeMux) {
	for _, base := range []string{"/admin/webhooks", "/groups/{slug}/webhooks"} {
		mux.HandleFunc("GET "+base, s.webhooksPage)
		mux.HandleFunc("POST "+base, s.addWebhook)
		mux.HandleFunc("GET "+base+"/{id}", s.webhookPage)
		mux.HandleFunc("POST "+base+"/{id}/test", s.sendTestEvent)
		mux.HandleFunc("POST "+base+"/{id}/enabled", s.setWebhookEnabled)
		mux.HandleFunc("POST "+base+"/{id}/delete", s.deleteWebhook)
		mux.HandleFunc("POST "+base+"/{id}/deliveries/{delivery}/redeliver", s.redeliver)
	}
	mux.HandleFunc("GET /admin/audit/{id}/deliveries", s.auditDeliveriesPage)
}

// auditDeliveriesURL leads from an audit entry to the deliveries of its
// events; "" when the action raises none.
func auditDeliveriesURL(e guildhall.AuditEntry) string {
	if len(guildhall.EventsOf(e.Action)) == 0 {
		return ""
	}
	return "/admin/audit/" + strconv.FormatInt(e.ID, 10) + "/deliveries"
}

// auditDeliveriesPage shows site admins where the events of one audited
// change went: the audit log and the events agree.
func (s *Server) auditDeliveriesPage(w http.ResponseWriter, r *http.Request) {
	if !s.siteAdminOnly(w, r) {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.fail(w, r, guildhall.NotFound("There is no such audit entry."))
		return
	}
	list, err := s.Webhooks.AuditDeliveries(r.Context(), viewer(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := templates.AuditDeliveriesPage{Page: s.page(r, "Webhook deliveries", "admin")}
	for _, d := range list {
		p.Deliveries = append(p.Deliveries, templates.AuditDeliveryRow{DeliveryRow: deliveryRow(&d),
			Endpoint: d.WebhookURL, EndpointURL: webhookPath(d.WebhookGroupSlug, d.WebhookID)})
	}
	s.render(w, r, http.StatusOK, templates.AuditDeliveries(p))
}

// webhookPath is the page of an endpoint: the site's under /admin, a
// group's under the group.
func webhookPath(groupSlug, id string) string {
	if groupSlug == "" {
		return "/admin/webhooks/" + id
	}
	return "/groups/" + groupSlug + "/webhooks/" + id
}

func deliveryRow(d *guildhall.Delivery) templates.DeliveryRow {
	return templates.DeliveryRow{ID: d.ID, Time: templates.When(d.At), Event: d.EventType,
		Status: deliveryStatus(d), Duration: strconv.FormatInt(d.Duration.Milliseconds(), 10) + " ms",
		Attempt: strconv.Itoa(d.Attempt), Excerpt: cmp.Or(d.ResponseExcerpt, d.Error), OK: d.Succeeded}
}

// webhookScope is the scope a webhook page is in: the site's, or a group's.
type webhookScope struct {
	group *guildhall.GroupView // nil: the site's endpoints
	base  string
}

func (sc webhookScope) groupID() string {
	if sc.group == nil {
		return ""
	}
	return sc.group.ID
}

// scopeFromPath reads the scope of the request and checks the viewer may
// manage its endpoints, with the same rules the service asks. ok is false
// when the response has been written.
func (s *Server) scopeFromPath(w http.ResponseWriter, r *http.Request) (webhookScope, bool) {
	a := viewer(r)
	if r.PathValue("slug") == "" {
		if !guildhall.CanManageSiteWebhooks(a) {
			s.fail(w, r, guildhall.NotWebhookManager(nil))
			return webhookScope{}, false
		}
		return webhookScope{base: "/admin/webhooks"}, true
	}
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return webhookScope{}, false
	}
	if !guildhall.CanManageGroupWebhooks(a, &g.Group, g.ViewerRole) {
		s.fail(w, r, guildhall.NotWebhookManager(&g.Group))
		return webhookScope{}, false
	}
	return webhookScope{group: g, base: "/groups/" + g.Slug + "/webhooks"}, true
}

// webhookInScope loads endpoint {id}, which must belong to the scope.
func (s *Server) webhookInScope(w http.ResponseWriter, r *http.Request) (webhookScope, *guildhall.Webhook, bool) {
	sc, ok := s.scopeFromPath(w, r)
	if !ok {
		return sc, nil, false
	}
	hook, err := s.Webhooks.Webhook(r.Context(), viewer(r), r.PathValue("id"))
	// The viewer manages this scope, so an endpoint they may not manage
	// belongs to another: not found here.
	if errors.Is(err, guildhall.ErrForbidden) || err == nil && (hook.GroupID == nil) != (sc.group == nil) || err == nil && hook.GroupID != nil && *hook.GroupID != sc.groupID() {
		err = guildhall.NotFound("There is no such webhook.")
	}
	if err != nil {
		s.fail(w, r, err)
		return sc, nil, false
	}
	return sc, hook, true
}

func eventsLabel(types []string) string {
	if len(types) == 1 && types[0] == guildhall.AllEvents {
		return "All events"
	}
	return strings.Join(types, ", ")
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.scopeFromPath(w, r)
	if !ok {
		return
	}
	s.renderWebhooks(w, r, sc, http.StatusOK, templates.WebhookForm{Chosen: map[string]bool{guildhall.AllEvents: true}}, "", "")
}

func (s *Server) renderWebhooks(w http.ResponseWriter, r *http.Request, sc webhookScope, status int, f templates.WebhookForm, createdURL, secret string) {
	list, err := s.Webhooks.ListWebhooks(r.Context(), viewer(r), guildhall.WebhookScope{GroupID: sc.groupID()})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := templates.WebhooksPage{Base: sc.base, Form: f, CreatedURL: createdURL, CreatedSecret: secret}
	p.Form.Types = guildhall.EventTypes
	if sc.group == nil {
		p.Page, p.Admin, p.Heading = s.page(r, "Webhooks", "admin"), true, "Webhooks"
		p.Intro = "These endpoints receive every event of the site they subscribe to."
	} else {
		p.Page, p.Heading = s.page(r, "Webhooks of "+sc.group.Name, "groups"), "Webhooks of "+sc.group.Name
		p.Intro = "These endpoints receive the events of " + sc.group.Name + " only."
	}
	for _, h := range list {
		row := templates.WebhookRow{ID: h.ID, URL: h.URL, Events: eventsLabel(h.EventTypes), State: "Enabled", LastDelivery: "Never"}
		if !h.Enabled {
			row.State = "Disabled"
		}
		if d := h.LastDelivery; d != nil {
			row.LastDelivery = templates.When(d.At) + " · " + deliveryStatus(d)
		}
		p.Rows = append(p.Rows, row)
	}
	s.render(w, r, status, templates.Webhooks(p))
}

// deliveryStatus says how an attempt ended.
func deliveryStatus(d *guildhall.Delivery) string {
	if d.StatusCode == nil {
		return "no answer"
	}
	return strconv.Itoa(*d.StatusCode)
}

// addWebhook registers an endpoint and shows its secret on the page, the
// only time it is seen (so no redirect: the secret must not wait in the
// session).
func (s *Server) addWebhook(w http.ResponseWriter, r *http.Request) {
	sc, ok := s.scopeFromPath(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadForm())
		return
	}
	in := guildhall.NewWebhook{URL: strings.TrimSpace(r.PostFormValue("url")), EventTypes: r.PostForm["eventTypes"], GroupID: sc.groupID()}
	hook, secret, err := s.Webhooks.CreateWebhook(r.Context(), viewer(r), in)
	if errors.Is(err, guildhall.ErrInvalid) {
		chosen := map[string]bool{}
		for _, t := range in.EventTypes {
			chosen[t] = true
		}
		s.renderWebhooks(w, r, sc, http.StatusUnprocessableEntity,
			templates.WebhookForm{URL: in.URL, Chosen: chosen, Errors: guildhall.FieldErrors(err)}, "", "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderWebhooks(w, r, sc, http.StatusOK, templates.WebhookForm{Chosen: map[string]bool{guildhall.AllEvents: true}}, hook.URL, secret)
}

// deliveriesPerPage is the length of a page of the delivery log.
const deliveriesPerPage = 20

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request) {
	sc, hook, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	log, err := s.Webhooks.Deliveries(r.Context(), viewer(r), hook.ID, deliveriesPerPage, max(offset, 0))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := templates.WebhookPage{Admin: sc.group == nil, Base: sc.base, ID: hook.ID, URL: hook.URL,
		Events: eventsLabel(hook.EventTypes), Enabled: hook.Enabled, DisabledReason: hook.DisabledReason}
	active := "groups"
	if p.Admin {
		active = "admin"
	}
	p.Page = s.page(r, "Webhook", active)
	for _, d := range log.Items {
		p.Deliveries = append(p.Deliveries, deliveryRow(&d))
	}
	if next := log.Offset + len(log.Items); next < log.Total {
		p.Older = sc.base + "/" + hook.ID + "?offset=" + strconv.Itoa(next)
	}
	s.render(w, r, http.StatusOK, templates.Webhook(p))
}

func (s *Server) sendTestEvent(w http.ResponseWriter, r *http.Request) {
	sc, hook, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	if err := s.Webhooks.SendTestEvent(r.Context(), viewer(r), hook.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Test event sent: it appears in the deliveries below once the endpoint answers.")
	s.redirect(w, r, sc.base+"/"+hook.ID)
}

func (s *Server) setWebhookEnabled(w http.ResponseWriter, r *http.Request) {
	sc, hook, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	enabled := r.PostFormValue("enabled") == "true"
	if _, err := s.Webhooks.UpdateWebhook(r.Context(), viewer(r), hook.ID, guildhall.WebhookUpdate{Enabled: &enabled}); err != nil {
		s.fail(w, r, err)
		return
	}
	if enabled {
		s.setFlash(w, r, "Webhook enabled.")
	} else {
		s.setFlash(w, r, "Webhook disabled: nothing is sent to it until it is enabled again.")
	}
	s.redirect(w, r, sc.base+"/"+hook.ID)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	sc, hook, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	if _, err := s.Webhooks.DeleteWebhook(r.Context(), viewer(r), hook.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Webhook for "+hook.URL+" deleted.")
	s.redirect(w, r, sc.base)
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) {
	sc, hook, ok := s.webhookInScope(w, r)
	if !ok {
		return
	}
	if err := s.Webhooks.Redeliver(r.Context(), viewer(r), hook.ID, r.PathValue("delivery")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Redelivery queued: it appears in the deliveries below once the endpoint answers.")
	s.redirect(w, r, sc.base+"/"+hook.ID)
}
