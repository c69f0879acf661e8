package input

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"guildhall/internal/guildhall"
)

func TestCheckNamesTheValue(t *testing.T) {
	for _, tc := range []struct {
		target, pattern, want string
	}{
		{"/groups/hiking?q=walks", "GET /groups/{slug}", ""},
		{"/groups/%00", "GET /groups/{slug}", "slug"},
		{"/groups/%ff%fe/members", "GET /groups/{slug}/members", "slug"},
		{"/groups/x/members/%00/role", "POST /groups/{slug}/members/{accountID}/role", "accountID"},
		{"/static/%00.css", "GET /static/", "path"},
		{"/groups?q=%00", "GET /groups", "q"},
		{"/groups?sort=name&q=%c3", "GET /groups", "q"},
		{"/groups?%00=x", "GET /groups", "query"},
		{"/groups?q=ok&q=%00", "GET /groups", "q"},
		{"/nowhere/%00", "", "path"},
	} {
		r := httptest.NewRequest("GET", tc.target, nil)
		err := Check(r, tc.pattern)
		got := ""
		var ve *guildhall.ValidationError
		if errors.As(err, &ve) {
			got = ve.Violations[0].Field
		}
		if got != tc.want {
			t.Errorf("Check(%s, %q) names %q (%v), want %q", tc.target, tc.pattern, got, err, tc.want)
		}
	}
}

// FuzzCheck: Check refuses a URL exactly when some path segment or query
// name or value, unescaped, is not text, and only with a validation error.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{"/groups/hiking", "/groups/%00", "/a/%ff?b=%fe", "/x?y=%zz&%00", "/?=&&", "/groups/a%2Fb"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		u, err := url.Parse(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") {
			return
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.URL = u
		err = Check(r, "GET /groups/{slug}")
		if err != nil && !errors.Is(err, guildhall.ErrInvalid) {
			t.Fatalf("Check(%q) = %v, not a validation error", target, err)
		}
		bad := false
		for seg := range strings.SplitSeq(u.EscapedPath(), "/") {
			if v, err := url.PathUnescape(seg); err == nil && guildhall.TextProblem(v) != "" {
				bad = true
			}
		}
		for k, vs := range u.Query() {
			if guildhall.TextProblem(k) != "" {
				bad = true
			}
			for _, v := range vs {
				if guildhall.TextProblem(v) != "" {
					bad = true
				}
			}
		}
		if bad && err == nil {
			t.Fatalf("Check(%q) let bad text through", target)
		}
	})
}
