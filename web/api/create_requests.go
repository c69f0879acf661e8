package api

import (
	"net/http"

	"guildhall/internal/guildhall"
)

type approveCreateRequestsBody struct {
	CreateRequestIDs []string `json:"createRequestIds"`
}

type createRejectionJSON struct {
	CreateRequestID string `json:"createRequestId"`
	// Reason is shown to the requester; at most 1,000 characters.
	Reason string `json:"reason,omitempty"`
}

type rejectCreateRequestsBody struct {
	Rejections []createRejectionJSON `json:"rejections"`
}

func (h *Handler) listCreateRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	q, err := requestQueryParams(r)
	if err != nil {
		return err
	}
	return h.answerCreateRequests(w, r, actor, q)
}

func (h *Handler) queryCreateRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body createRequestQueryBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Query == nil {
		body.Query = &createRequestQueryJSON{}
	}
	q, err := parseRequestQuery(body.Query.Filter, body.Query.Sort, body.Query.Paging)
	if err != nil {
		return err
	}
	return h.answerCreateRequests(w, r, actor, q)
}

// answerCreateRequests lists every request to those who administer the
// site and their own to everyone else.
func (h *Handler) answerCreateRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor, q guildhall.RequestQuery) error {
	list := h.cfg.CreateRequests.MyCreateRequests
	if guildhall.CanAdministerSite(actor) {
		list = h.cfg.CreateRequests.ListCreateRequests
	}
	page, err := list(r.Context(), actor, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createRequestsResponse{CreateRequests: mapItems(page.Items, createRequestOut), Metadata: offsetMetadata(page)})
	return nil
}

func (h *Handler) approveCreateRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body approveCreateRequestsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.CreateRequestIDs == nil {
		return invalid("createRequestIds", "Give the create requests to approve.")
	}
	results, err := h.cfg.CreateRequests.ApproveCreateRequests(r.Context(), actor, body.CreateRequestIDs)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, createRequestOut)
	writeJSON(w, http.StatusOK, createRequestsDecidedResponse{CreateRequests: done, Errors: failed})
	return nil
}

func (h *Handler) rejectCreateRequests(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body rejectCreateRequestsBody
	if err := decode(w, r, &body, false); err != nil {
		return err
	}
	if body.Rejections == nil {
		return invalid("rejections", "Give the create requests to reject.")
	}
	rejections := make([]guildhall.Rejection, len(body.Rejections))
	for i, rj := range body.Rejections {
		rejections[i] = guildhall.Rejection{ID: rj.CreateRequestID, Reason: rj.Reason}
	}
	results, err := h.cfg.CreateRequests.RejectCreateRequests(r.Context(), actor, rejections)
	if err != nil {
		return err
	}
	done, failed := splitBulk(results, createRequestOut)
	writeJSON(w, http.StatusOK, createRequestsDecidedResponse{CreateRequests: done, Errors: failed})
	return nil
}

func (h *Handler) cancelCreateRequest(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	req, err := h.cfg.CreateRequests.CancelCreateRequest(r.Context(), actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createRequestResponse{CreateRequest: createRequestOut(req)})
	return nil
}
