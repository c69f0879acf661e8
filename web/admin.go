package web

import "net/http"

// adminRoutes registers the site admin pages and the viewer's own requests.
func (s *Server) adminRoutes(mux *http.ServeMux) {}
