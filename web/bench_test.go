package web_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"guildhall/internal/testapp"
)

// webBenchSeed fills the app's database with webBenchGroups groups around
// the viewer ($1): group i is SECRET when i % 10 == 9, PRIVATE when i % 10
// is 6 to 8, else PUBLIC. The viewer is a member of a third of the secret
// groups and an admin of the private groups with i % 20 == 6, each of which
// has 4 pending join requests (webBenchInbox in all). Everyone else is one
// of 500 accounts made here.
var webBenchSeed = []string{
	`CREATE FUNCTION bench_account(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT ('a0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$`,
	`CREATE FUNCTION bench_group(i int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT ('b0000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid $$`,
	`INSERT INTO accounts (id, email, display_name, password_hash)
	SELECT bench_account(n), 'member' || n || '@example.com', 'Member ' || n, 'not a hash'
	FROM generate_series(1, 500) AS n`,
	`INSERT INTO groups (id, name, slug, description, privacy, members_can_approve, owner_id, created_at, last_activity_at)
	SELECT bench_group(i),
		(ARRAY['Chess', 'Hiking', 'Book', 'Film', 'Garden', 'Jazz', 'Running', 'Coding', 'Pottery', 'Cycling'])[(i / 10) % 10 + 1]
			|| ' ' || (ARRAY['Club', 'Circle', 'Society', 'Guild', 'Friends', 'League', 'Collective'])[i % 7 + 1]
			|| ' ' || i,
		CASE WHEN i % 10 = 9 THEN 'secret-' || substr(md5(i::text), 1, 16) ELSE 'group-' || i END,
		repeat('A place to meet people who share an interest. ', 1 + i % 8),
		CASE WHEN i % 10 = 9 THEN 'SECRET' WHEN i % 10 >= 6 THEN 'PRIVATE' ELSE 'PUBLIC' END,
		i % 4 = 0, bench_account(1 + i % 500),
		now() - make_interval(mins => 1000 - i), now() - make_interval(mins => (i * 7919) % 1000)
	FROM generate_series(1, 1000) AS i`,
	`INSERT INTO group_members (group_id, account_id, role)
	SELECT id, owner_id, 'ADMIN' FROM groups`,
	`INSERT INTO group_members (group_id, account_id, role)
	SELECT bench_group(i), bench_account(1 + (i + k * 7) % 500), 'MEMBER'
	FROM generate_series(1, 1000) AS i, generate_series(1, CASE WHEN i % 10 = 0 THEN 30 ELSE i % 5 END) AS k`,
	`INSERT INTO group_members (group_id, account_id, role)
	SELECT bench_group(i), $1, CASE WHEN i % 20 = 6 THEN 'ADMIN' ELSE 'MEMBER' END
	FROM generate_series(1, 1000) AS i WHERE i % 30 = 9 OR i % 20 = 6`,
	`UPDATE groups g SET members_count = c.n
	FROM (SELECT group_id, count(*) AS n FROM group_members GROUP BY group_id) c
	WHERE g.id = c.group_id`,
	`INSERT INTO join_requests (group_id, account_id, answers, created_at)
	SELECT bench_group(i), bench_account(1 + (i * 53 + 250 + k) % 500),
		'[{"questionId": "q1", "question": "Why do you want to join?", "text": "I like the topic."}]',
		now() - make_interval(mins => i + k)
	FROM generate_series(1, 1000) AS i, generate_series(1, CASE WHEN i % 20 = 6 THEN 4 ELSE i % 3 END) AS k
	WHERE i % 10 BETWEEN 6 AND 8
		AND NOT EXISTS (SELECT 1 FROM group_members m
			WHERE m.group_id = bench_group(i) AND m.account_id = bench_account(1 + (i * 53 + 250 + k) % 500))`,
	`ANALYZE`,
}

// webBenchInbox is how many requests wait for the viewer: a full page of
// the inbox (50) and more.
const webBenchInbox = 200

// newBenchApp starts the app over a seeded database and returns it with a
// client signed in as a site member (not a site admin).
func newBenchApp(b *testing.B) (*testapp.App, *http.Client) {
	b.Helper()
	app := testapp.New(b)
	viewer := app.Account(b, "viewer@example.com", "Vera Viewer")
	ctx := context.Background()
	for _, q := range webBenchSeed {
		var args []any
		if strings.Contains(q, "$1") { // the viewer's id is the only parameter
			args = []any{viewer.ID}
		}
		if _, err := app.DB.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, q)
		}
	}
	var n int
	err := app.DB.GetContext(ctx, &n, `
		SELECT count(*) FROM join_requests r JOIN group_members m ON m.group_id = r.group_id
		WHERE r.status = 'PENDING' AND m.account_id = $1 AND m.role = 'ADMIN'`, viewer.ID)
	if err != nil || n < webBenchInbox {
		b.Fatalf("seed: %d requests wait for the viewer (%v), want at least %d", n, err, webBenchInbox)
	}
	return app, app.SignedIn(b, viewer.Email)
}

// benchGet measures GET path through the real router and middleware,
// session and all, and fails unless every response is a 200 whose body
// passes check. The body is read into one reused buffer, so that B/op is
// the server's work and the HTTP round trip, not the test's copies.
func benchGet(b *testing.B, app *testapp.App, c *http.Client, path string, check func(body []byte) bool) {
	b.Helper()
	var body bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		res, err := c.Get(app.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		body.Reset()
		_, err = body.ReadFrom(res.Body)
		res.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if res.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: status %d", path, res.StatusCode)
		}
		if !check(body.Bytes()) {
			b.Fatalf("GET %s: unexpected page:\n%s", path, body.Bytes())
		}
	}
}

// links reports whether the page lists n groups.
func links(n int) func([]byte) bool {
	return func(body []byte) bool { return bytes.Count(body, []byte(`<a href="/groups/`)) == n }
}

// BenchmarkPages measures the pages people open most, signed in, over a
// directory of 1,000 groups.
func BenchmarkPages(b *testing.B) {
	app, c := newBenchApp(b)
	b.Run("Groups", func(b *testing.B) {
		benchGet(b, app, c, "/groups", links(20))
	})
	b.Run("GroupsSearchSortPage", func(b *testing.B) {
		benchGet(b, app, c, "/groups?q=club&sort=members&page=3", links(20))
	})
	b.Run("GroupsDeepPage", func(b *testing.B) {
		benchGet(b, app, c, "/groups?sort=name&page=40", links(20))
	})
	b.Run("GroupAsAdmin", func(b *testing.B) {
		benchGet(b, app, c, "/groups/group-6", func(body []byte) bool {
			return bytes.Contains(body, []byte("/groups/group-6/requests"))
		})
	})
	b.Run("GroupAsVisitor", func(b *testing.B) {
		benchGet(b, app, c, "/groups/group-10", func(body []byte) bool {
			return bytes.Contains(body, []byte("Hiking Guild 10"))
		})
	})
	b.Run("Inbox", func(b *testing.B) {
		benchGet(b, app, c, "/inbox", func(body []byte) bool {
			return bytes.Count(body, []byte("Member ")) >= 50
		})
	})
}
