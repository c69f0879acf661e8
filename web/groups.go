package web

import (
	"net/http"

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

// inboxCount is how many join requests wait for the viewer's decision.
func (s *Server) inboxCount(r *http.Request, a guildhall.Actor) int { return 0 }
