// Package input is the one guard over the text of a request's URL: every
// path value and query parameter the dashboard and the API read must be
// text (guildhall.TextProblem), else the request is refused naming the
// value before any handler or query sees it. Form fields and JSON bodies
// are checked by the domain's validation of the structs they fill.
package input

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"guildhall/internal/guildhall"
)

// Check returns a *guildhall.ValidationError naming every path value and
// query parameter of r that is not text, or nil. pattern is the ServeMux
// pattern r matched ("GET /groups/{slug}"), which names the path values;
// a segment outside any wildcard is named "path".
func Check(r *http.Request, pattern string) error {
	var v guildhall.Validator
	checkPath(&v, r.URL.EscapedPath(), pattern)
	checkQuery(&v, r.URL.RawQuery)
	return v.Err()
}

// checkPath checks each segment of the escaped path, unescaped as the
// handlers would read it, against the pattern's segment in its place.
func checkPath(v *guildhall.Validator, escaped, pattern string) {
	if _, after, ok := strings.Cut(pattern, " "); ok {
		pattern = after
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // a host in the pattern
	}
	wild := strings.Split(pattern, "/")
	for i, seg := range strings.Split(escaped, "/") {
		value, err := url.PathUnescape(seg)
		if err != nil {
			value = seg
		}
		if guildhall.TextProblem(value) == "" {
			continue
		}
		field := "path"
		if i < len(wild) && strings.HasPrefix(wild[i], "{") {
			field = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(wild[i], "{"), "}"), "...")
		}
		guildhall.CheckText(v, field, "The path value "+field, value)
	}
}

// checkQuery checks every name and value of the raw query, in the order
// they come, once per name.
func checkQuery(v *guildhall.Validator, raw string) {
	var named []string
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		value, err := url.QueryUnescape(val)
		if err != nil {
			value = val
		}
		field := key
		if guildhall.TextProblem(key) != "" {
			field = "query"
		}
		if slices.Contains(named, field) {
			continue
		}
		if guildhall.TextProblem(key) != "" {
			named = append(named, field)
			guildhall.CheckText(v, field, "A query parameter name", key)
		} else if guildhall.TextProblem(value) != "" {
			named = append(named, field)
			guildhall.CheckText(v, field, "The query parameter "+field, value)
		}
	}
}
