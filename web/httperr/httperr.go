// Package httperr holds the one table from the domain's error kinds to HTTP:
// each kind's status code and the API's error code. It has two renderings:
// the dashboard's error page (package web) and the JSON API's error body
// (package web/api).
package httperr

import (
	"errors"
	"net/http"

	"guildhall/internal/guildhall"
)

// The error codes of the API's error body (api.md).
const (
	CodeInvalidArgument    = "INVALID_ARGUMENT"
	CodeUnauthenticated    = "UNAUTHENTICATED"
	CodePermissionDenied   = "PERMISSION_DENIED"
	CodeNotFound           = "NOT_FOUND"
	CodeAlreadyExists      = "ALREADY_EXISTS"
	CodeFailedPrecondition = "FAILED_PRECONDITION"
	CodeResourceExhausted  = "RESOURCE_EXHAUSTED"
	CodeInternal           = "INTERNAL"
	// CodeMethodNotAllowed answers a method the path does not take (405),
	// an error of the HTTP layer with no domain kind: none of api.md's codes
	// says it, and NOT_FOUND would say the path does not exist.
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
)

var kinds = []struct {
	kind   error
	status int
	code   string
}{
	{guildhall.ErrInvalid, http.StatusBadRequest, CodeInvalidArgument},
	{guildhall.ErrUnauthenticated, http.StatusUnauthorized, CodeUnauthenticated},
	{guildhall.ErrForbidden, http.StatusForbidden, CodePermissionDenied},
	{guildhall.ErrNotFound, http.StatusNotFound, CodeNotFound},
	{guildhall.ErrConflict, http.StatusConflict, CodeAlreadyExists},
	{guildhall.ErrFailedPrecondition, http.StatusConflict, CodeFailedPrecondition},
	{guildhall.ErrRateLimited, http.StatusTooManyRequests, CodeResourceExhausted},
}

// Of returns the status and the API error code of err's kind; an error of
// no kind is an internal failure, 500.
func Of(err error) (status int, code string) {
	for _, k := range kinds {
		if errors.Is(err, k.kind) {
			return k.status, k.code
		}
	}
	return http.StatusInternalServerError, CodeInternal
}
