package web

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"guildhall/internal/guildhall"
)

type ctxKey int

const (
	ctxRequest ctxKey = iota
	ctxActor
	ctxSession  // *loadedSession
	ctxNav      // guildhall.NavCounts of the signed-in actor
	ctxSettings // *guildhall.SiteSettings read with the session
)

// requestInfo travels in the context so the access log learns what inner
// handlers decided (the route pattern).
type requestInfo struct {
	id         string
	pattern    string
	trustProxy bool
}

// middleware wraps h in the chain every request passes, outermost first.
func (s *Server) middleware(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, guildhall.Forbidden("This request came from another site and was refused."))
	}))
	h = s.authenticate(h)
	h = skipAPI(cop.Handler(h), h)
	h = securityHeaders(h)
	h = s.recoverPanics(h)
	return s.accessLog(h)
}

// skipAPI sends calls under /api/ to api, the rest to pages: the API
// checks the origin of calls itself, to refuse in its own JSON shape.
func skipAPI(pages, api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

// recordPattern copies the pattern ServeMux matched into the request info;
// mux sets r.Pattern on the request it was handed.
func recordPattern(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if info, ok := r.Context().Value(ctxRequest).(*requestInfo); ok {
			info.pattern = r.Pattern
		}
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog gives every request an id and writes one log line for it.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: rand.Text()[:16], trustProxy: s.proxied(r)}
		w.Header().Set("X-Request-ID", info.id)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxRequest, info)))
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if s.Requests != nil {
			s.Requests.ObserveRequest(info.pattern, sw.status, time.Since(start))
		}
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("route", info.pattern),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
			slog.String("request_id", info.id),
		)
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic", "panic", v, "request_id", requestID(r))
				w.Header().Set("Connection", "close")
				s.fail(w, r, errPanic)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// csp forbids inline script and anything loaded from elsewhere.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the signed-in account in the context and sends anyone
// else away from every page that is not public.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sessionless(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		// One round trip: the session, its account and the navigation's
		// counts.
		r, err := s.Sessions.signedIn(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if _, ok := actorFrom(r); !ok && !publicPath(r.URL.Path) {
			s.toLogin(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sessionless reports whether path never looks at the session: health
// checks must answer whatever the session store does, static files need no
// database, and the API takes tokens only.
func sessionless(path string) bool {
	return path == "/healthz" || path == "/readyz" || strings.HasPrefix(path, "/static/") || strings.HasPrefix(path, "/api/")
}

// toLogin redirects to the sign-in page, remembering where the visitor was.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	s.redirect(w, r, target)
}

// viewer is the signed-in actor; authenticate guarantees one on every page
// that is not public.
func viewer(r *http.Request) guildhall.Actor {
	a, _ := actorFrom(r)
	return a
}

func actorFrom(r *http.Request) (guildhall.Actor, bool) {
	a, ok := r.Context().Value(ctxActor).(guildhall.Actor)
	return a, ok
}

func requestID(r *http.Request) string {
	if info, ok := r.Context().Value(ctxRequest).(*requestInfo); ok {
		return info.id
	}
	return ""
}

// isTLS reports whether the request came over TLS, directly or as a trusted
// proxy says (X-Forwarded-Proto is honoured only with TrustProxy).
func isTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if info, ok := r.Context().Value(ctxRequest).(*requestInfo); ok && info.trustProxy {
		return strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	}
	return false
}
