// Package guildhall holds Guildhall's domain: its types, the rules that decide
// who may do what, and the error kinds every layer speaks. It knows nothing of
// HTTP, templates or SQL.
package guildhall

import (
	"errors"
	"fmt"
	"strings"
)

// The error kinds. Every error the service layer returns wraps one of them;
// the web layer maps each kind to a status code in exactly one place.
var (
	// ErrUnauthenticated means nobody is signed in.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the actor is known but may not do this.
	ErrForbidden = errors.New("permission denied")
	// ErrNotFound means the thing does not exist or the actor may not see it.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the change collides with existing state (duplicate).
	ErrConflict = errors.New("already exists")
	// ErrFailedPrecondition means the state no longer allows the change
	// (a request already decided, the last admin).
	ErrFailedPrecondition = errors.New("failed precondition")
	// ErrInvalid means the input broke a rule; see ValidationError.
	ErrInvalid = errors.New("invalid argument")
	// ErrRateLimited means the caller must wait before trying again.
	ErrRateLimited = errors.New("rate limited")
)

// Error is a domain error with a message that is safe to show to users.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns an ErrForbidden with a reason for the user.
func Forbidden(format string, args ...any) error { return newError(ErrForbidden, format, args...) }

// NotFound returns an ErrNotFound with a message for the user.
func NotFound(format string, args ...any) error { return newError(ErrNotFound, format, args...) }

// Conflict returns an ErrConflict with a message for the user.
func Conflict(format string, args ...any) error { return newError(ErrConflict, format, args...) }

// FailedPrecondition returns an ErrFailedPrecondition with a message for the user.
func FailedPrecondition(format string, args ...any) error {
	return newError(ErrFailedPrecondition, format, args...)
}

// Unauthenticated returns an ErrUnauthenticated with a message for the user.
func Unauthenticated(format string, args ...any) error {
	return newError(ErrUnauthenticated, format, args...)
}

// Message returns the user-safe text of err: the message of a domain Error or
// ValidationError, or a generic sentence for anything else.
func Message(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Message
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Error()
	}
	return "Something went wrong on our side. Please try again."
}

// FieldViolation names one field and the rule its value broke.
type FieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// ValidationError lists every field that broke a rule. It wraps ErrInvalid.
type ValidationError struct {
	Violations []FieldViolation
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.Description
		if v.Field != "" {
			parts[i] = v.Field + ": " + v.Description
		}
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is(err, ErrInvalid) match.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// For returns the description for field, or "".
func (e *ValidationError) For(field string) string {
	for _, v := range e.Violations {
		if v.Field == field {
			return v.Description
		}
	}
	return ""
}

// Validator collects field violations.
type Validator struct{ violations []FieldViolation }

// Add records a violation of field.
func (v *Validator) Add(field, description string) {
	v.violations = append(v.violations, FieldViolation{Field: field, Description: description})
}

// Check records a violation when ok is false.
func (v *Validator) Check(ok bool, field, description string) {
	if !ok {
		v.Add(field, description)
	}
}

// Err returns a *ValidationError when anything was recorded, else nil.
func (v *Validator) Err() error {
	if len(v.violations) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.violations}
}

// FieldErrors turns err into a field → message map for re-rendering a form;
// it is empty when err is not a ValidationError.
func FieldErrors(err error) map[string]string {
	out := map[string]string{}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			if _, seen := out[v.Field]; !seen {
				out[v.Field] = v.Description
			}
		}
	}
	return out
}
