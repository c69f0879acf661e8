package templates

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// The navigation is written by hand (mainNav); it must read, byte for
// byte, as the templ markup it replaced did, which wrote the golden file.
func TestLayoutHeader(t *testing.T) {
	var navs []Nav
	for _, active := range []string{"", "groups", "requests", "inbox", "notifications", "profile", "admin"} {
		for _, admin := range []bool{false, true} {
			navs = append(navs, Nav{Signed: true, DisplayName: "Ada", SiteAdmin: admin, Active: active})
		}
	}
	for _, inbox := range []int{0, 1, 7, 1200} {
		for _, unread := range []int{0, 1, 12} {
			navs = append(navs, Nav{Signed: true, DisplayName: `Zoë <b>&'"`, InboxCount: inbox, UnreadCount: unread, Active: "groups"})
		}
	}
	navs = append(navs, Nav{}, Nav{DisplayName: "not signed in", InboxCount: 3})
	var got bytes.Buffer
	for _, n := range navs {
		var page bytes.Buffer
		if err := Layout(Page{Title: "T", Nav: n}).Render(context.Background(), &page); err != nil {
			t.Fatal(err)
		}
		b := page.Bytes()
		start, end := bytes.Index(b, []byte("<header")), bytes.Index(b, []byte("</header>"))
		fmt.Fprintf(&got, "%+v\n%s\n", n, b[start:end])
	}
	matchGolden(t, "the layout's header", "testdata/layout_header.html", got.Bytes())
}
