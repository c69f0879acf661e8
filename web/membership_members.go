package web

import (
	"errors"
	"net/http"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

const membersPageSize = guildhall.MaxPageSize

func (s *Server) membersPage(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	s.renderMembers(w, r, g, http.StatusOK, "", "")
}

// renderMembers renders the member list with the "Add member" form holding
// email and its message. A viewer who may add members but not see the list
// (a secret group that hides it) still gets the form; anyone else the list
// refuses gets the service's 403.
func (s *Server) renderMembers(w http.ResponseWriter, r *http.Request, g *guildhall.GroupView, status int, email, emailErr string) {
	a := viewer(r)
	v := templates.MembersPage{Page: s.page(r, "Members · "+g.Name, "groups"), Slug: g.Slug, GroupName: g.Name,
		CanManage: guildhall.CanManageMembers(a, &g.Group, g.ViewerRole),
		CanAdd:    guildhall.CanAddMembers(a, &g.Group, g.ViewerRole),
		Email:     email, EmailError: emailErr}
	if !guildhall.CanSeeMemberList(a, &g.Group, g.ViewerRole) && v.CanAdd {
		v.ListHidden = true
		s.render(w, r, status, templates.Members(v))
		return
	}
	page := pageNumber(r)
	offset := (page - 1) * membersPageSize
	res, err := s.Membership.ListMembersOf(r.Context(), a, g, membersPageSize, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Total = res.Total
	for _, m := range res.Items {
		v.Rows = append(v.Rows, templates.MemberRow{AccountID: m.AccountID, DisplayName: m.DisplayName, Email: m.Email,
			Role: m.Role.Label(), IsAdmin: m.Role == guildhall.RoleAdmin, IsViewer: m.AccountID == a.ID})
	}
	v.PrevURL, v.NextURL = pagerLinks("/groups/"+g.Slug+"/members", page, len(res.Items), offset, res.Total)
	s.render(w, r, status, templates.Members(v))
}

// addMember adds a site member by email.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a := viewer(r)
	// Asked before the lookup so that nobody else learns which emails have accounts.
	if !guildhall.CanAddMembers(a, &g.Group, g.ViewerRole) {
		s.fail(w, r, guildhall.NotAdder(&g.Group))
		return
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if email == "" {
		s.renderMembers(w, r, g, http.StatusUnprocessableEntity, email, "Enter the email of the person to add.")
		return
	}
	acct, err := s.Accounts.AccountByEmail(r.Context(), email)
	if errors.Is(err, guildhall.ErrNotFound) {
		s.renderMembers(w, r, g, http.StatusUnprocessableEntity, email, "No account has this email.")
		return
	}
	if errors.Is(err, guildhall.ErrInvalid) {
		s.renderMembers(w, r, g, http.StatusUnprocessableEntity, email, guildhall.FieldErrors(err)["email"])
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	results, err := s.Membership.AddMembers(r.Context(), a, g.ID, []string{acct.ID})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	for _, res := range results {
		if res.Err != nil {
			s.renderMembers(w, r, g, http.StatusUnprocessableEntity, email, guildhall.Message(res.Err))
			return
		}
	}
	s.setFlash(w, r, "Added "+acct.DisplayName+" to "+g.Name+".")
	s.redirect(w, r, "/groups/"+g.Slug+"/members")
}

// setMemberRole makes a member an admin or an admin a member.
func (s *Server) setMemberRole(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	role := guildhall.Role(r.PostFormValue("role"))
	if role != guildhall.RoleAdmin && role != guildhall.RoleMember {
		var v guildhall.Validator
		v.Add("role", "Role must be ADMIN or MEMBER.")
		s.fail(w, r, v.Err())
		return
	}
	a, id := viewer(r), r.PathValue("accountID")
	results, err := s.Membership.SetRole(r.Context(), a, g.ID, []string{id}, role)
	if err == nil && len(results) > 0 {
		err = results[0].Err
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name := "The member"
	if len(results) > 0 && results[0].Item != nil {
		name = results[0].Item.DisplayName
	}
	if role == guildhall.RoleAdmin {
		s.setFlash(w, r, name+" is now an admin of "+g.Name+".")
	} else {
		s.setFlash(w, r, name+" is no longer an admin of "+g.Name+".")
	}
	s.redirect(w, r, afterMemberChange(g, a, id))
}

// removeMember takes someone else out of the group.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	g, ok := s.groupFromPath(w, r)
	if !ok {
		return
	}
	a, id := viewer(r), r.PathValue("accountID")
	// Only for the confirmation's wording; the service decides the rest.
	name := "The member"
	if acct, err := s.Accounts.AccountByID(r.Context(), id); err == nil {
		name = acct.DisplayName
	}
	if err := s.Membership.RemoveMember(r.Context(), a, g.ID, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.setFlash(w, r, "Removed "+name+" from "+g.Name+".")
	s.redirect(w, r, afterMemberChange(g, a, id))
}

// afterMemberChange is where the viewer lands after changing a member: the
// list, unless they changed themselves and may have lost sight of it.
func afterMemberChange(g *guildhall.GroupView, a guildhall.Actor, accountID string) string {
	if accountID == a.ID {
		return "/groups/" + g.Slug
	}
	return "/groups/" + g.Slug + "/members"
}
