package web

import (
	"net/http"

	"guildhall/static"
)

// routes lists every route of Guildhall in one place.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /static/", staticHandler(static.FS))

	mux.HandleFunc("GET /signup", s.signupPage)
	mux.HandleFunc("POST /signup", s.signup)
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)

	mux.HandleFunc("GET /{$}", s.home)

	s.profileRoutes(mux)      // profile.go: profile and API tokens
	s.groupRoutes(mux)        // groups.go: directory, new, group page, settings, delete
	s.adminRoutes(mux)        // admin.go: site settings, create requests, audit, /me/requests
	s.membershipRoutes(mux)   // membership.go: join, leave, members, join requests, inbox
	s.notificationRoutes(mux) // notifications.go: the viewer's notifications
	if s.API != nil {
		mux.Handle("/api/v1/", s.API)
	}

	mux.HandleFunc("/", s.notFoundPage)
	return s.checkInput(mux, recordPattern(mux))
}

// publicPath reports whether path may be served without a session; every
// other path needs one (deny by default).
func publicPath(path string) bool {
	switch path {
	case "/signup", "/login", "/healthz", "/readyz":
		return true
	}
	return len(path) > len("/static/") && path[:len("/static/")] == "/static/" || len(path) >= len("/api/") && path[:len("/api/")] == "/api/"
}
