package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/web/httperr"
)

// Error codes the HTTP layer gives itself (httperr has every code).
const (
	codeInvalidArgument  = httperr.CodeInvalidArgument
	codeInternal         = httperr.CodeInternal
	codeMethodNotAllowed = httperr.CodeMethodNotAllowed
)

// errorBody is every error answer.
type errorBody struct {
	Message string       `json:"message"`
	Details errorDetails `json:"details"`
}

// errorDetails holds exactly one of its two fields.
type errorDetails struct {
	ApplicationError *applicationError `json:"applicationError,omitempty"`
	ValidationError  *validationError  `json:"validationError,omitempty"`
}

type applicationError struct {
	Code        string `json:"code" enum:"INVALID_ARGUMENT,UNAUTHENTICATED,PERMISSION_DENIED,NOT_FOUND,ALREADY_EXISTS,FAILED_PRECONDITION,RESOURCE_EXHAUSTED,INTERNAL,METHOD_NOT_ALLOWED"`
	Description string `json:"description"`
}

type validationError struct {
	FieldViolations []guildhall.FieldViolation `json:"fieldViolations"`
}

// statusError is an error of the HTTP layer itself that has no domain kind
// (a body over the limit, a method the path does not take).
type statusError struct {
	status int
	code   string
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// rateLimitError is ErrRateLimited with the wait the limiter asks for.
type rateLimitError struct{ retryAfter time.Duration }

func (e *rateLimitError) Error() string { return "Too many calls with this token; slow down." }
func (e *rateLimitError) Unwrap() error { return guildhall.ErrRateLimited }

// classify is the status and error code of err: those of an error of the
// HTTP layer itself, else of err's domain kind from the one table
// (httperr). Per-item errors of bulk calls take their codes from it too.
func classify(err error) (status int, code string) {
	var se *statusError
	if errors.As(err, &se) {
		return se.status, se.code
	}
	return httperr.Of(err)
}

// description is the text a caller may read about err: the domain's safe
// message, never the chain of an internal failure.
func description(err error) string {
	var se *statusError
	var rl *rateLimitError
	switch {
	case errors.As(err, &se):
		return se.msg
	case errors.As(err, &rl):
		return rl.Error()
	}
	return guildhall.Message(err)
}

// writeError answers with the error body for err. Only 5xx are logged as
// errors, with the whole chain and the request id the caller also sees.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := classify(err)
	body := errorBody{Message: description(err)}
	var ve *guildhall.ValidationError
	var rl *rateLimitError
	switch {
	case status >= 500:
		id := w.Header().Get("X-Request-ID")
		h.cfg.Logger.Error("api call failed", "err", err, "method", r.Method, "path", r.URL.Path, "request_id", id)
		body.Message = "Something went wrong on our side. It has been logged; please try again."
		if id != "" {
			body.Message += " Request id: " + id + "."
		}
	case status == http.StatusBadRequest && errors.As(err, &ve):
		body.Details.ValidationError = &validationError{FieldViolations: ve.Violations}
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="guildhall"`)
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Max(1, math.Ceil(rl.retryAfter.Seconds())))))
	}
	if body.Details.ValidationError == nil {
		body.Details.ApplicationError = &applicationError{Code: code, Description: body.Message}
	}
	writeJSON(w, status, body)
}

// bulkError is one item of a bulk call that could not be done.
type bulkError struct {
	ID          string `json:"id"`
	Code        string `json:"code" enum:"INVALID_ARGUMENT,PERMISSION_DENIED,NOT_FOUND,ALREADY_EXISTS,FAILED_PRECONDITION"`
	Description string `json:"description"`
}

// splitBulk turns a bulk result into the items done, converted with out,
// and the errors of the others.
func splitBulk[T, J any](results []guildhall.BulkResult[T], out func(*T) J) ([]J, []bulkError) {
	done, failed := []J{}, []bulkError{}
	for _, res := range results {
		if res.Err != nil {
			_, code := classify(res.Err)
			failed = append(failed, bulkError{ID: res.ID, Code: code, Description: description(res.Err)})
			continue
		}
		done = append(done, out(res.Item))
	}
	return done, failed
}

// renameFields rewrites the field names of a ValidationError from the
// service's names to the API's (e.g. "privacy" → "group.privacyStatus");
// any other error comes back as it was.
func renameFields(err error, rename func(field string) string) error {
	var ve *guildhall.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &guildhall.ValidationError{Violations: make([]guildhall.FieldViolation, len(ve.Violations))}
	for i, v := range ve.Violations {
		out.Violations[i] = guildhall.FieldViolation{Field: rename(v.Field), Description: v.Description}
	}
	return out
}

// invalid is a ValidationError of one field; "" (no field) names the body,
// since a violation always names a field.
func invalid(field, desc string) error {
	if field == "" {
		field = wholeBody
	}
	return &guildhall.ValidationError{Violations: []guildhall.FieldViolation{{Field: field, Description: desc}}}
}
