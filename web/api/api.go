// Package api is Guildhall's JSON API under /api/v1: the same functions as
// the dashboard, for scripts, through the same services and rules. Callers
// authenticate with a bearer token (never the browser session); every route
// is listed once, in routes(), which both registers the handlers and writes
// the OpenAPI document served at /api/v1/openapi.json.
package api

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/time/rate"

	"guildhall/internal/guildhall"
)

// BasePath is where the API is mounted.
const BasePath = "/api/v1"

// Config holds the services the API calls; cmd builds it.
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
	// RateLimit is how many calls a second one token may make on average,
	// Burst how many it may make at once; zero values take the defaults.
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
	cfg    Config
	limits *limiters
	routes []route
	// muxes serve the routes; see register.
	muxes   []*http.ServeMux
	openapi []byte
}

// New builds the API handler and its routes.
func New(cfg Config) *Handler {
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.Burst == 0 {
		cfg.Burst = DefaultBurst
	}
	h := &Handler{cfg: cfg, limits: newLimiters(cfg.RateLimit, cfg.Burst)}
	h.routes = h.routeTable()
	h.register()
	h.openapi = buildOpenAPI(h.routes)
	return h
}

// register puts every route in a ServeMux. One ServeMux cannot hold two
// patterns that both match a path without one being more specific:
// GET /groups/by-slug/{slug} and GET /groups/{id}/members both match
// /groups/by-slug/members. Such a route goes to a further mux, and the
// routes are placed literal-first (by-slug before {id}), so the mux asked
// first holds the one whose literal segment comes earlier.
func (h *Handler) register() {
	ordered := slices.Clone(h.routes)
	slices.SortStableFunc(ordered, func(a, b route) int { return compareLiteralFirst(a.Path, b.Path) })
	var placed [][]route
	for _, rt := range ordered {
		i := slices.IndexFunc(placed, func(in []route) bool {
			return !slices.ContainsFunc(in, func(o route) bool { return conflict(o, rt) })
		})
		if i < 0 {
			i = len(placed)
			placed = append(placed, nil)
			h.muxes = append(h.muxes, http.NewServeMux())
		}
		placed[i] = append(placed[i], rt)
		h.muxes[i].Handle(rt.pattern(), h.endpoint(rt))
	}
}

// compareLiteralFirst orders paths so that at the first segment where one
// has a literal and the other a wildcard, the literal comes first.
func compareLiteralFirst(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := range min(len(as), len(bs)) {
		if aw, bw := isWildcard(as[i]), isWildcard(bs[i]); aw != bw {
			if aw {
				return 1
			}
			return -1
		}
	}
	return 0
}

func isWildcard(seg string) bool { return strings.HasPrefix(seg, "{") }

// conflict reports whether a ServeMux would refuse a and b together: the
// same method, and some path matches both while neither pattern matches
// only a subset of what the other does.
func conflict(a, b route) bool {
	if a.Method != b.Method {
		return false
	}
	as, bs := strings.Split(a.Path, "/"), strings.Split(b.Path, "/")
	if len(as) != len(bs) {
		return false
	}
	var aNarrower, bNarrower bool
	for i := range as {
		aw, bw := isWildcard(as[i]), isWildcard(bs[i])
		switch {
		case !aw && !bw && as[i] != bs[i]:
			return false // no path matches both
		case !aw && bw:
			aNarrower = true
		case aw && !bw:
			bNarrower = true
		}
	}
	return aNarrower && bNarrower
}

// ServeHTTP serves one API call.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if mux := h.muxFor(r); mux != nil {
		mux.ServeHTTP(w, r)
		return
	}
	h.noRoute(w, r)
}

// muxFor returns the first mux with a route for r, or nil.
func (h *Handler) muxFor(r *http.Request) *http.ServeMux {
	for _, m := range h.muxes {
		if _, pattern := m.Handler(r); pattern != "" {
			return m
		}
	}
	return nil
}

// handlerFunc is an endpoint: it writes its answer and returns nil, or
// returns an error that writeError turns into the error body.
type handlerFunc func(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error

// endpoint wraps a route's handler with authentication, the rate limit and
// the error answer.
func (h *Handler) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var actor guildhall.Actor
		if !rt.Public {
			var err error
			actor, err = h.authenticate(r)
			if err != nil {
				h.writeError(w, r, err)
				return
			}
		}
		if rt.Body == nil {
			// A call that takes no body still refuses one it cannot take
			// (api.md: over 1 MiB is 413, unknown fields are 400).
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
		if h.muxFor(probe) != nil {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		h.writeError(w, r, &statusError{status: http.StatusMethodNotAllowed, code: codeNotFound,
			msg: r.Method + " is not supported here; use " + strings.Join(allowed, " or ") + "."})
		return
	}
	h.writeError(w, r, guildhall.NotFound("There is no API endpoint %s %s; see %s/openapi.json.", r.Method, r.URL.Path, BasePath))
}
