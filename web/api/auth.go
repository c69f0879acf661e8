package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"guildhall/internal/guildhall"
)

// authenticate finds the actor of the call's bearer token and charges the
// call to that token's rate limit. Only the Authorization header counts: a
// browser's session cookie is never looked at, so a page on another site
// cannot make a signed-in browser call the API.
func (h *Handler) authenticate(r *http.Request) (guildhall.Actor, error) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return guildhall.Actor{}, guildhall.Unauthenticated(
			"Send an API token in the header \"Authorization: Bearer <token>\"; make one on your profile page (/profile).")
	}
	actor, err := h.cfg.Tokens.Authenticate(r.Context(), token)
	if err != nil {
		return guildhall.Actor{}, err
	}
	if h.cfg.Limiter != nil {
		// Keyed by the token's sha256, so no token is kept anywhere.
		sum := sha256.Sum256([]byte(token))
		waits, err := h.cfg.Limiter.Take(r.Context(), time.Now(), guildhall.Bucket{
			Key:   "api-token:" + hex.EncodeToString(sum[:]),
			Limit: guildhall.Limit{Rate: float64(h.cfg.RateLimit), Burst: h.cfg.Burst},
		})
		if err != nil {
			return guildhall.Actor{}, err
		}
		if waits[0] > 0 {
			return guildhall.Actor{}, &rateLimitError{retryAfter: waits[0]}
		}
	}
	return actor, nil
}
