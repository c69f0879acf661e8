package web

import (
	"net/http"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// groupRoutes registers the group pages.
func (s *Server) groupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /groups", s.groupsPage)
}

func (s *Server) groupsPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, templates.Groups(templates.GroupsPage{Page: s.page(r, "Groups", "groups")}))
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
