package web

import (
	"net/http"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/templates"
)

func (s *Server) notificationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /notifications", s.notificationsPage)
	mux.HandleFunc("POST /notifications/read", s.markNotificationsRead)
}

// unreadCount is the navigation's unread notifications count, shown on
// every page, so a failure only logs and shows none.
func (s *Server) unreadCount(r *http.Request, a guildhall.Actor) int {
	if s.Notifications == nil {
		return 0
	}
	n, err := s.Notifications.UnreadCount(r.Context(), a)
	if err != nil {
		s.Logger.Error("unread notifications count", "err", err, "request_id", requestID(r))
		return 0
	}
	return n
}

const notificationsPageSize = 50

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) {
	page := pageNumber(r)
	offset := (page - 1) * notificationsPageSize
	res, err := s.Notifications.Notifications(r.Context(), viewer(r), guildhall.NotificationQuery{Limit: notificationsPageSize, Offset: offset})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := templates.NotificationsPage{Page: s.page(r, "Notifications", "notifications")}
	p.Unread = p.Nav.UnreadCount
	for _, n := range res.Items {
		p.Rows = append(p.Rows, templates.NotificationRow{ID: n.ID, Message: n.Message(), Link: n.Link(),
			When: templates.When(n.UpdatedAt), Unread: n.Unread()})
	}
	p.PrevURL, p.NextURL = pagerLinks("/notifications", page, len(res.Items), offset, res.Total)
	s.render(w, r, http.StatusOK, templates.Notifications(p))
}

func (s *Server) markNotificationsRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.Notifications.MarkRead(r.Context(), viewer(r), nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if n > 0 {
		s.setFlash(w, r, "All notifications are marked read.")
	}
	s.redirect(w, r, "/notifications")
}

// lifecycleMarks are the marks of a pending request in a queue: escalated
// to the site admins, and when it expires while expiry is on.
func lifecycleMarks(pending bool, escalatedAt, expiresAt *time.Time, now time.Time) []string {
	if !pending {
		return nil
	}
	var marks []string
	if escalatedAt != nil {
		marks = append(marks, "Escalated")
	}
	if expiresAt != nil {
		if expiresAt.After(now) {
			marks = append(marks, "Expires in "+templates.Waited(now, *expiresAt))
		} else {
			marks = append(marks, "Expires now")
		}
	}
	return marks
}

// lifecycleMarksNow is lifecycleMarks as of now.
func lifecycleMarksNow(pending bool, escalatedAt, expiresAt *time.Time) []string {
	return lifecycleMarks(pending, escalatedAt, expiresAt, time.Now())
}
