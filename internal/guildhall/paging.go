package guildhall

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Paging, bulk calls and the checks on them: one place for the bounds every
// list and every bulk decision keeps.

// Rejection is one request to reject, with an optional reason.
type Rejection struct {
	ID     string
	Reason string
}

// BulkResult is the outcome for one item of a bulk decision: Err is nil when
// it was decided.
type BulkResult[T any] struct {
	ID   string
	Item *T
	Err  error
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	Total int
	// TotalOver says there are more than Total: a bounded count
	// (GroupQuery.CountUpTo) stopped there.
	TotalOver bool
	Offset    int
	Limit     int
	// Next and Prev are cursors for cursor paging ("" when there is none).
	Next, Prev string
}

// RequestQuery selects requests: by status (all when empty), newest first
// unless OldestFirst. The store turns it into SQL.
type RequestQuery struct {
	Status Status
	Limit  int
	Offset int
	// OldestFirst sorts by created date ascending instead.
	OldestFirst bool
}

// Validate fills the default page size and names what is wrong with the
// status and the page; fields are named prefix+"status", prefix+"limit"
// and prefix+"offset".
func (q *RequestQuery) Validate(prefix string) error {
	var v Validator
	if q.Status != "" {
		CheckStatus(&v, prefix+"status", q.Status)
	}
	CheckPage(&v, prefix, &q.Limit, q.Offset)
	return v.Err()
}

// CheckStatus names field when s is not a request status.
func CheckStatus(v *Validator, field string, s Status) {
	v.Check(s.Valid(), field, "Status must be PENDING, APPROVED, REJECTED or CANCELED.")
}

// CheckPage fills the default page size into *limit when it is 0 and names
// what is wrong with limit and offset, as prefix+"limit" and prefix+"offset".
func CheckPage(v *Validator, prefix string, limit *int, offset int) {
	if *limit == 0 {
		*limit = DefaultPageSize
	}
	CheckLimit(v, prefix+"limit", *limit)
	CheckOffset(v, prefix+"offset", offset)
}

// CheckLimit names field when limit is not a page size (1 to MaxPageSize).
func CheckLimit(v *Validator, field string, limit int) {
	v.Check(limit >= 1 && limit <= MaxPageSize, field, "Limit must be between 1 and 100.")
}

// CheckOffset names field when offset is negative.
func CheckOffset(v *Validator, field string, offset int) {
	v.Check(offset >= 0, field, "Offset must not be negative.")
}

// CheckBulk names field when a bulk call carries more than MaxBulk items.
func CheckBulk(v *Validator, field string, n int) {
	v.Check(n <= MaxBulk, field, "At most 100 at once.")
}

// StillPending refuses a decision on a request that is no longer pending:
// the first decision stands.
func StillPending(s Status) error {
	if s != Pending {
		return FailedPrecondition("This request was already %s.", strings.ToLower(string(s)))
	}
	return nil
}

// RejectionReasons trims the reasons of a bulk rejection and names each
// that is too long as rejections[i].reason: the call is refused whole, and
// the caller learns which item to fix.
func RejectionReasons(reasons []string) ([]string, error) {
	var v Validator
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = strings.TrimSpace(r)
		ValidateReason(&v, fmt.Sprintf("rejections[%d].reason", i), out[i])
	}
	return out, v.Err()
}

// ValidateReason checks a rejection reason.
func ValidateReason(v *Validator, field, reason string) {
	if CheckText(v, field, "Reason", reason) && utf8.RuneCountInString(reason) > MaxReasonLength {
		v.Add(field, "Reason must be at most 1,000 characters.")
	}
}
