package api

import (
	"net/http"

	"guildhall/internal/guildhall"
)

type updateSettingsBody struct {
	CreationPolicy guildhall.CreationPolicy `json:"creationPolicy" enum:"ADMINS_ONLY,ALL_MEMBERS,MEMBERS_WITH_APPROVAL"`
}

func settingsOut(s *guildhall.SiteSettings) settingsResponse {
	return settingsResponse{Settings: siteSettingsJSON{CreationPolicy: s.CreationPolicy, UpdatedDate: s.UpdatedAt.UTC()}}
}

func (h *Handler) getSettings(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	// Reading the settings has no actor in the service; the rule is the
	// one that guards changing them.
	if !guildhall.CanAdministerSite(actor) {
		return guildhall.Forbidden("Only site admins can read the site settings.")
	}
	s, err := h.cfg.Settings.SiteSettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsOut(s))
	return nil
}

func (h *Handler) updateSettings(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body updateSettingsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	s, err := h.cfg.Settings.SetCreationPolicy(r.Context(), actor, body.CreationPolicy)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsOut(s))
	return nil
}
