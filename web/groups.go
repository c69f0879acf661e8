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

// The directory shows 20 a page, at most 500 pages (10,000 groups deep);
// past that, search, filter or sort narrows the list. Its Next and
// Previous links carry a cursor (after=, before=) besides the page number,
// so a page reached by them costs what the first page costs, however deep;
// a page number alone (typed, or a cursor that no longer fits) pages by
// offset. The API's cursor paging reaches any depth.
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
	q := guildhall.GroupQuery{Sort: sort, Limit: directoryPageSize, Offset: (page - 1) * directoryPageSize, CountTotal: true}
	if after := qs.Get("after"); after != "" && page > 1 {
		q.Cursor = after
	} else if before := qs.Get("before"); before != "" && page > 1 {
		q.Cursor, q.Backward = before, true
	}
	if search != "" {
		// A search's total is counted only so far ("of more than 100"):
		// a word found in thousands of names costs what one found in a
		// hundred does. The directory's own totals (no search) stay exact
		// from the kept counts, and a search that finds up to a hundred
		// shows exactly how many.
		q.Conditions = append(q.Conditions, guildhall.NameContains(search))
		q.CountUpTo = guildhall.SearchCountUpTo
	}
	if p := guildhall.Privacy(privacy); p.Valid() {
		q.Conditions = append(q.Conditions, guildhall.PrivacyIs(p))
	} else {
		privacy = ""
	}
	res, err := s.Groups.QueryGroups(r.Context(), a, q)
	if errors.Is(err, guildhall.ErrInvalid) && q.Cursor != "" {
		// A cursor from another sort, or tampered with: the page number
		// still says where to go.
		q.Cursor, q.Backward = "", false
		res, err = s.Groups.QueryGroups(r.Context(), a, q)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	settings, err := s.siteSettings(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := templates.GroupsPage{Page: s.page(r, "Groups", "groups"), Search: search, Privacy: privacy, Sort: sortKey,
		Total: res.Total, TotalOver: res.TotalOver, CanCreate: guildhall.CanCreateOrRequestGroup(a, settings.CreationPolicy),
		WhoCanCreate: "Only site admins can create groups here: ask one to start a group for you."}
	for _, g := range res.Items {
		v.Groups = append(v.Groups, groupItem(g))
	}
	if len(v.Groups) > 0 {
		v.From, v.To = q.Offset+1, q.Offset+len(v.Groups)
	}
	link := func(p int, cursorKey, cursor string) string {
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
			if cursor != "" {
				u.Set(cursorKey, cursor)
			}
		}
		if len(u) == 0 {
			return "/groups"
		}
		return "/groups?" + u.Encode()
	}
	if page > 1 {
		v.PrevURL = link(page-1, "before", res.Prev)
	}
	if (q.Offset+len(res.Items) < res.Total || res.TotalOver) && page < directoryMaxPage {
		v.NextURL = link(page+1, "after", res.Next)
	}
	s.render(w, r, http.StatusOK, templates.Groups(v))
}

// groupItem is a directory card; the viewer's relation comes in the page's
// own query (no query per card).
func groupItem(g guildhall.GroupView) templates.GroupItem {
	item := templates.GroupItem{Name: g.Name, Slug: g.Slug, Description: excerpt(g.Description, 200),
		Privacy: g.Privacy.Label(), Members: g.MembersCount, Relation: g.ViewerRole.Label()}
	if g.ViewerRole == guildhall.RoleNone && g.HasPendingRequest {
		item.Relation = "Requested"
	}
	return item
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
	settings, err := s.siteSettings(r)
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
		mode, merr := s.creationMode(r)
		if merr != nil {
			s.fail(w, r, merr)
			return
		}
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
		CanLeave:         guildhall.CanLeave(a, &g.Group, g.ViewerRole),
		CanCancelRequest: g.HasPendingRequest,
		CanSeeMembers:    guildhall.CanSeeMemberList(a, &g.Group, g.ViewerRole),
		CanDecide:        guildhall.CanDecideJoinRequests(a, &g.Group, g.ViewerRole),
		CanManage:        guildhall.CanManageGroup(a, &g.Group, g.ViewerRole),
	}
	if v.CanDecide {
		// The count of the queue's own query: one row read, the total kept,
		// for the group read above (not read again).
		waiting, err := s.Membership.ListJoinRequestsOf(r.Context(), a, g, guildhall.RequestQuery{Status: guildhall.Pending, Limit: 1})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Waiting = waiting.Total
	}
	mode, _ := guildhall.HowCanJoin(a, &g.Group, g.ViewerRole, g.HasPendingRequest)
	v.CanJoin, v.CanRequest = mode == guildhall.JoinAtOnce, mode == guildhall.JoinByRequest
	if err := guildhall.JoinBlocked(a, &g.Group, g.ViewerRole); err != nil {
		v.JoinBlocked = guildhall.Message(err)
	}
	s.render(w, r, http.StatusOK, templates.GroupPage(v))
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
