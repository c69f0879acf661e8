package web_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"guildhall/internal/guildhall"
	"guildhall/internal/testapp"
)

// FuzzForms posts raw bodies to the forms that take text, as the query
// parser is fuzzed: whatever the bytes (bad percent escapes, NUL, invalid
// UTF-8, repeated or empty keys), the answer is never a 5xx, and every
// name the database then holds is text with something visible and no bidi
// control. `make test` runs the seeds; `go test -fuzz FuzzForms ./web/`
// explores further.
func FuzzForms(f *testing.F) {
	for _, seed := range []string{
		"name=Hiking&description=Walks&privacy=PUBLIC",
		"name=%00&description=x",
		"name=a%ffb&description=%fe%ff",
		"name=%E2%80%8B%E2%80%8B&privacy=PRIVATE",
		"name=%E2%80%AEgnikih",
		"name=ok&name=other&description=",
		"name=%zz&description=%",
		"=&&=&name",
		"name=" + strings.Repeat("n", 101),
		"displayName=Ada&publicProfile=on",
		"displayName=%00",
		"email=a%00b%40example.com&displayName=A&password=long+enough+password",
		"email=new%40example.com&displayName=%E2%81%A7x&password=long+enough+password",
		"privacy=SECRET%00&name=x",
	} {
		for _, path := range []string{"/groups/new", "/profile", "/signup", "/profile/tokens"} {
			f.Add(path, []byte(seed))
		}
	}
	app := testapp.New(f)
	app.Account(f, "root@example.com", "Root", testapp.SiteAdmin)
	client := app.SignedIn(f, "root@example.com")
	f.Fuzz(func(t *testing.T, path string, body []byte) {
		switch path {
		case "/groups/new", "/profile", "/signup", "/profile/tokens":
		default:
			return
		}
		req, err := http.NewRequest(http.MethodPost, app.URL+path, strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", app.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		res := app.Do(t, client, req)
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s %q: status %d\n%s", path, body, res.StatusCode, testapp.Body(res))
		}
		var names []string
		if err := app.DB.SelectContext(t.Context(), &names, `
			SELECT name FROM groups UNION ALL SELECT display_name FROM accounts UNION ALL SELECT name FROM api_tokens`); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			var v guildhall.Validator
			guildhall.CheckName(&v, "name", "Name", n, 100, "100")
			if v.Err() != nil || !utf8.ValidString(n) {
				t.Fatalf("POST %s %q stored the name %q: %v", path, body, n, v.Err())
			}
		}
	})
}
