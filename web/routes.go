package web

import (
	"io/fs"
	"net/http"
	"strings"

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
	s.groupRoutes(mux)        // groups.go, group_settings.go: directory, new, group page, settings, delete
	s.adminRoutes(mux)        // admin.go: site settings, create requests, audit, /me/requests
	s.membershipRoutes(mux)   // membership.go: join, leave, members, join requests, inbox
	s.notificationRoutes(mux) // notifications.go: the viewer's notifications
	s.unsubscribeRoutes(mux)  // unsubscribe.go: signed links in emails, no session
	s.webhookRoutes(mux)      // webhooks.go: the site's and the groups' webhook endpoints
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
	case "/signup", "/login", "/healthz", "/readyz", "/unsubscribe":
		return true
	}
	return len(path) > len("/static/") && path[:len("/static/")] == "/static/" || len(path) >= len("/api/") && path[:len("/api/")] == "/api/"
}

// staticHandler serves the embedded files with long cache lifetimes: every
// file name that may change carries its version (htmx-2.0.11.min.js).
func staticHandler(fsys fs.FS) http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		if strings.Contains(r.URL.Path, "/js/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		files.ServeHTTP(w, r)
	})
}
