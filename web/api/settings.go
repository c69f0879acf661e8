package api

import (
	"net/http"

	"guildhall/internal/guildhall"
)

// updateSettingsBody changes the fields given. A lifecycle field given 0
// turns that timer off; one left out stays as it is.
type updateSettingsBody struct {
	CreationPolicy    guildhall.CreationPolicy `json:"creationPolicy,omitempty" enum:"ADMINS_ONLY,ALL_MEMBERS,MEMBERS_WITH_APPROVAL"`
	ExpireAfterDays   *int                     `json:"expireAfterDays,omitempty"`
	RemindAfterDays   *int                     `json:"remindAfterDays,omitempty"`
	EscalateAfterDays *int                     `json:"escalateAfterDays,omitempty"`
}

func settingsOut(s *guildhall.SiteSettings) settingsResponse {
	return settingsResponse{Settings: siteSettingsJSON{CreationPolicy: s.CreationPolicy,
		ExpireAfterDays: s.ExpireAfterDays, RemindAfterDays: s.RemindAfterDays, EscalateAfterDays: s.EscalateAfterDays,
		UpdatedDate: s.UpdatedAt.UTC()}}
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
	if body == (updateSettingsBody{}) {
		return invalid(wholeBody, "Give creationPolicy or a lifecycle setting to change.")
	}
	u := guildhall.SettingsUpdate{ExpireAfterDays: body.ExpireAfterDays, RemindAfterDays: body.RemindAfterDays,
		EscalateAfterDays: body.EscalateAfterDays}
	if body.CreationPolicy != "" {
		u.CreationPolicy = &body.CreationPolicy
	}
	s, err := h.cfg.Settings.UpdateSettings(r.Context(), actor, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsOut(s))
	return nil
}
