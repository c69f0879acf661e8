package api

import (
	"net/http"
	"strings"

	"guildhall/internal/guildhall"
)

// authenticate finds the actor of the call's bearer token and charges the
// call to that token's rate limit, in one step of the token service (one
// round trip). Only the Authorization header counts: a browser's session
// cookie is never looked at, so a page on another site cannot make a
// signed-in browser call the API.
func (h *Handler) authenticate(r *http.Request) (guildhall.Actor, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return guildhall.Actor{}, guildhall.Unauthenticated(
			"Send an API token in the header \"Authorization: Bearer <token>\"; make one on your profile page (/profile).")
	}
	actor, wait, err := h.cfg.Tokens.Authenticate(r.Context(), token, &h.limit)
	if err != nil {
		return guildhall.Actor{}, err
	}
	if wait > 0 {
		return guildhall.Actor{}, &rateLimitError{retryAfter: wait}
	}
	return actor, nil
}
