package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

// The settings pages of a group: its name, description, privacy and member
// rules, and its membership questions.

// manageableGroup loads the group and refuses viewers who may not manage it.
func (s *Server) manageableGroup(w http.ResponseWriter, r *http.Request) (*guildhall.GroupView, bool) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return nil, false
	}
	if !guildhall.CanManageGroup(viewer(r), &g.Group, g.ViewerRole) {
		s.fail(w, r, guildhall.Forbidden("Only admins of %s and site admins can change it.", g.Name))
		return nil, false
	}
	return g, true
}

func (s *Server) settingsForm(r *http.Request, g *guildhall.GroupView) (templates.SettingsForm, error) {
	f := templates.SettingsForm{Page: s.page(r, "Settings · "+g.Name, "groups"), Slug: g.Slug, GroupName: g.Name,
		Name: g.Name, Description: g.Description, Privacy: string(g.Privacy), CurrentPrivacy: string(g.Privacy),
		MembersCanApprove: g.MembersCanApprove, MembersCanInvite: g.MembersCanInvite, ShowMemberList: g.ShowMemberList}
	qs, err := s.Membership.Questions(r.Context(), viewer(r), g.ID)
	if err != nil {
		return f, err
	}
	f.Questions = questionRows(qs)
	return f, nil
}

func questionRows(qs []guildhall.Question) []templates.QuestionRow {
	rows := make([]templates.QuestionRow, guildhall.MaxQuestions)
	for i := range rows {
		rows[i].Index = i + 1
		if i < len(qs) {
			rows[i].Text, rows[i].Required = qs[i].Text, qs[i].Required
		}
	}
	return rows
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	f, err := s.settingsForm(r, g)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.GroupSettings(f))
}

func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	name, desc := r.PostFormValue("name"), r.PostFormValue("description")
	privacy := guildhall.Privacy(r.PostFormValue("privacy"))
	approve, invite, show := r.PostFormValue("membersCanApprove") == "on", r.PostFormValue("membersCanInvite") == "on", r.PostFormValue("showMemberList") == "on"
	u := guildhall.GroupUpdate{Name: &name, Description: &desc, Privacy: &privacy,
		MembersCanApprove: &approve, MembersCanInvite: &invite, ShowMemberList: &show}

	// A change that decides pending requests is confirmed first: on the
	// confirmation page, or by having seen its effect stated live on the
	// settings page. Either way the number confirmed goes to the service,
	// which refuses the change if it would now decide another number (a
	// request arrived meanwhile); the page then asks again.
	changing := privacy != g.Privacy && privacy.Valid()
	hidden := hiddenSettings(name, desc, privacy, approve, invite, show)
	if changing {
		n, seen := parsePrivacySeen(r.PostFormValue("previewed"), privacy)
		if !seen {
			asked, err := s.confirmPrivacy(w, r, g, privacy, hidden)
			if err != nil || asked {
				if err != nil {
					s.fail(w, r, err)
				}
				return
			}
		}
		u.ExpectDecided = &n
	}
	updated, err := s.Groups.UpdateGroup(r.Context(), a, g.ID, u)
	if changing && errors.Is(err, guildhall.ErrFailedPrecondition) {
		// The number changed since it was shown: ask again with the new
		// one, or, if the change now decides nothing, save it (that needs
		// no confirmation).
		asked, cerr := s.confirmPrivacy(w, r, g, privacy, hidden)
		if cerr != nil || asked {
			if cerr != nil {
				s.fail(w, r, cerr)
			}
			return
		}
		none := 0
		u.ExpectDecided = &none
		updated, err = s.Groups.UpdateGroup(r.Context(), a, g.ID, u)
	}
	if errors.Is(err, guildhall.ErrInvalid) {
		f, ferr := s.settingsForm(r, g)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		f.Name, f.Description, f.Privacy = name, desc, string(privacy)
		f.MembersCanApprove, f.MembersCanInvite, f.ShowMemberList = approve, invite, show
		f.Errors = guildhall.FieldErrors(err)
		if f.Effect, err = s.privacyChange(r, g, privacy); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.GroupSettings(f))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Settings saved.")
	s.redirect(w, r, "/groups/"+updated.Slug+"/settings")
}

// confirmPrivacy shows the confirmation page of a privacy change that
// decides pending requests, with the number it decides now, and reports
// whether it did; a change that decides none needs no confirmation.
func (s *Server) confirmPrivacy(w http.ResponseWriter, r *http.Request, g *guildhall.GroupView, to guildhall.Privacy, hidden []templates.HiddenField) (bool, error) {
	effect, err := s.privacyChange(r, g, to)
	if err != nil || effect.Text() == "" {
		return false, err
	}
	s.render(w, r, http.StatusOK, templates.ConfirmPrivacyChange(templates.ConfirmPrivacy{
		Page: s.page(r, "Confirm privacy change", "groups"), Slug: g.Slug, Effect: effect, Hidden: hidden}))
	return true, nil
}

// privacyChange asks the service what changing g to privacy to would do to
// its pending join requests (nothing when to is g's privacy or invalid).
func (s *Server) privacyChange(r *http.Request, g *guildhall.GroupView, to guildhall.Privacy) (templates.PrivacyChange, error) {
	c := templates.PrivacyChange{To: string(to)}
	if to == g.Privacy || !to.Valid() {
		return c, nil
	}
	p, err := s.Membership.PreviewPrivacyChange(r.Context(), viewer(r), g.ID, to)
	if err != nil {
		return c, err
	}
	c.Approvals, c.Rejects = p.Approvals, p.Rejects
	c.Seen = privacySeen(to, c.Approvals+c.Rejects)
	return c, nil
}

// privacySeen is the settings form's "previewed" value: the change to to
// and the number of requests it was shown to decide.
func privacySeen(to guildhall.Privacy, n int) string { return string(to) + ":" + strconv.Itoa(n) }

// parsePrivacySeen reads what privacySeen wrote for a change to to: the
// number of requests the person was shown, and whether there was one.
func parsePrivacySeen(seen string, to guildhall.Privacy) (int, bool) {
	n, ok := strings.CutPrefix(seen, string(to)+":")
	if !ok {
		return 0, false
	}
	v, err := strconv.Atoi(n)
	return v, err == nil && v >= 0
}

// hiddenSettings are the settings form's fields as the confirmation page
// posts them again.
func hiddenSettings(name, desc string, p guildhall.Privacy, approve, invite, show bool) []templates.HiddenField {
	h := []templates.HiddenField{{Name: "name", Value: name}, {Name: "description", Value: desc}, {Name: "privacy", Value: string(p)}}
	for _, c := range []struct {
		name string
		on   bool
	}{{"membersCanApprove", approve}, {"membersCanInvite", invite}, {"showMemberList", show}} {
		if c.on {
			h = append(h, templates.HiddenField{Name: c.name, Value: "on"})
		}
	}
	return h
}

// privacyPreview answers the settings page's live note as the choice changes.
func (s *Server) privacyPreview(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	effect, err := s.privacyChange(r, g, guildhall.Privacy(r.URL.Query().Get("privacy")))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.PrivacyEffect(effect))
}

func (s *Server) saveQuestions(w http.ResponseWriter, r *http.Request) {
	g, ok := s.manageableGroup(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, errBadForm())
		return
	}
	required := map[string]bool{}
	for _, v := range r.PostForm["required"] {
		required[v] = true
	}
	var qs []guildhall.QuestionInput
	for i, text := range r.PostForm["question"] {
		if strings.TrimSpace(text) == "" {
			continue
		}
		qs = append(qs, guildhall.QuestionInput{Text: text, Required: required[strconv.Itoa(i+1)]})
	}
	_, err := s.Membership.SetQuestions(r.Context(), viewer(r), g.ID, qs)
	if errors.Is(err, guildhall.ErrInvalid) {
		f, ferr := s.settingsForm(r, g)
		if ferr != nil {
			s.fail(w, r, ferr)
			return
		}
		f.QuestionErrors = guildhall.FieldErrors(err)
		if len(f.QuestionErrors) > 0 {
			f.QuestionErrors[""] = guildhall.Message(err)
		}
		s.render(w, r, http.StatusUnprocessableEntity, templates.GroupSettings(f))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Membership questions saved.")
	s.redirect(w, r, "/groups/"+g.Slug+"/settings")
}
