// Package api is Guildhall's JSON API under /api/v1: the same functions as
// the dashboard, for scripts, through the same services and rules. Callers
// authenticate with a bearer token (never the browser session); every route
// is listed once, in routes(), which both registers the handlers and writes
// the OpenAPI document served at /api/v1/openapi.json.
package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"golang.org/x/time/rate"

	"guildhall/internal/guildhall"
	"guildhall/web/input"
)

// BasePath is where the API is mounted.
const BasePath = "/api/v1"

// Config holds the services the API calls; package app builds it.
type Config struct {
	Logger *slog.Logger
	// Accounts is not called by any endpoint yet; it is here so that the
	// API is built from the same services as the dashboard.
	Accounts       guildhall.AccountService
	Groups         guildhall.GroupService
	Settings       guildhall.SettingsService
	CreateRequests guildhall.CreateRequestService
	Membership     guildhall.MembershipService
	Tokens         guildhall.TokenService
	Notifications  guildhall.NotificationService
	Webhooks       guildhall.WebhookService
	// RateLimit is how many calls a second one token may make on average,
	// Burst how many it may make at once; zero values take the defaults.
	// Tokens.Authenticate keeps each token's bucket where every instance
	// shares it (postgres.TokenService: in rate_limits, as postgres.Limiter
	// keeps the sign-in limits).
	RateLimit rate.Limit
	Burst     int
}

// Default rate limit of one token: generous for a script working through
// a long list (200 calls at once, then 20 a second), while a runaway loop
// is stopped within a second.
const (
	DefaultRateLimit rate.Limit = 20
	DefaultBurst     int        = 200
)

// Handler serves the API.
type Handler struct {
	cfg Config
	// limit is the per-token limit of cfg, as each call charges it.
	limit  guildhall.Limit
	routes []route
	// mux serves the routes; shared serves, by path, those of sharedShape
	// (see register).
	mux     *http.ServeMux
	shared  map[string]http.Handler
	openapi []byte
	// crossOrigin refuses state changes a browser sends from another site.
	crossOrigin *http.CrossOriginProtection
}

// New builds the API handler and its routes.
func New(cfg Config) *Handler {
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	h := &Handler{cfg: cfg, crossOrigin: http.NewCrossOriginProtection(),
		limit: guildhall.Limit{Rate: float64(cfg.RateLimit), Burst: cfg.Burst}}
	h.routes = h.routeTable()
	h.register()
	h.openapi = buildOpenAPI(h.routes)
	return h
}

// sharedShape is the one pattern of the GET routes a ServeMux cannot hold
// together: /groups/by-slug/{slug} beside /groups/{id}/members and
// /groups/{id}/join-requests, as /groups/by-slug/members matches two of
// them and neither is the more specific. They share this pattern and one
// handler, which picks the route with sharedPath.
const sharedShape = "GET " + BasePath + "/groups/{id}/{sub}"

const bySlugPath = "/groups/by-slug/{slug}"

var sharedPaths = []string{bySlugPath, "/groups/{id}/members", "/groups/{id}/join-requests"}

// sharedPath is the route of sharedShape that serves /groups/{id}/{sub}, or
// "" when none does. by-slug is taken first: the literal wins where a path
// could be read either way.
func sharedPath(id, sub string) string {
	if id == "by-slug" {
		return bySlugPath
	}
	if p := "/groups/{id}/" + sub; slices.Contains(sharedPaths, p) {
		return p
	}
	return ""
}

// register puts every route in one ServeMux, those of sharedShape behind
// its one handler.
func (h *Handler) register() {
	h.mux, h.shared = http.NewServeMux(), map[string]http.Handler{}
	for _, rt := range h.routes {
		if rt.Method == http.MethodGet && slices.Contains(sharedPaths, rt.Path) {
			h.shared[rt.Path] = h.endpoint(rt)
			continue
		}
		h.mux.Handle(rt.pattern(), h.endpoint(rt))
	}
	h.mux.HandleFunc(sharedShape, func(w http.ResponseWriter, r *http.Request) {
		p := sharedPath(r.PathValue("id"), r.PathValue("sub"))
		if p == "" {
			h.unknownRoute(w, r)
			return
		}
		if p == bySlugPath {
			r.SetPathValue("slug", r.PathValue("sub"))
		}
		r.Pattern = http.MethodGet + " " + BasePath + p
		h.shared[p].ServeHTTP(w, r)
	})
	h.mux.HandleFunc(anyOther, h.unknownRoute)
}

// anyOther is the pattern of every call no route serves: the mux hands
// them to unknownRoute rather than answering in plain text itself.
const anyOther = "/"

// unknownRoute answers a call that matched no route, after the same check
// of its path and query as a route's (input.Check, no pattern).
func (h *Handler) unknownRoute(w http.ResponseWriter, r *http.Request) {
	if err := input.Check(r, ""); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.noRoute(w, r)
}

// ServeHTTP serves one API call. Before any route runs, a call a browser
// sent from another site is refused (the API takes no cookies, so this is
// belt and braces, but a refusal is still an API answer: JSON in the error
// shape), and so is a path value or query parameter that is not text
// (input.Check, which each route and unknownRoute run first).
//
// A clean path is matched once, by the mux. A path the mux would clean
// (//, /./, /../) is matched first to keep its answers: a route's is
// redirected to the clean path, any other is not found.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.crossOrigin.Check(r); err != nil {
		h.writeError(w, r, guildhall.Forbidden("This call came from a page on another site and was refused."))
		return
	}
	if p := r.URL.EscapedPath(); cleanPath(p) == p {
		// The mux writes the pattern it matched into r, which the access
		// log and the metrics read as the route; a call no route serves
		// keeps the one it came with (the server's, /api/v1/), as before.
		outer := r.Pattern
		h.mux.ServeHTTP(w, r)
		if r.Pattern == anyOther || r.Pattern == sharedShape {
			r.Pattern = outer
		}
		return
	}
	pattern := h.pattern(r)
	if err := input.Check(r, pattern); err != nil {
		h.writeError(w, r, err)
		return
	}
	if pattern == "" {
		h.noRoute(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// cleanPath is the path the mux serves p as (net/http's cleanPath): it
// redirects any other to this one.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	// path.Clean drops a trailing slash, which the mux keeps.
	if p[len(p)-1] == '/' && np != "/" {
		if len(p) == len(np)+1 && strings.HasPrefix(p, np) {
			np = p
		} else {
			np += "/"
		}
	}
	return np
}

// pattern is the pattern of the route that serves r, or "" when none does.
func (h *Handler) pattern(r *http.Request) string {
	_, pattern := h.mux.Handler(r)
	if pattern == anyOther {
		return ""
	}
	if pattern != sharedShape {
		return pattern
	}
	// The mux matched, so the path, cleaned as the mux cleans it, is
	// BasePath/groups/{id}/{sub}.
	id, sub, _ := strings.Cut(strings.TrimPrefix(path.Clean(r.URL.EscapedPath()), BasePath+"/groups/"), "/")
	id, _ = url.PathUnescape(id)
	sub, _ = url.PathUnescape(sub)
	if p := sharedPath(id, sub); p != "" {
		return http.MethodGet + " " + BasePath + p
	}
	return ""
}

// handlerFunc is an endpoint: it writes its answer and returns nil, or
// returns an error that writeError turns into the error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error

// endpoint wraps a route's handler with the check of its input,
// authentication, the rate limit and the error answer.
func (h *Handler) endpoint(rt route) http.Handler {
	pattern := rt.pattern()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := input.Check(r, pattern); err != nil {
			h.writeError(w, r, err)
			return
		}
		var actor guildhall.Actor
		if !rt.Public {
			var err error
			actor, err = h.authenticate(r)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		if rt.Body == nil && r.Body != http.NoBody {
			// A call that takes no body still refuses one it cannot take
			// (api.md: over 1 MiB is 413, unknown fields are 400). The
			// server gives a call sent without one http.NoBody, which
			// reads as empty: nothing to read.
			if err := decode(w, r, &struct{}{}, true); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		if err := rt.handle(w, r, actor); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// noRoute answers every call that no route serves: 405 when
// the path exists with other methods, else 404.
func (h *Handler) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if h.pattern(probe) != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		h.writeError(w, r, &statusError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
			msg: r.Method + " is not supported here; use " + strings.Join(allowed, " or ") + "."})
		return
	}
	h.writeError(w, r, guildhall.NotFound("There is no API endpoint %s %s; see %s/openapi.json.", r.Method, r.URL.Path, BasePath))
}
