package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/lib/pq"

	"guildhall/internal/guildhall"
	"guildhall/internal/testdb"
)

// The benchmarks run over a site the size the directory and the inbox are
// meant for: benchGroups groups of every privacy, with members counts from
// 1 to about 70, a few thousand join requests and create requests. The
// data is made with a handful of set-based INSERTs (a few seconds), never
// through the services one row at a time, and ANALYZEd as a live database
// would be.
const (
	benchGroups = 10_000
	// Accounts: 0 is the viewer, 1 the site admin, benchMemberPool accounts
	// from 10 are members, benchRequesterPool after them ask to join, and
	// the last MaxBulk are the applicants the bulk approval re-seeds.
	benchMemberPool    = 4_000
	benchRequesterPool = 1_000
	benchFirstMember   = 10
	benchFirstAsker    = benchFirstMember + benchMemberPool
	benchFirstFresh    = benchFirstAsker + benchRequesterPool
	benchAccounts      = benchFirstFresh + guildhall.MaxBulk
	// benchInboxGroup is the first of the private groups the viewer is an
	// admin of (every group i with i % 200 == 6), each with 40 pending
	// requests; the bulk approval decides in it.
	benchInboxGroup = 6
	benchInboxSize  = benchGroups / 200 * 40
)

// benchAccountID and benchGroupID are the fixed ids the seed gives account n
// and group i, so that Go and SQL name the same rows without a lookup.
func benchAccountID(n int) string { return fmt.Sprintf("a0000000-0000-4000-8000-%012d", n) }
func benchGroupID(i int) string   { return fmt.Sprintf("b0000000-0000-4000-8000-%012d", i) }

// benchStep is one statement of the seed with its arguments.
type benchStep struct {
	query string
	args  []any
}

// benchSeed fills a fresh database; the pools are constants of the
// statements below and must match the ones above. Group i
// is SECRET when i % 10 == 9, PRIVATE when i % 10 is 6 to 8, else PUBLIC.
// The viewer is a member of a third of the secret groups (i % 30 == 9),
// of one public group in a hundred, and an admin of the private groups
// with i % 200 == 6.
var benchSeed = []benchStep{
	{`CREATE FUNCTION bench_account(n int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT ('a0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid $$`, nil},
	{`CREATE FUNCTION bench_group(i int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT ('b0000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid $$`, nil},
	{`CREATE FUNCTION bench_member(i int, k int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT bench_account(10 + (i * 131 + k * 17) % 4000) $$`, nil},
	{`CREATE FUNCTION bench_asker(i int, k int) RETURNS uuid LANGUAGE sql IMMUTABLE
		AS $$ SELECT bench_account(4010 + (i * 53 + k * 7) % 1000) $$`, nil},

	{`INSERT INTO accounts (id, email, display_name, password_hash, site_admin, public_profile, created_at)
	SELECT bench_account(n), 'member' || n || '@example.com', 'Member ' || n, 'not a hash',
		n = 1, n % 10 <> 3, now() - make_interval(days => n % 700)
	FROM generate_series(0, $1::int - 1) AS n`, []any{benchAccounts}},

	{`INSERT INTO groups AS g (id, name, slug, description, privacy, members_can_approve, members_can_invite,
		show_member_list, owner_id, created_at, updated_at, last_activity_at)
	SELECT bench_group(i),
		(ARRAY['Chess', 'Hiking', 'Book', 'Film', 'Garden', 'Jazz', 'Running', 'Coding', 'Pottery', 'Cycling'])[(i / 10) % 10 + 1]
			|| ' ' || (ARRAY['Club', 'Circle', 'Society', 'Guild', 'Friends', 'League', 'Collective'])[i % 7 + 1]
			|| ' ' || i,
		CASE WHEN i % 10 = 9 THEN 'secret-' || substr(md5(i::text), 1, 16) ELSE 'group-' || i END,
		repeat('A place to meet people who share an interest. ', 1 + i % 8),
		CASE WHEN i % 10 = 9 THEN 'SECRET' WHEN i % 10 >= 6 THEN 'PRIVATE' ELSE 'PUBLIC' END,
		i % 4 = 0, i % 3 = 0, i % 5 <> 0,
		bench_member(i, 0),
		now() - make_interval(mins => $1::int - i),
		now() - make_interval(mins => $1::int - i),
		now() - make_interval(mins => (i * 7919) % $1::int)
	FROM generate_series(1, $1::int) AS i`, []any{benchGroups}},

	// Owners, then 1 to 4 more members in most groups and 10 to 69 in one
	// group in ten (k*17 mod 4000 never repeats, so no pair twice).
	{`INSERT INTO group_members (group_id, account_id, role, joined_at)
	SELECT id, owner_id, 'ADMIN', created_at FROM groups`, nil},
	{`INSERT INTO group_members (group_id, account_id, role, joined_at)
	SELECT bench_group(i), bench_member(i, k), CASE WHEN k % 25 = 0 THEN 'ADMIN' ELSE 'MEMBER' END,
		now() - make_interval(mins => k)
	FROM generate_series(1, $1::int) AS i,
		generate_series(1, CASE WHEN i % 10 = 0 THEN 10 + (i * 7) % 60 ELSE i % 5 END) AS k`, []any{benchGroups}},
	{`INSERT INTO group_members (group_id, account_id, role)
	SELECT bench_group(i), bench_account(0), CASE WHEN i % 200 = 6 THEN 'ADMIN' ELSE 'MEMBER' END
	FROM generate_series(1, $1::int) AS i
	WHERE i % 30 = 9 OR i % 100 = 1 OR i % 200 = 6`, []any{benchGroups}},
	{`UPDATE groups g SET members_count = c.n
	FROM (SELECT group_id, count(*) AS n FROM group_members GROUP BY group_id) c
	WHERE g.id = c.group_id`, nil},

	// 40 pending requests in each group the viewer decides, 0 to 3 in the
	// other private groups, and a rejected one in every private group.
	{`INSERT INTO join_requests (group_id, account_id, answers, created_at)
	SELECT bench_group(i), bench_asker(i, k),
		'[{"questionId": "q1", "question": "Why do you want to join?", "text": "I like the topic."}]',
		now() - make_interval(mins => (i * 13 + k) % 5000)
	FROM generate_series(1, $1::int) AS i,
		generate_series(1, CASE WHEN i % 200 = 6 THEN 40 ELSE i % 4 END) AS k
	WHERE i % 10 BETWEEN 6 AND 8`, []any{benchGroups}},
	{`INSERT INTO join_requests (group_id, account_id, status, rejection_reason, created_at, decided_at, decided_by)
	SELECT bench_group(i), bench_asker(i, 500), 'REJECTED', 'Not this time.',
		now() - interval '30 days', now() - interval '29 days', owner_id
	FROM generate_series(1, $1::int) AS i JOIN groups ON id = bench_group(i)
	WHERE i % 10 BETWEEN 6 AND 8`, []any{benchGroups}},

	// 3,000 create requests, one in five pending.
	{`INSERT INTO create_requests (requester_id, name, description, privacy, status, group_id, created_at, decided_at, decided_by)
	SELECT bench_member(n, 3), 'Proposed group ' || n, 'Please create it.',
		CASE WHEN n % 3 = 0 THEN 'PRIVATE' ELSE 'PUBLIC' END,
		(ARRAY['PENDING', 'APPROVED', 'APPROVED', 'REJECTED', 'CANCELED'])[n % 5 + 1],
		CASE WHEN n % 5 IN (1, 2) THEN bench_group(n) END,
		now() - make_interval(mins => n * 11),
		CASE WHEN n % 5 <> 0 THEN now() - make_interval(mins => n * 11 - 5) END,
		CASE WHEN n % 5 IN (1, 2, 3) THEN bench_account(1) END
	FROM generate_series(1, 3000) AS n`, nil},

	{`INSERT INTO group_old_slugs (slug, group_id, created_at) VALUES ('old-group-42', bench_group(42), now() - interval '1 day')`, nil},
	{`ANALYZE`, nil},
}

// benchFixture is a seeded database with its services, and the two actors
// the benchmarks act as.
type benchFixture struct {
	ctx       context.Context
	db        *DB
	s         *Services
	viewer    guildhall.Actor // a site member, not a site admin
	siteAdmin guildhall.Actor
}

// newBenchFixture seeds a fresh database. b.Loop resets the timer after it.
func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	db := Wrap(testdb.New(b))
	f := &benchFixture{ctx: context.Background(), db: db, s: NewServices(db, guildhall.TestPasswordHasher())}
	for _, step := range benchSeed {
		if _, err := db.ExecContext(f.ctx, step.query, step.args...); err != nil {
			b.Fatalf("seed: %v\n%s", err, step.query)
		}
	}
	f.viewer = f.actor(b, 0)
	f.siteAdmin = f.actor(b, 1)
	return f
}

func (f *benchFixture) actor(b *testing.B, n int) guildhall.Actor {
	b.Helper()
	a, err := f.s.Accounts.AccountByID(f.ctx, benchAccountID(n))
	if err != nil {
		b.Fatalf("account %d: %v", n, err)
	}
	return guildhall.ActorFor(a)
}

// wantPage fails unless the call succeeded with want items, so that no
// benchmark measures an error path or an empty page.
func wantPage[T any](b *testing.B, p *guildhall.Page[T], err error, want int) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Items) != want {
		b.Fatalf("got %d items, want %d", len(p.Items), want)
	}
}

// BenchmarkQueryGroups measures the directory's queries as a site member,
// so the secret-visibility rule is in every plan.
func BenchmarkQueryGroups(b *testing.B) {
	f := newBenchFixture(b)
	byName := guildhall.Sort{Field: guildhall.FieldName}
	const deep = 5_000

	// The cursor after the first deep groups by name, reached the way a
	// client would, page by page.
	q := guildhall.GroupQuery{Sort: byName, Limit: guildhall.MaxPageSize}
	for range deep / guildhall.MaxPageSize {
		p, err := f.s.Groups.QueryGroups(f.ctx, f.viewer, q)
		wantPage(b, p, err, guildhall.MaxPageSize)
		q.Cursor = p.Next
	}
	deepCursor := q.Cursor

	cases := []struct {
		name string
		q    guildhall.GroupQuery
	}{
		// GET /groups: newest first, first page.
		{"Directory", guildhall.GroupQuery{Sort: guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true}, Limit: 20}},
		// GET /groups?q=club&sort=members&page=6 with a members filter.
		{"FilterSortOffset", guildhall.GroupQuery{
			Conditions: []guildhall.Condition{
				guildhall.NameContains("club"),
				{Field: guildhall.FieldMembersCount, Op: guildhall.OpGte, Value: 3},
			},
			Sort:  guildhall.Sort{Field: guildhall.FieldMembersCount, Desc: true},
			Limit: 20, Offset: 100,
		}},
		{"PrivacyFilter", guildhall.GroupQuery{Conditions: []guildhall.Condition{guildhall.PrivacyIs(guildhall.Private)},
			Sort: guildhall.Sort{Field: guildhall.FieldLastActivityDate, Desc: true}, Limit: 20, Offset: 40}},
		// The same deep page by offset and by cursor.
		{"OffsetDeep", guildhall.GroupQuery{Sort: byName, Limit: 20, Offset: deep}},
		{"CursorDeep", guildhall.GroupQuery{Sort: byName, Limit: 20, Cursor: deepCursor}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := f.s.Groups.QueryGroups(f.ctx, f.viewer, c.q)
				wantPage(b, p, err, c.q.Limit)
			}
		})
	}
}

// BenchmarkGroupBySlug measures the read behind every group page.
func BenchmarkGroupBySlug(b *testing.B) {
	f := newBenchFixture(b)
	var secretSlug string
	if err := f.db.GetContext(f.ctx, &secretSlug, `SELECT slug FROM groups WHERE id = $1`, benchGroupID(9)); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name, slug string
		wantID     string
	}{
		{"Public", "group-1000", benchGroupID(1000)},
		{"SecretAsMember", secretSlug, benchGroupID(9)},
		// A former slug: the live lookup misses, the old-slug one finds it.
		{"FormerSlug", "old-group-42", benchGroupID(42)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				g, err := f.s.Groups.GroupBySlug(f.ctx, f.viewer, c.slug)
				if err != nil {
					b.Fatal(err)
				}
				if g.ID != c.wantID {
					b.Fatalf("got group %s, want %s", g.ID, c.wantID)
				}
			}
		})
	}
}

// BenchmarkInbox measures /inbox for a member who decides in 50 private
// groups (2,000 pending requests), and the count behind the badge that
// every signed-in page shows.
func BenchmarkInbox(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("FirstPage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := f.s.Membership.Inbox(f.ctx, f.viewer, 50, 0)
			wantPage(b, p, err, 50)
			if p.Total != benchInboxSize {
				b.Fatalf("total %d, want %d", p.Total, benchInboxSize)
			}
		}
	})
	b.Run("LastPage", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := f.s.Membership.Inbox(f.ctx, f.viewer, 50, benchInboxSize-50)
			wantPage(b, p, err, 50)
		}
	})
	b.Run("Count", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n, err := f.s.Membership.InboxCount(f.ctx, f.viewer)
			if err != nil {
				b.Fatal(err)
			}
			if n != benchInboxSize {
				b.Fatalf("count %d, want %d", n, benchInboxSize)
			}
		}
	})
}

// BenchmarkApproveJoinRequests measures one bulk approval of MaxBulk join
// requests by a group admin. Before each one (off the clock) the same
// applicants are made non-members with a pending request again.
func BenchmarkApproveJoinRequests(b *testing.B) {
	f := newBenchFixture(b)
	groupID := benchGroupID(benchInboxGroup)
	ids := make([]string, guildhall.MaxBulk)
	for i := range ids {
		ids[i] = benchAccountID(benchFirstFresh + i)
	}
	reset := []string{
		`DELETE FROM group_members WHERE group_id = $1 AND account_id = ANY ($2::uuid[])`,
		`DELETE FROM join_requests WHERE group_id = $1 AND account_id = ANY ($2::uuid[])`,
		`INSERT INTO join_requests (group_id, account_id) SELECT $1, unnest($2::uuid[])`,
	}
	const recount = `UPDATE groups SET members_count = (SELECT count(*) FROM group_members WHERE group_id = $1) WHERE id = $1`
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		for _, q := range reset {
			if _, err := f.db.ExecContext(f.ctx, q, groupID, pq.Array(ids)); err != nil {
				b.Fatalf("%s: %v", q, err)
			}
		}
		if _, err := f.db.ExecContext(f.ctx, recount, groupID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := f.s.Membership.ApproveJoinRequests(f.ctx, f.viewer, groupID, ids)
		if err != nil {
			b.Fatal(err)
		}
		if len(res) != len(ids) {
			b.Fatalf("%d results, want %d", len(res), len(ids))
		}
		for _, r := range res {
			if r.Err != nil {
				b.Fatalf("approve %s: %v", r.ID, r.Err)
			}
		}
	}
}

// BenchmarkListCreateRequests measures the site admin's list of create
// requests, pending first page and everything's first page.
func BenchmarkListCreateRequests(b *testing.B) {
	f := newBenchFixture(b)
	cases := []struct {
		name string
		q    guildhall.RequestQuery
	}{
		{"Pending", guildhall.RequestQuery{Status: guildhall.Pending, Limit: 20}},
		{"All", guildhall.RequestQuery{Limit: 20}},
		{"AllDeep", guildhall.RequestQuery{Limit: 20, Offset: 2_000}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p, err := f.s.CreateRequests.ListCreateRequests(f.ctx, f.siteAdmin, c.q)
				wantPage(b, p, err, c.q.Limit)
			}
		})
	}
}
