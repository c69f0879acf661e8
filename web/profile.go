package web

import (
	"errors"
	"net/http"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	s.render(w, r, http.StatusOK, templates.Profile(templates.ProfileForm{
		Page: s.page(r, "Profile", "profile"), Email: a.Email, DisplayName: a.DisplayName,
		PublicProfile: a.PublicProfile, Saved: r.URL.Query().Get("saved") == "1"}))
}

func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) {
	a, _ := actorFrom(r)
	p := guildhall.ProfileUpdate{DisplayName: r.PostFormValue("displayName"), PublicProfile: r.PostFormValue("publicProfile") == "on"}
	_, err := s.Accounts.UpdateProfile(r.Context(), a, p)
	if errors.Is(err, guildhall.ErrInvalid) {
		s.render(w, r, http.StatusUnprocessableEntity, templates.Profile(templates.ProfileForm{
			Page: s.page(r, "Profile", "profile"), Email: a.Email, DisplayName: p.DisplayName,
			PublicProfile: p.PublicProfile, Errors: guildhall.FieldErrors(err)}))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/profile?saved=1")
}
