package web_test

import (
	"net/http"
	"strings"
	"testing"

	"guildhall/internal/testapp"
)

// The directory's page number is bounded: any number, however large or
// malformed, answers a page (past the end: empty, with a way back), never
// an error or an overflowing offset.
func TestDirectoryPageNumberIsBounded(t *testing.T) {
	t.Parallel()
	app := testapp.New(t)
	app.Account(t, "mia@example.com", "Mia")
	c := app.SignedIn(t, "mia@example.com")
	for _, page := range []string{"0", "-3", "abc", "501", "9223372036854775807"} {
		res := app.Get(t, c, "/groups?page="+page)
		body := testapp.Body(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("page=%s: status %d\n%s", page, res.StatusCode, body)
		}
		if strings.Contains(body, ">Next<") {
			t.Errorf("page=%s: a Next link with no groups at all", page)
		}
	}
	if body := testapp.Body(app.Get(t, c, "/groups?page=9223372036854775807")); !strings.Contains(body, `href="/groups?page=499"`) {
		t.Errorf("the last allowed page has no way back:\n%s", body)
	}
}
