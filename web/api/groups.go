package api

import (
	"net/http"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
)

// groupInputJSON is a group as a caller writes it: every field optional
// (an update changes only those given; a create takes the defaults).
type groupInputJSON struct {
	Name          *string            `json:"name,omitempty"`
	Description   *string            `json:"description,omitempty"`
	PrivacyStatus *guildhall.Privacy `json:"privacyStatus,omitempty" enum:"PUBLIC,PRIVATE,SECRET"`
	Settings      *settingsInputJSON `json:"settings,omitempty"`
}

type settingsInputJSON struct {
	MembersCanApprove *bool `json:"membersCanApprove,omitempty"`
	MembersCanInvite  *bool `json:"membersCanInvite,omitempty"`
	ShowMemberList    *bool `json:"showMemberList,omitempty"`
}

type createGroupBody struct {
	Group *groupInputJSON `json:"group" openapi:"notnull"`
	// CreatorID names the account that creates the group; elevated tokens
	// must give it, other callers create as themselves.
	CreatorID string `json:"creatorId,omitempty"`
}

type updateGroupBody struct {
	Group *groupInputJSON `json:"group" openapi:"notnull"`
}

// groupField names a field of the group input the way the API does.
func groupField(field string) string {
	if field == "privacy" {
		field = "privacyStatus"
	}
	return "group." + field
}

func (h *Handler) createGroup(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body createGroupBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Group == nil {
		return invalid("group", "Give the group to create.")
	}
	body.CreatorID = strings.TrimSpace(body.CreatorID)
	if !actor.Elevated && body.CreatorID != "" && body.CreatorID != actor.ID {
		return guildhall.Forbidden("Only an elevated token may create a group for someone else (creatorId).")
	}
	in := guildhall.GroupInput{Name: deref(body.Group.Name), Description: deref(body.Group.Description),
		Privacy: deref(body.Group.PrivacyStatus)}
	if s := body.Group.Settings; s != nil {
		settings := guildhall.DefaultGroupSettings()
		setIf(&settings.MembersCanApprove, s.MembersCanApprove)
		setIf(&settings.MembersCanInvite, s.MembersCanInvite)
		setIf(&settings.ShowMemberList, s.ShowMemberList)
		in.Settings = &settings
	}
	c, err := h.cfg.Groups.CreateGroup(r.Context(), actor, in, body.CreatorID)
	if err != nil {
		return renameFields(err, func(f string) string {
			if f == "creatorId" {
				return f
			}
			return groupField(f)
		})
	}
	if c.Request != nil {
		writeJSON(w, http.StatusAccepted, createRequestResponse{CreateRequest: createRequestOut(c.Request)})
		return nil
	}
	writeJSON(w, http.StatusCreated, groupResponse{Group: groupOut(c.Group)})
	return nil
}

func (h *Handler) getGroup(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	g, err := h.cfg.Groups.GroupByID(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupResponse{Group: groupOut(&g.Group)})
	return nil
}

func (h *Handler) getGroupBySlug(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	g, err := h.cfg.Groups.GroupBySlug(r.Context(), actor, r.PathValue("slug"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupResponse{Group: groupOut(&g.Group)})
	return nil
}

func (h *Handler) listGroups(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	q := groupQuery{GroupQuery: guildhall.GroupQuery{Limit: limit, Offset: offset}}
	return h.answerGroups(w, r, actor, &q)
}

func (h *Handler) queryGroups(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	q, err := parseGroupQuery(body)
	if err != nil {
		return err
	}
	return h.answerGroups(w, r, actor, q)
}

// answerGroups runs q and writes the page with the metadata of its paging.
// The API's group objects say nothing of the caller's role in a group.
func (h *Handler) answerGroups(w http.ResponseWriter, r *http.Request, actor guildhall.Actor, q *groupQuery) error {
	q.NoViewerState = true
	page, err := h.cfg.Groups.QueryGroups(r.Context(), actor, q.GroupQuery)
	if err != nil {
		// The service checks the cursor itself; name it as the caller sent it.
		return renameFields(err, func(f string) string {
			if f == "cursor" {
				return "query.cursorPaging.cursor"
			}
			return f
		})
	}
	out := groupsResponse{Groups: mapItems(page.Items, func(g *guildhall.GroupView) groupJSON { return groupOut(&g.Group) })}
	if !q.cursorPaging {
		out.Metadata = offsetMetadata(page)
	} else {
		out.Metadata = metadataJSON{Count: len(page.Items), Cursors: &cursorsJSON{}}
		if page.Next != "" {
			next := cursorNext + page.Next
			out.Metadata.Cursors.Next = &next
		}
		if page.Prev != "" {
			prev := cursorPrev + page.Prev
			out.Metadata.Cursors.Prev = &prev
		}
	}
	writeJSON(w, http.StatusOK, &out) // a jsonAppender
	return nil
}

func (h *Handler) updateGroup(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body updateGroupBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Group == nil {
		return invalid("group", "Give the fields to change in group.")
	}
	u := guildhall.GroupUpdate{Name: body.Group.Name, Description: body.Group.Description, Privacy: body.Group.PrivacyStatus}
	if s := body.Group.Settings; s != nil {
		u.MembersCanApprove, u.MembersCanInvite, u.ShowMemberList = s.MembersCanApprove, s.MembersCanInvite, s.ShowMemberList
	}
	g, err := h.cfg.Groups.UpdateGroup(r.Context(), actor, r.PathValue("id"), u)
	if err != nil {
		return renameFields(err, groupField)
	}
	writeJSON(w, http.StatusOK, groupResponse{Group: groupOut(g)})
	return nil
}

func (h *Handler) deleteGroup(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	g, err := h.cfg.Groups.DeleteGroup(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, groupResponse{Group: groupOut(g)})
	return nil
}

// pageParams reads ?limit= and ?offset=; a limit left out takes the default.
func pageParams(r *http.Request) (limit, offset int, err error) {
	var v guildhall.Validator
	q := r.URL.Query()
	if q.Has("limit") {
		n, err := strconv.Atoi(q.Get("limit"))
		if err != nil {
			v.Add("limit", "Limit must be a whole number between 1 and 100.")
		} else {
			guildhall.CheckLimit(&v, "limit", n) // given, so 0 is refused too
		}
		limit = n
	}
	if q.Has("offset") {
		n, err := strconv.Atoi(q.Get("offset"))
		if err != nil {
			v.Add("offset", "Offset must be a whole number, 0 or more.")
		} else {
			guildhall.CheckOffset(&v, "offset", n)
		}
		offset = n
	}
	if err := v.Err(); err != nil {
		return 0, 0, err
	}
	return limit, offset, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
