package web

import (
	"net/http"

	"guildhall/internal/guildhall"
)

// membershipRoutes registers joining, members, join requests and the inbox.
func (s *Server) membershipRoutes(mux *http.ServeMux) {}

// inboxCount is how many join requests wait for the viewer's decision.
func (s *Server) inboxCount(r *http.Request, a guildhall.Actor) int { return 0 }
