package web

import (
	"net/http"

	"guildhall/internal/guildhall"
	"guildhall/internal/mail"
	"guildhall/templates"
)

func (s *Server) unsubscribeRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /unsubscribe", s.unsubscribePage)
	mux.HandleFunc("POST /unsubscribe", s.unsubscribe)
}

// unsubscribeLink checks the signed token of an email's unsubscribe link;
// it needs no session (publicPath), the signature is the proof.
func (s *Server) unsubscribeLink(w http.ResponseWriter, r *http.Request) (accountID string, topic guildhall.EmailTopic, ok bool) {
	if s.Email == nil {
		s.fail(w, r, guildhall.ErrNotFound)
		return "", "", false
	}
	key, err := s.Email.SigningKey(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return "", "", false
	}
	id, t, ok := mail.ParseUnsubscribeToken(key, r.URL.Query().Get("t"))
	if !ok {
		s.fail(w, r, guildhall.NotFound("This unsubscribe link is not valid; choose your emails on your profile instead."))
		return "", "", false
	}
	return id, guildhall.EmailTopic(t), true
}

func unsubscribeWhat(t guildhall.EmailTopic) string {
	if t == "" {
		return "all emails from Guildhall"
	}
	return "emails about " + t.Label()
}

// unsubscribePage asks for the click that unsubscribes: a GET changes
// nothing, since mail scanners open links on their own.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	_, topic, ok := s.unsubscribeLink(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, templates.Unsubscribe(templates.UnsubscribePage{
		Page: s.frame(r, "Unsubscribe", ""), What: unsubscribeWhat(topic), Action: r.URL.RequestURI()}))
}

// unsubscribe turns the emails off: the button on the page, or a mail
// program's one-click POST (RFC 8058) to the same link.
func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	id, topic, ok := s.unsubscribeLink(w, r)
	if !ok {
		return
	}
	if err := s.Email.Unsubscribe(r.Context(), id, topic); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.Unsubscribe(templates.UnsubscribePage{
		Page: s.frame(r, "Unsubscribed", ""), What: unsubscribeWhat(topic), Done: true}))
}
