package templates

import (
	"context"
	"io"
	"strconv"

	"github.com/a-h/templ"
)

// mainNav is the signed-in viewer's navigation, written by hand as
// queue_rows.go writes the queues' rows: through templ, each link's
// class={ … } went through templ's CSS class machinery (a map and a few
// allocations per link, about 3 % of a group page's CPU, on every page).
// TestLayoutHeader holds it, byte for byte, to what that markup wrote. All
// its text is fixed or made of digits: nothing in it needs escaping. The
// layout calls it on the line of the <div> that follows: on a line of its
// own, templ would write a space after it (templ fmt splits the line; the
// test then fails).
func mainNav(n Nav) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		b := make([]byte, 0, 640)
		b = append(b, `<nav aria-label="Main">`...)
		b = navLink(b, n.Active, "groups", `<a href="/groups"`, "Groups")
		b = append(b, `</a> `...)
		b = navLink(b, n.Active, "requests", `<a href="/me/requests"`, "My requests")
		b = append(b, `</a> `...)
		b = navLink(b, n.Active, "inbox", `<a href="/inbox" id="nav-inbox"`, "Inbox ")
		b = navBadge(b, n.InboxCount, inboxLabel)
		b = append(b, `</a> `...)
		b = navLink(b, n.Active, "notifications", `<a href="/notifications" id="nav-notifications"`, "Notifications ")
		b = navBadge(b, n.UnreadCount, unreadLabel)
		b = append(b, `</a> `...)
		b = navLink(b, n.Active, "profile", `<a href="/profile"`, "Profile")
		b = append(b, `</a> `...)
		if n.SiteAdmin {
			b = navLink(b, n.Active, "admin", `<a href="/admin/settings"`, "Admin")
			b = append(b, `</a>`...)
		}
		b = append(b, `</nav>`...)
		_, err := w.Write(b)
		return err
	})
}

// navLink appends open (an <a> tag without its class and end), its class,
// "active" when name is the active section (navClass), and text.
func navLink(b []byte, active, name, open, text string) []byte {
	b = append(b, open...)
	b = append(b, ` class="`...)
	b = append(b, navClass(active, name)...)
	b = append(b, `">`...)
	return append(b, text...)
}

// navBadge appends the badge of a count, when there is one.
func navBadge(b []byte, n int, label func(int) string) []byte {
	if n <= 0 {
		return b
	}
	b = append(b, `<span class="badge" aria-label="`...)
	b = append(b, label(n)...)
	b = append(b, `">`...)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, `</span>`...)
}
