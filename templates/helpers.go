// Package templates holds Guildhall's templ components. Each page takes a
// typed view model shaped like the screen; no component reaches a database.
package templates

import (
	"strconv"
	"strings"
	"time"
)

// htmxConfig makes htmx swap 422 responses (forms re-rendered with their
// messages) and keeps its indicator styles out, as the CSP forbids inline style.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

func navClass(active, name string) string {
	if active == name {
		return "active"
	}
	return ""
}

func inboxLabel(n int) string {
	if n == 1 {
		return "1 request waiting"
	}
	return strconv.Itoa(n) + " requests waiting"
}

// When formats a time for people.
func When(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(whenLayout)
}

// whenLayout is When's layout.
const whenLayout = "2 Jan 2006 15:04 UTC"

func ariaInvalid(msg string) string {
	if msg != "" {
		return "true"
	}
	return "false"
}

func lower(s string) string { return strings.ToLower(s) }

func notificationClass(unread bool) string {
	if unread {
		return "notification unread"
	}
	return "notification"
}

func unreadLabel(n int) string { return strconv.Itoa(n) + " unread" }
