package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"

	"guildhall/internal/guildhall"
	"guildhall/templates"
	"guildhall/web/httperr"
)

var errPanic = errors.New("panic while serving the request")

// render writes c with status, rendering into a buffer first so a failed
// render is a clean 500 and never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		s.Logger.Error("render", "err", err, "request_id", requestID(r))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	s.clearFlash(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page is whole in buf: say its length, so that it goes out in one
	// write instead of chunk by chunk.
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderBuffers keeps render's buffers between requests: a queue page of
// 50 rows is about 60 KB, which a new buffer reaches by growing and copying
// ten times.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer returns buf to renderBuffers, unless an unusually large
// page made it too big to keep.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() > 1<<20 {
		return
	}
	buf.Reset()
	renderBuffers.Put(buf)
}

// redirect sends the browser to target after a successful form post: 303, or
// for htmx a full navigation with HX-Redirect.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, target string) {
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", target)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// statusOf is the status of err's kind (from the one table, httperr).
func statusOf(err error) int {
	status, _ := httperr.Of(err)
	return status
}

// fail answers with the friendly error page for err; only 5xx are logged as
// errors, with the whole chain.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		s.Logger.Error("request failed", "err", err, "request_id", requestID(r), "path", r.URL.Path)
	}
	p := templates.ErrorPage{Page: s.page(r, http.StatusText(status), ""), Status: status, Message: guildhall.Message(err)}
	switch status {
	case http.StatusNotFound:
		p.Heading = "Not found"
		p.Message = "There is nothing here. The page may have moved, or you may not have access to it."
	case http.StatusForbidden:
		p.Heading = "Not allowed"
	case http.StatusConflict:
		// Already done, decided meanwhile, or the last admin: the message
		// says which.
		p.Heading = "That cannot be done now"
	case http.StatusUnauthorized:
		s.toLogin(w, r)
		return
	case http.StatusInternalServerError:
		p.Heading = "Something went wrong"
		p.Message = "Something went wrong on our side. It has been logged; please try again. Request id: " + requestID(r)
	default:
		p.Heading = http.StatusText(status)
	}
	s.render(w, r, status, templates.Error(p))
}

func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, guildhall.ErrNotFound)
}

// page returns the common frame for the signed-in viewer (or a visitor),
// with the number of requests waiting in their inbox.
func (s *Server) page(r *http.Request, title, active string) templates.Page {
	p := s.frame(r, title, active)
	if a, ok := actorFrom(r); ok {
		if nav, ok := loadedNav(r); ok {
			p.Nav.InboxCount = nav.Inbox
		} else {
			p.Nav.InboxCount = s.inboxCount(r, a)
		}
	}
	return p
}

// siteSettings returns the site settings for deciding what a page offers:
// those read with the session when a GET loaded them (they are this
// request's own read, not a copy kept across requests), else read now. The
// service checks the settings again when an action is taken.
func (s *Server) siteSettings(r *http.Request) (*guildhall.SiteSettings, error) {
	if st, ok := r.Context().Value(ctxSettings).(*guildhall.SiteSettings); ok && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		return st, nil
	}
	return s.Settings.SiteSettings(r.Context())
}

// loadedNav returns the navigation's counts that authenticate read with the
// session, when they still hold: a GET changes nothing, while a POST that
// renders a page (a form shown again) may have changed them since.
func loadedNav(r *http.Request) (guildhall.NavCounts, bool) {
	nav, ok := r.Context().Value(ctxNav).(guildhall.NavCounts)
	return nav, ok && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// frame is page without the inbox count, for a page that knows it already.
func (s *Server) frame(r *http.Request, title, active string) templates.Page {
	p := templates.Page{Title: title, Flash: s.flash(r)}
	if a, ok := actorFrom(r); ok {
		p.Nav = templates.Nav{Signed: true, DisplayName: a.DisplayName, SiteAdmin: a.SiteAdmin, Active: active}
		if nav, ok := loadedNav(r); ok {
			p.Nav.UnreadCount = nav.Unread
		} else {
			p.Nav.UnreadCount = s.unreadCount(r, a)
		}
	}
	return p
}
