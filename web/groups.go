package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// groupRoutes registers the group pages.
func (s *Server) groupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /groups", s.groupsPage)
	mux.HandleFunc("GET /groups/new", s.newGroupPage)
	mux.HandleFunc("POST /groups/new", s.createGroup)
	mux.HandleFunc("GET /groups/{slug}", s.groupPage)
	mux.HandleFunc("GET /groups/{slug}/settings", s.settingsPage)
	mux.HandleFunc("POST /groups/{slug}/settings", s.saveSettings)
	mux.HandleFunc("GET /groups/{slug}/settings/preview", s.privacyPreview)
	mux.HandleFunc("POST /groups/{slug}/settings/questions", s.saveQuestions)
	mux.HandleFunc("GET /groups/{slug}/delete", s.deletePage)
	mux.HandleFunc("POST /groups/{slug}/delete", s.deleteGroup)
}

// viewer is the signed-in actor; authenticate guarantees one on every page
// that is not public.
func viewer(r *http.Request) guildhall.Actor {
	a, _ := actorFrom(r)
	return a
}

// groupFromPath loads the group named by the {slug} path value as the viewer
// sees it. A former slug redirects (308, so a form post keeps its method) to
// the same page under the current slug; an unknown or invisible group is the
// 404 page. ok is false when the response has been written.
func (s *Server) groupFromPath(w http.ResponseWriter, r *http.Request) (g *guildhall.GroupView, ok bool) {
	slug := r.PathValue("slug")
	g, err := s.Groups.GroupBySlug(r.Context(), viewer(r), slug)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	if g.Slug != slug {
		target := "/groups/" + g.Slug + strings.TrimPrefix(r.URL.Path, "/groups/"+slug)
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusPermanentRedirect)
		return nil, false
	}
	return g, true
}

// directorySorts maps the directory's sort choices to queries.
var directorySorts = map[string]guildhall.Sort{
	"newest":   {Field: guildhall.FieldCreatedDate, Desc: true},
	"name":     {Field: guildhall.FieldName},
	"members":  {Field: guildhall.FieldMembersCount, Desc: true},
	"activity": {Field: guildhall.FieldLastActivityDate, Desc: true},
}

// The directory pages by offset, bounded: 20 a page, at most 500 pages
// (10,000 groups deep, about 12 ms at the deepest in the benchmarks); past
// that, search, filter or sort narrows the list. The API's cursor paging
// reaches any depth.
const (
	directoryPageSize = 20
	directoryMaxPage  = 500
)

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request) {
	a := viewer(r)
	qs := r.URL.Query()
	search, privacy, sortKey := strings.TrimSpace(qs.Get("q")), qs.Get("privacy"), qs.Get("sort")
	sort, ok := directorySorts[sortKey]
	if !ok {
		sortKey, sort = "newest", directorySorts["newest"]
	}
	page, _ := strconv.Atoi(qs.Get("page"))
	page = min(max(page, 1), directoryMaxPage)
	q := guildhall.GroupQuery{Sort: sort, Limit: directoryPageSize, Offset: (page - 1) * directoryPageSize}
	if search != "" {
		q.Conditions = append(q.Conditions, guildhall.NameContains(search))
	}
	if p := guildhall.Privacy(privacy); p.Valid() {
		q.Conditions = append(q.Conditions, guildhall.PrivacyIs(p))
	} else {
		privacy = ""
	}
	res, err := s.Groups.QueryGroups(r.Context(), a, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	settings, err := s.Settings.SiteSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := templates.GroupsPage{Page: s.page(r, "Groups", "groups"), Search: search, Privacy: privacy, Sort: sortKey,
		Total: res.Total, CanCreate: guildhall.CanCreateOrRequestGroup(a, settings.CreationPolicy)}
	for _, g := range res.Items {
		v.Groups = append(v.Groups, groupItem(g.Group))
	}
	if len(v.Groups) > 0 {
		v.From, v.To = q.Offset+1, q.Offset+len(v.Groups)
	}
	link := func(p int) string {
		u := url.Values{}
		if search != "" {
			u.Set("q", search)
		}
		if privacy != "" {
			u.Set("privacy", privacy)
		}
		if sortKey != "newest" {
			u.Set("sort", sortKey)
		}
		if p > 1 {
			u.Set("page", strconv.Itoa(p))
		}
		if len(u) == 0 {
			return "/groups"
		}
		return "/groups?" + u.Encode()
	}
	if page > 1 {
		v.PrevURL = link(page - 1)
	}
	if q.Offset+len(res.Items) < res.Total && page < directoryMaxPage {
		v.NextURL = link(page + 1)
	}
	s.render(w, r, http.StatusOK, templates.Groups(v))
}

func groupItem(g guildhall.Group) templates.GroupItem {
	return templates.GroupItem{Name: g.Name, Slug: g.Slug, Description: excerpt(g.Description, 200),
		Privacy: g.Privacy.Label(), Members: g.MembersCount}
}

// excerpt shortens s to about n characters at a word boundary.
func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	cut := string(r[:n])
	if i := strings.LastIndexAny(cut, " \n\t"); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}

// creationMode is what a create by the viewer would do under the policy.
func (s *Server) creationMode(r *http.Request) (guildhall.CreationMode, error) {
	settings, err := s.Settings.SiteSettings(r.Context())
	if err != nil {
		return guildhall.CreationRefused, err
	}
	return guildhall.HowCanCreateGroup(viewer(r), settings.CreationPolicy), nil
}

func (s *Server) newGroupPage(w http.ResponseWriter, r *http.Request) {
	mode, err := s.creationMode(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if mode == guildhall.CreationRefused {
		s.fail(w, r, guildhall.NotCreator())
		return
	}
	s.render(w, r, http.StatusOK, templates.NewGroup(templates.GroupForm{Page: s.page(r, "New group", "groups"),
		Privacy: string(guildhall.Public), NeedsApproval: mode == guildhall.CreationNeedsApproval}))
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	in := guildhall.GroupInput{Name: r.PostFormValue("name"), Description: r.PostFormValue("description"),
		Privacy: guildhall.Privacy(r.PostFormValue("privacy"))}
	created, err := s.Groups.CreateGroup(r.Context(), viewer(r), in, "")
	if errors.Is(err, guildhall.ErrInvalid) {
		mode, _ := s.creationMode(r)
		s.render(w, r, http.StatusUnprocessableEntity, templates.NewGroup(templates.GroupForm{
			Page: s.page(r, "New group", "groups"), Name: in.Name, Description: in.Description,
			Privacy: string(in.Privacy), Errors: guildhall.FieldErrors(err), NeedsApproval: mode == guildhall.CreationNeedsApproval}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if created.Request != nil {
		s.setFlash(w, r, "Your group “"+created.Request.Name+"” is pending approval by a site admin.")
		s.redirect(w, r, "/me/requests")
		return
	}
	s.setFlash(w, r, "Group created.")
	s.redirect(w, r, "/groups/"+created.Group.Slug)
}

func (s *Server) groupPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	v := templates.GroupPageView{Page: s.page(r, g.Name, "groups"), Name: g.Name, Slug: g.Slug,
		Description: g.Description, Privacy: g.Privacy.Label(), Members: g.MembersCount,
		IsMember: g.ViewerRole != guildhall.RoleNone, Role: g.ViewerRole.Label(),
		CanLeave:         g.ViewerRole != guildhall.RoleNone,
		CanCancelRequest: g.HasPendingRequest,
		CanSeeMembers:    guildhall.CanSeeMemberList(a, &g.Group, g.ViewerRole),
		CanDecide:        guildhall.CanDecideJoinRequests(a, &g.Group, g.ViewerRole),
		CanManage:        guildhall.CanManageGroup(a, &g.Group, g.ViewerRole),
	}
	mode, err := guildhall.HowCanJoin(a, &g.Group, g.ViewerRole, g.HasPendingRequest)
	switch {
	case mode == guildhall.JoinAtOnce:
		v.CanJoin = true
	case mode == guildhall.JoinByRequest:
		v.CanRequest = true
	case errors.Is(err, guildhall.ErrForbidden) && !a.PublicProfile && g.Privacy != guildhall.Secret:
		v.JoinBlocked = guildhall.Message(err)
	}
	s.render(w, r, http.StatusOK, templates.GroupPage(v))
}

// manageableGroup loads the group and refuses viewers who may not manage it.
func (s *Server) manageableGroup(w http.ResponseWriter, r *http.Request) (*guildhall.GroupView, bool) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return nil, false
	}
	if !guildhall.CanManageGroup(viewer(r), &g.Group, g.ViewerRole) {
		s.fail(w, r, guildhall.Forbidden("Only admins of %s and site admins can change it.", g.Name))
		return nil, false
	}
	return g, true
}

func (s *Server) settingsForm(r *http.Request, g *guildhall.GroupView) (templates.SettingsForm, error) {
	f := templates.SettingsForm{Page: s.page(r, "Settings · "+g.Name, "groups"), Slug: g.Slug, GroupName: g.Name,
		Name: g.Name, Description: g.Description, Privacy: string(g.Privacy), CurrentPrivacy: string(g.Privacy),
		MembersCanApprove: g.MembersCanApprove, MembersCanInvite: g.MembersCanInvite, ShowMemberList: g.ShowMemberList}
	qs, err := s.Membership.Questions(r.Context(), viewer(r), g.ID)
	if err != nil {
		return f, err
	}
	f.Questions = questionRows(qs)
	return f, nil
}

func questionRows(qs []guildhall.Question) []templates.QuestionRow {
	rows := make([]templates.QuestionRow, guildhall.MaxQuestions)
	for i := range rows {
		rows[i].Index = i + 1
		if i < len(qs) {
			rows[i].Text, rows[i].Required = qs[i].Text, qs[i].Required
		}
	}
	return rows
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	f, err := s.settingsForm(r, g)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.GroupSettings(f))
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	name, desc := r.PostFormValue("name"), r.PostFormValue("description")
	privacy := guildhall.Privacy(r.PostFormValue("privacy"))
	approve, invite, show := r.PostFormValue("membersCanApprove") == "on", r.PostFormValue("membersCanInvite") == "on", r.PostFormValue("showMemberList") == "on"
	u := guildhall.GroupUpdate{Name: &name, Description: &desc, Privacy: &privacy,
		MembersCanApprove: &approve, MembersCanInvite: &invite, ShowMemberList: &show}

	// A change that decides pending requests is confirmed first: on the
	// confirmation page, or by having seen its effect stated live on the
	// settings page. Either way the number confirmed goes to the service,
	// which refuses the change if it would now decide another number (a
	// request arrived meanwhile); the page then asks again.
	changing := privacy != g.Privacy && privacy.Valid()
	hidden := hiddenSettings(name, desc, privacy, approve, invite, show)
	if changing {
		n, seen := templates.ParsePrivacySeen(r.PostFormValue("previewed"), string(privacy))
		if !seen {
			asked, err := s.confirmPrivacy(w, r, g, privacy, hidden)
			if err != nil || asked {
				if err != nil {
					s.fail(w, r, err)
				}
				return
			}
		}
		u.ExpectDecided = &n
	}
	updated, err := s.Groups.UpdateGroup(r.Context(), a, g.ID, u)
	if changing && errors.Is(err, guildhall.ErrFailedPrecondition) {
		// The number changed since it was shown: ask again with the new
		// one, or, if the change now decides nothing, save it (that needs
		// no confirmation).
		asked, cerr := s.confirmPrivacy(w, r, g, privacy, hidden)
		if cerr != nil || asked {
			if cerr != nil {
				s.fail(w, r, cerr)
			}
			return
		}
		none := 0
		u.ExpectDecided = &none
		updated, err = s.Groups.UpdateGroup(r.Context(), a, g.ID, u)
	}
	if errors.Is(err, guildhall.ErrInvalid) {
		f, ferr := s.settingsForm(r, g)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		f.Name, f.Description, f.Privacy = name, desc, string(privacy)
		f.MembersCanApprove, f.MembersCanInvite, f.ShowMemberList = approve, invite, show
		f.Errors = guildhall.FieldErrors(err)
		if f.Effect, err = s.privacyChange(r, g, privacy); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.GroupSettings(f))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Settings saved.")
	s.redirect(w, r, "/groups/"+updated.Slug+"/settings")
}

// confirmPrivacy shows the confirmation page of a privacy change that
// decides pending requests, with the number it decides now, and reports
// whether it did; a change that decides none needs no confirmation.
func (s *Server) confirmPrivacy(w http.ResponseWriter, r *http.Request, g *guildhall.GroupView, to guildhall.Privacy, hidden []templates.Option) (bool, error) {
	effect, err := s.privacyChange(r, g, to)
	if err != nil || effect.Text() == "" {
		return false, err
	}
	s.render(w, r, http.StatusOK, templates.ConfirmPrivacyChange(templates.ConfirmPrivacy{
		Page: s.page(r, "Confirm privacy change", "groups"), Slug: g.Slug, Effect: effect, Hidden: hidden}))
	return true, nil
}

// privacyChange asks the service what changing g to privacy to would do to
// its pending join requests (nothing when to is g's privacy or invalid).
func (s *Server) privacyChange(r *http.Request, g *guildhall.GroupView, to guildhall.Privacy) (templates.PrivacyChange, error) {
	c := templates.PrivacyChange{To: string(to)}
	if to == g.Privacy || !to.Valid() {
		return c, nil
	}
	p, err := s.Membership.PreviewPrivacyChange(r.Context(), viewer(r), g.ID, to)
	if err != nil {
		return c, err
	}
	c.Approvals, c.Rejects = p.Approvals, p.Rejects
	return c, nil
}

func hiddenSettings(name, desc string, p guildhall.Privacy, approve, invite, show bool) []templates.Option {
	h := []templates.Option{{Value: "name", Label: name}, {Value: "description", Label: desc}, {Value: "privacy", Label: string(p)}}
	for _, c := range []struct {
		name string
		on   bool
	}{{"membersCanApprove", approve}, {"membersCanInvite", invite}, {"showMemberList", show}} {
		if c.on {
			h = append(h, templates.Option{Value: c.name, Label: "on"})
		}
	}
	return h
}

// privacyPreview answers the settings page's live note as the choice changes.
func (s *Server) privacyPreview(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	effect, err := s.privacyChange(r, g, guildhall.Privacy(r.URL.Query().Get("privacy")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.PrivacyEffect(effect))
}

func (s *Server) saveQuestions(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, guildhall.Forbidden("The form could not be read."))
		return
	}
	required := map[string]bool{}
	for _, v := range r.PostForm["required"] {
		required[v] = true
	}
	var qs []guildhall.QuestionInput
	for i, text := range r.PostForm["question"] {
		if strings.TrimSpace(text) == "" {
			continue
		}
		qs = append(qs, guildhall.QuestionInput{Text: text, Required: required[strconv.Itoa(i+1)]})
	}
	_, err := s.Membership.SetQuestions(r.Context(), viewer(r), g.ID, qs)
	if errors.Is(err, guildhall.ErrInvalid) {
		f, ferr := s.settingsForm(r, g)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		f.QuestionErrors = guildhall.FieldErrors(err)
		if len(f.QuestionErrors) > 0 {
			f.QuestionErrors[""] = guildhall.Message(err)
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.GroupSettings(f))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Membership questions saved.")
	s.redirect(w, r, "/groups/"+g.Slug+"/settings")
}

func (s *Server) deletePage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, templates.DeleteGroup(templates.DeletePage{Page: s.page(r, "Delete "+g.Name, "groups"), Slug: g.Slug, Name: g.Name}))
}

func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	deleted, err := s.Groups.DeleteGroup(r.Context(), viewer(r), g.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Deleted “"+deleted.Name+"”.")
	s.redirect(w, r, "/groups")
}
