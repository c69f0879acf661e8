package api

import (
	"net/http"

	"guildhall/internal/guildhall"
)

type joinBody struct {
	// Answers answer the membership questions of a private group.
	Answers []answerJSON `json:"answers,omitempty"`
}

type memberIDsBody struct {
	MemberIDs []string `json:"memberIds"`
}

type memberRejectionJSON struct {
	MemberID string `json:"memberId"`
	// Reason is shown to the requester; at most 1,000 characters.
	Reason string `json:"reason,omitempty"`
}

type rejectJoinRequestsBody struct {
	Rejections []memberRejectionJSON `json:"rejections"`
}

type setRolesBody struct {
	MemberIDs []string       `json:"memberIds"`
	Role      guildhall.Role `json:"role" enum:"ADMIN,MEMBER"`
}

func (h *Handler) join(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body joinBody
	if err := decode(w, r, &body, true); err != nil {
		return err
	}
	answers := make([]guildhall.Answer, len(body.Answers))
	for i, a := range body.Answers {
		answers[i] = guildhall.Answer{QuestionID: a.QuestionID, Text: a.Text}
	}
	res, err := h.cfg.Membership.Join(r.Context(), actor, r.PathValue("id"), answers)
	if err != nil {
		return err
	}
	if res.Request != nil {
		writeJSON(w, http.StatusAccepted, joinRequestResponse{JoinRequest: joinRequestOut(res.Request)})
		return nil
	}
	writeJSON(w, http.StatusCreated, memberResponse{Member: memberOut(res.Member)})
	return nil
}

func (h *Handler) leave(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	if err := h.cfg.Membership.Leave(r.Context(), actor, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) cancelJoinRequest(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	req, err := h.cfg.Membership.CancelJoinRequest(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, joinRequestResponse{JoinRequest: joinRequestOut(req)})
	return nil
}

func (h *Handler) listJoinRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	q, err := requestQueryParams(r)
	if err != nil {
		return err
	}
	return h.answerJoinRequests(w, r, actor, q)
}

func (h *Handler) queryJoinRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body joinRequestQueryBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Query == nil {
		body.Query = &joinRequestQueryJSON{}
	}
	q, err := parseRequestQuery(body.Query.Filter, nil, body.Query.Paging)
	if err != nil {
		return err
	}
	return h.answerJoinRequests(w, r, actor, q)
}

func (h *Handler) answerJoinRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor, q guildhall.RequestQuery) error {
	page, err := h.cfg.Membership.ListJoinRequests(r.Context(), actor, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, joinRequestsResponse{JoinRequests: mapItems(page.Items, joinRequestOut), Metadata: offsetMetadata(page)})
	return nil
}

func (h *Handler) approveJoinRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body memberIDsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.MemberIDs == nil {
		return invalid("memberIds", "Give the members whose requests to approve.")
	}
	results, err := h.cfg.Membership.ApproveJoinRequests(r.Context(), actor, r.PathValue("id"), body.MemberIDs)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, joinRequestOut)
	writeJSON(w, http.StatusOK, joinRequestsDecidedResponse{JoinRequests: done, Errors: failed})
	return nil
}

func (h *Handler) rejectJoinRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body rejectJoinRequestsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Rejections == nil {
		return invalid("rejections", "Give the members whose requests to reject.")
	}
	rejections := make([]guildhall.MemberRejection, len(body.Rejections))
	for i, rj := range body.Rejections {
		rejections[i] = guildhall.MemberRejection{AccountID: rj.MemberID, Reason: rj.Reason}
	}
	results, err := h.cfg.Membership.RejectJoinRequests(r.Context(), actor, r.PathValue("id"), rejections)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, joinRequestOut)
	writeJSON(w, http.StatusOK, joinRequestsDecidedResponse{JoinRequests: done, Errors: failed})
	return nil
}

func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	page, err := h.cfg.Membership.ListMembers(r.Context(), actor, r.PathValue("id"), limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, membersResponse{Members: mapItems(page.Items, memberOut), Metadata: offsetMetadata(page)})
	return nil
}

func (h *Handler) addMembers(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body memberIDsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.MemberIDs == nil {
		return invalid("memberIds", "Give the site members to add.")
	}
	results, err := h.cfg.Membership.AddMembers(r.Context(), actor, r.PathValue("id"), body.MemberIDs)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, memberOut)
	writeJSON(w, http.StatusOK, membersChangedResponse{Members: done, Errors: failed})
	return nil
}

func (h *Handler) removeMember(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	if err := h.cfg.Membership.RemoveMember(r.Context(), actor, r.PathValue("id"), r.PathValue("memberId")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, emptyResponse{})
	return nil
}

func (h *Handler) setRoles(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body setRolesBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.MemberIDs == nil {
		return invalid("memberIds", "Give the members whose role to set.")
	}
	results, err := h.cfg.Membership.SetRole(r.Context(), actor, r.PathValue("id"), body.MemberIDs, body.Role)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, memberOut)
	writeJSON(w, http.StatusOK, membersChangedResponse{Members: done, Errors: failed})
	return nil
}

// requestQueryParams reads ?status=, ?limit= and ?offset= of request lists.
func requestQueryParams(r *http.Request) (guildhall.RequestQuery, error) {
	limit, offset, err := pageParams(r)
	if err != nil {
		return guildhall.RequestQuery{}, err
	}
	q := guildhall.RequestQuery{Status: guildhall.Status(r.URL.Query().Get("status")), Limit: limit, Offset: offset}
	if q.Status != "" && !q.Status.Valid() {
		return q, invalid("status", "Status must be PENDING, APPROVED, REJECTED or CANCELED.")
	}
	return q, nil
}
