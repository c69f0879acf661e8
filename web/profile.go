package web

import (
	"errors"
	"net/http"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

func (s *Server) profileRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /profile", s.profilePage)
	mux.HandleFunc("POST /profile", s.saveProfile)
	mux.HandleFunc("POST /profile/tokens", s.createToken)
	mux.HandleFunc("POST /profile/tokens/{id}/revoke", s.revokeToken)
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	s.renderProfile(w, r, http.StatusOK, templates.ProfileForm{
		Email: a.Email, DisplayName: a.DisplayName, PublicProfile: a.PublicProfile,
		Saved: r.URL.Query().Get("saved") == "1"})
}

// renderProfile renders the profile page around f, listing the viewer's
// tokens.
func (s *Server) renderProfile(w http.ResponseWriter, r *http.Request, status int, f templates.ProfileForm) {
	a, _ := actorFrom(r)
	tokens, err := s.Tokens.ListTokens(r.Context(), a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Page = s.page(r, "Profile", "profile")
	if s.EmailOn && s.Email != nil && f.EmailChoices == nil {
		prefs, err := s.Email.EmailPreferences(r.Context(), a)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.EmailChoices = emailChoices(prefs)
	}
	f.Tokens.CanElevate = guildhall.CanCreateElevatedToken(a)
	for _, t := range tokens {
		row := templates.TokenRow{ID: t.ID, Name: t.Name, Elevated: t.Elevated, Created: templates.When(t.CreatedAt)}
		if t.LastUsedAt != nil {
			row.LastUsed = templates.When(*t.LastUsedAt)
		}
		f.Tokens.Rows = append(f.Tokens.Rows, row)
	}
	s.render(w, r, status, templates.Profile(f))
}

func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	p := guildhall.ProfileUpdate{DisplayName: r.PostFormValue("displayName"), PublicProfile: r.PostFormValue("publicProfile") == "on"}
	prefs := guildhall.EmailPreferences{}
	if s.EmailOn && s.Email != nil {
		for _, t := range guildhall.EmailTopics {
			if v := r.PostFormValue("email." + string(t)); v != "" {
				prefs[t] = guildhall.EmailMode(v)
			}
		}
	}
	// One call: a bad email choice refuses the display name too.
	p.Email = prefs
	_, err := s.Accounts.UpdateProfile(r.Context(), a, p)
	if errors.Is(err, guildhall.ErrInvalid) {
		f := templates.ProfileForm{Email: a.Email, DisplayName: p.DisplayName, PublicProfile: p.PublicProfile, Errors: guildhall.FieldErrors(err)}
		if len(prefs) > 0 {
			f.EmailChoices = emailChoices(prefs)
		}
		s.renderProfile(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/profile?saved=1")
}

// createToken makes an API token and shows it on the profile page, the only
// time it is ever seen (so no redirect: the token must not wait in the
// session).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	name, elevated := r.PostFormValue("name"), r.PostFormValue("elevated") == "on"
	f := templates.ProfileForm{Email: a.Email, DisplayName: a.DisplayName, PublicProfile: a.PublicProfile}
	token, t, err := s.Tokens.CreateToken(r.Context(), a, name, elevated)
	switch {
	case errors.Is(err, guildhall.ErrInvalid), errors.Is(err, guildhall.ErrForbidden):
		f.Tokens.Name, f.Tokens.Elevated, f.Tokens.Errors = name, elevated, guildhall.FieldErrors(err)
		if errors.Is(err, guildhall.ErrForbidden) {
			f.Tokens.Errors = map[string]string{"": guildhall.Message(err)}
		}
		s.renderProfile(w, r, http.StatusUnprocessableEntity, f)
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	f.Tokens.Created, f.Tokens.CreatedName = token, t.Name
	s.renderProfile(w, r, http.StatusOK, f)
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	if err := s.Tokens.RevokeToken(r.Context(), a, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Token revoked. Calls with it are refused from now on.")
	s.redirect(w, r, "/profile")
}

// emailChoices is the profile's email section for prefs.
func emailChoices(prefs guildhall.EmailPreferences) []templates.EmailChoice {
	out := make([]templates.EmailChoice, len(guildhall.EmailTopics))
	for i, t := range guildhall.EmailTopics {
		m, ok := prefs[t]
		if !ok {
			m = guildhall.EmailAtOnce
		}
		out[i] = templates.EmailChoice{Topic: string(t), Label: t.Label(), Mode: string(m)}
	}
	return out
}
