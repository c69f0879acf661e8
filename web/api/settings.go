package api

import (
	"bytes"
	"net/http"

	"guildhall/internal/guildhall"

	jsonv2 "github.com/go-json-experiment/json"
)

// updateSettingsBody changes the fields given. A lifecycle field given null
// (as GET shows an off timer) or 0 turns that timer off; one left out stays
// as it is.
type updateSettingsBody struct {
	CreationPolicy    guildhall.CreationPolicy `json:"creationPolicy,omitempty" enum:"ADMINS_ONLY,ALL_MEMBERS,MEMBERS_WITH_APPROVAL"`
	ExpireAfterDays   optionalDays             `json:"expireAfterDays,omitempty"`
	RemindAfterDays   optionalDays             `json:"remindAfterDays,omitempty"`
	EscalateAfterDays optionalDays             `json:"escalateAfterDays,omitempty"`
}

// optionalDays is a lifecycle field of a PATCH, which has three states a
// *int cannot tell apart: left out (keep), null (off) and a number.
type optionalDays struct {
	given bool
	days  *int
}

// UnmarshalJSON is called only when the field is in the body, null included.
func (o *optionalDays) UnmarshalJSON(b []byte) error {
	o.given = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	var n int
	if err := jsonv2.Unmarshal(b, &n); err != nil {
		return err
	}
	o.days = &n
	return nil
}

// update is the service's form: nil keeps, 0 turns off.
func (o optionalDays) update() *int {
	switch {
	case !o.given:
		return nil
	case o.days == nil:
		off := 0
		return &off
	}
	return o.days
}

// jsonSchema: an integer, or null for off.
func (optionalDays) jsonSchema() map[string]any {
	return map[string]any{"type": []any{"integer", "null"}}
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
	u := guildhall.SettingsUpdate{ExpireAfterDays: body.ExpireAfterDays.update(),
		RemindAfterDays: body.RemindAfterDays.update(), EscalateAfterDays: body.EscalateAfterDays.update()}
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
