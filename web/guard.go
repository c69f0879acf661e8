package web

import (
	"errors"
	"mime"
	"net/http"
	"strings"

	"guildhall/internal/guildhall"
	"guildhall/templates"
	"guildhall/web/input"
)

// maxForm is the largest form body a page takes: net/http's own limit for
// url-encoded forms, made an answer (413) rather than a form that silently
// reads as empty ("Name is required.").
const maxForm = 10 << 20

// checkInput refuses, before any handler runs, a request whose path values
// or query parameters are not text (input.Check: 400 naming the value),
// and reads a posted form whole, refusing one over maxForm (413) or one
// that cannot be parsed (400). The API under /api/ answers in JSON and
// guards itself.
func (s *Server) checkInput(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		_, pattern := mux.Handler(r)
		if err := input.Check(r, pattern); err != nil {
			s.fail(w, r, err)
			return
		}
		if r.Method == http.MethodPost && isForm(r) {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			var tooBig *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &tooBig) {
				s.refuse(w, r, http.StatusRequestEntityTooLarge, "Too large",
					"The form is larger than 10 MB and was not read. Nothing was changed.")
				return
			} else if err != nil {
				s.refuse(w, r, http.StatusBadRequest, "Bad request", "The form could not be read. Nothing was changed.")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// isForm reports whether r's body is a url-encoded form (what every page's
// form posts; a body without a type is read as one too).
func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// refuse answers status with the error page, for refusals of the HTTP
// layer that have no domain kind (a body too large).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	w.Header().Set("Connection", "close")
	s.render(w, r, status, templates.Error(templates.ErrorPage{
		Page: s.frame(r, heading, ""), Status: status, Heading: heading, Message: msg}))
}

// errBadForm answers a form body that cannot be parsed.
func errBadForm() error {
	var v guildhall.Validator
	v.Add("form", "The form could not be read.")
	return v.Err()
}
