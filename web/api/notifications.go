package api

import (
	"net/http"
	"strconv"
	"time"

	"guildhall/internal/guildhall"
)

// notificationJSON is one notification as the API shows it: message is
// the sentence the page shows, url where it leads on the dashboard (null
// when nowhere), count how many items a batch holds.
type notificationJSON struct {
	ID          string                     `json:"id"`
	Kind        guildhall.NotificationKind `json:"kind" enum:"join_requests.new,join_request.decided,member.added,create_request.decided,create_requests.new,requests.reminder,requests.escalated"`
	Message     string                     `json:"message"`
	URL         *string                    `json:"url"`
	GroupID     *string                    `json:"groupId"`
	Status      *guildhall.Status          `json:"status"`
	Reason      string                     `json:"reason"`
	Count       int                        `json:"count"`
	Read        bool                       `json:"read"`
	CreatedDate time.Time                  `json:"createdDate"`
	UpdatedDate time.Time                  `json:"updatedDate"`
	ReadDate    *time.Time                 `json:"readDate"`
}

func notificationOut(n *guildhall.Notification) notificationJSON {
	out := notificationJSON{
		ID: n.ID, Kind: n.Kind, Message: n.Message(), GroupID: n.GroupID, Reason: n.Reason, Count: n.Count,
		Read: !n.Unread(), CreatedDate: n.CreatedAt.UTC(), UpdatedDate: n.UpdatedAt.UTC(), ReadDate: utc(n.ReadAt),
	}
	if link := n.Link(); link != "" {
		out.URL = &link
	}
	if n.Status != "" {
		st := n.Status
		out.Status = &st
	}
	return out
}

type (
	notificationsResponse struct {
		Notifications []notificationJSON `json:"notifications"`
		Metadata      metadataJSON       `json:"metadata"`
	}
	// markReadBody names the notifications to mark read; all of the
	// caller's when ids is absent.
	markReadBody struct {
		IDs []string `json:"ids,omitempty"`
	}
	markReadResponse struct {
		// Marked is how many notifications changed from unread to read.
		Marked int `json:"marked"`
		// Unread is how many stay unread.
		Unread int `json:"unread"`
	}
)

var unreadParam = param{Name: "unread", Type: "boolean", Description: "true: only unread notifications."}

func (h *Handler) listNotifications(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	q := guildhall.NotificationQuery{Limit: limit, Offset: offset}
	if v := r.URL.Query().Get("unread"); r.URL.Query().Has("unread") {
		q.UnreadOnly, err = strconv.ParseBool(v)
		if err != nil {
			return invalid("unread", "Unread must be true or false.")
		}
	}
	page, err := h.cfg.Notifications.Notifications(r.Context(), actor, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, notificationsResponse{Notifications: mapItems(page.Items, notificationOut), Metadata: offsetMetadata(page)})
	return nil
}

func (h *Handler) markNotificationsRead(w http.ResponseWriter, r *http.Request, actor guildhall.Actor) error {
	var body markReadBody
	if err := decode(w, r, &body, true); err != nil {
		return err
	}
	n, err := h.cfg.Notifications.MarkRead(r.Context(), actor, body.IDs)
	if err != nil {
		return err
	}
	unread, err := h.cfg.Notifications.UnreadCount(r.Context(), actor)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, markReadResponse{Marked: n, Unread: unread})
	return nil
}
