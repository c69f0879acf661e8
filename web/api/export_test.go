package api

import (
	"net/http/httptest"

	"guildhall/internal/guildhall"
)

// ParseGroupQuery is parseGroupQuery for the tests: the query, and whether
// the caller asked for cursor paging.
func ParseGroupQuery(body []byte) (*guildhall.GroupQuery, bool, error) {
	q, err := parseGroupQuery(body)
	if err != nil {
		return nil, false, err
	}
	return &q.GroupQuery, q.cursorPaging, nil
}

// FilterOps is the query language's whitelist: the operators of each field.
func FilterOps() map[guildhall.GroupField][]guildhall.Op {
	out := map[guildhall.GroupField][]guildhall.Op{}
	for _, spec := range guildhall.GroupFields {
		out[spec.Field] = spec.Ops
	}
	return out
}

// Patterns lists the ServeMux patterns the handler registered from its
// route table.
func (h *Handler) Patterns() []string {
	out := make([]string, len(h.routes))
	for i, rt := range h.routes {
		out[i] = rt.pattern()
	}
	return out
}

// Match returns the pattern of the route that serves method and path.
func (h *Handler) Match(method, path string) string {
	return h.pattern(httptest.NewRequest(method, path, nil))
}
