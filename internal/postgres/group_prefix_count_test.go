package postgres

import (
	"slices"
	"testing"

	"guildhall/internal/guildhall"
)

// prefixCountDrift lists every kept name-prefix count that differs from a
// fresh count: each prefix of 1 to keptPrefixLen characters of every live
// group's lowercased name must have its row per privacy, and every row
// must hold the number of live groups of its privacy whose lowercased name
// starts with its prefix (counted with strpos, not as the triggers cut
// prefixes).
const prefixCountDrift = `
	WITH fresh AS (
		SELECT left(lower(g.name), n) AS prefix, g.privacy, count(*) AS live
		FROM groups g, generate_series(1, least(8, char_length(lower(g.name)))) AS n
		WHERE g.deleted_at IS NULL
		GROUP BY 1, 2
	)
	SELECT quote_literal(COALESCE(k.prefix, f.prefix)) || ' ' || COALESCE(k.privacy, f.privacy)
		|| ': kept ' || COALESCE(k.live::text, 'nothing') || ', counted ' || COALESCE(f.live, 0)
	FROM group_name_prefix_counts k FULL JOIN fresh f ON f.prefix = k.prefix AND f.privacy = k.privacy
	WHERE COALESCE(k.live, 0) <> COALESCE(f.live, 0)
	UNION ALL
	SELECT quote_literal(k.prefix) || ' ' || k.privacy || ': kept ' || k.live || ', starting so ' || x.n
	FROM group_name_prefix_counts k, LATERAL (
		SELECT count(*) AS n FROM groups g
		WHERE g.deleted_at IS NULL AND g.privacy = k.privacy AND strpos(lower(g.name), k.prefix) = 1) x
	WHERE k.live <> x.n`

// wantPrefixCountsExact fails the test for every drifted prefix count.
func (f *membershipFixture) wantPrefixCountsExact() {
	f.t.Helper()
	var drift []string
	if err := f.db.SelectContext(f.ctx, &drift, prefixCountDrift); err != nil {
		f.t.Fatal(err)
	}
	for _, d := range drift {
		f.t.Errorf("name prefix count drifted: %s", d)
	}
}

// visiblePrefixMatches is the ids of the live groups a may see whose
// lowercased name starts with lower(prefix), most members first, counted
// independently of the kept counts and of ^@.
func (f *membershipFixture) visiblePrefixMatches(a guildhall.Actor, prefix string) []string {
	f.t.Helper()
	var ids []string
	err := f.db.SelectContext(f.ctx, &ids, `SELECT g.id FROM groups g
		LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
		WHERE `+groupVisible+` AND strpos(lower(g.name), lower($3)) = 1
		ORDER BY g.members_count DESC, g.id DESC`, append(viewerArgs(a), prefix)...)
	if err != nil {
		f.t.Fatal(err)
	}
	return ids
}

// TestKeptPrefixCountsFollowEveryChange: the kept name-prefix counts stay
// those of the live groups through single and bulk inserts, renames (also
// to a name differing only in case, and to a shorter or longer one),
// privacy changes, soft and hard deletions and restores, and updates that
// change none of name, privacy or liveness.
func TestKeptPrefixCountsFollowEveryChange(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	a := f.group("Chess Club", guildhall.Public, guildhall.GroupSettings{}, owner)
	b := f.group("chess", guildhall.Secret, guildhall.GroupSettings{}, owner)
	f.group("Échecs à Paris", guildhall.Private, guildhall.GroupSettings{}, owner)
	f.wantPrefixCountsExact()

	steps := []struct {
		what  string
		query string
		args  []any
	}{
		{"bulk insert", `INSERT INTO groups (name, slug, privacy, owner_id)
			SELECT (ARRAY['Chess ', 'Chessboard ', 'Go ', 'C'])[i % 4 + 1] || i, 'bulk-' || i,
				(ARRAY['PUBLIC', 'PRIVATE', 'SECRET'])[i % 3 + 1], $1
			FROM generate_series(1, 60) AS i`, []any{owner.ID}},
		{"rename", `UPDATE groups SET name = 'Checkers Club' WHERE id = $1`, []any{a.ID}},
		{"rename in case only", `UPDATE groups SET name = 'CHECKERS CLUB' WHERE id = $1`, []any{a.ID}},
		{"rename shorter", `UPDATE groups SET name = 'Ch' WHERE id = $1`, []any{b.ID}},
		{"privacy change", `UPDATE groups SET privacy = 'PUBLIC' WHERE id = $1`, []any{b.ID}},
		{"rename and privacy at once", `UPDATE groups SET name = 'Chess again', privacy = 'PRIVATE' WHERE id = $1`, []any{b.ID}},
		{"members count only", `UPDATE groups SET members_count = members_count + 1, last_activity_at = now()`, nil},
		{"bulk rename", `UPDATE groups SET name = 'Chessmen ' || name WHERE slug LIKE 'bulk-%' AND privacy = 'PRIVATE'`, nil},
		{"bulk privacy change", `UPDATE groups SET privacy = 'SECRET' WHERE slug LIKE 'bulk-%' AND name LIKE 'Go %'`, nil},
		{"soft delete", `UPDATE groups SET deleted_at = now() WHERE slug LIKE 'bulk-1%'`, nil},
		{"rename while deleted", `UPDATE groups SET name = 'Renamed ' || name WHERE deleted_at IS NOT NULL`, nil},
		{"restore", `UPDATE groups SET deleted_at = NULL WHERE slug LIKE 'bulk-1_'`, nil},
		{"hard delete", `DELETE FROM groups WHERE slug LIKE 'bulk-2%'`, nil},
	}
	for _, s := range steps {
		f.exec(s.query, s.args...)
		f.wantPrefixCountsExact()
		if t.Failed() {
			t.Fatalf("after %s", s.what)
		}
	}
}

// TestPrefixQueriesAreExactForEveryViewer: a name-prefix query's total is
// the number of live matches the viewer may see (a site admin, a member of
// a secret match, an outsider, someone signed out), whether the prefix's
// count is kept (1 to 8 characters), counted through the index (longer, or
// empty) or has no match; on the first page, a middle one, the last and
// past the end. Paging by Next through few matches (read through the prefix
// index) and many (walking the members-count index) lists exactly the
// visible matches in order, both ways; with the viewer's state (their role
// in each group) or, as the API asks, without.
func TestPrefixQueriesAreExactForEveryViewer(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	site := f.person("Site", siteAdminAccount)
	f.exec(`INSERT INTO groups (name, slug, privacy, owner_id, members_count)
		SELECT (ARRAY['Chess Club ', 'chess ', 'Go ', 'Échecs ', '100% ', 'a_b '])[i % 6 + 1] || i, 'g-' || i,
			CASE WHEN i % 5 = 0 THEN 'SECRET' WHEN i % 5 = 1 THEN 'PRIVATE' ELSE 'PUBLIC' END, $1, i % 7
		FROM generate_series(1, 900) AS i`, owner.ID)
	f.exec(`INSERT INTO group_members (group_id, account_id, role)
		SELECT id, $1, 'MEMBER' FROM groups WHERE privacy = 'SECRET' AND slug IN ('g-10', 'g-30', 'g-40', 'g-300', 'g-305')`, insider.ID)
	f.exec(`UPDATE groups SET deleted_at = now() WHERE slug IN ('g-6', 'g-60', 'g-12')`)
	f.wantPrefixCountsExact()

	prefixes := []string{"c", "CH", "chess", "Chess Cl", "chess club", "chess club 1", "chess 1", "chess 7",
		"é", "Échecs 1", "100%", "a_", "a_b 5", "g", "go 10", "zz", ""}
	for _, a := range []guildhall.Actor{site, owner, insider, outsider, {}} {
		for _, p := range prefixes {
			want := f.visiblePrefixMatches(a, p)
			cond := []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: p}}
			for _, offset := range []int{0, 10, max(len(want)-3, 0), len(want) + 20} {
				page, err := f.s.Groups.QueryGroups(f.ctx, a, guildhall.GroupQuery{Conditions: cond, Limit: 10, Offset: offset,
					Sort: guildhall.Sort{Field: guildhall.FieldMembersCount, Desc: true}, NoViewerState: offset == 10})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, g := range page.Items {
					got = append(got, g.ID)
					if g.Privacy == guildhall.Secret && a.ID == insider.ID && offset != 10 && g.ViewerRole != guildhall.RoleMember {
						t.Errorf("%q, %q: the insider's role in %s is %q, want MEMBER", a.DisplayName, p, g.Name, g.ViewerRole)
					}
				}
				wantItems := want[min(offset, len(want)):min(offset+10, len(want))]
				if page.Total != len(want) || page.TotalOver || !slices.Equal(got, wantItems) {
					t.Errorf("%q, %q from %d: total %d (over %v), %d items; want %d, items %d to %d",
						a.DisplayName, p, offset, page.Total, page.TotalOver, len(got), len(want), offset, offset+len(wantItems))
				}
			}
			for _, total := range []bool{false, true} {
				q := guildhall.GroupQuery{Conditions: cond, Limit: 25, CountTotal: total, NoViewerState: total,
					Sort: guildhall.Sort{Field: guildhall.FieldMembersCount, Desc: true}}
				var got []string
				var last *guildhall.Page[guildhall.GroupView]
				for range 100 {
					res, err := f.s.Groups.QueryGroups(f.ctx, a, q)
					if err != nil {
						t.Fatal(err)
					}
					if total && res.Total != len(want) {
						t.Errorf("%q, %q by cursor: total %d, want %d", a.DisplayName, p, res.Total, len(want))
					}
					for _, g := range res.Items {
						got = append(got, g.ID)
					}
					last = res
					if res.Next == "" {
						break
					}
					q.Cursor = res.Next
				}
				if !slices.Equal(got, want) {
					t.Errorf("%q, %q: paging by Next listed %d groups, want the %d visible matches in order", a.DisplayName, p, len(got), len(want))
				}
				// And back by Prev from the last page, to the first.
				var back []string
				q.Cursor, q.Backward = last.Prev, true
				for q.Cursor != "" {
					res, err := f.s.Groups.QueryGroups(f.ctx, a, q)
					if err != nil {
						t.Fatal(err)
					}
					back = append(slices.Clone(idsOf(res.Items)), back...)
					q.Cursor = res.Prev
				}
				if n := len(want) - len(last.Items); !slices.Equal(back, want[:max(n, 0)]) {
					t.Errorf("%q, %q: paging back by Prev listed %d groups, want %d", a.DisplayName, p, len(back), max(n, 0))
				}
			}
		}
	}
	if n := f.count(`SELECT count(*) FROM group_name_prefix_counts WHERE prefix = 'chess' AND live > 100`); n == 0 {
		t.Fatal("no prefix matches more than 100 groups: the walk of the sort's index went untested")
	}
}

func idsOf(gs []guildhall.GroupView) []string {
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.ID
	}
	return ids
}

// TestPrefixTotalsKeepOnePlanEach: the prefix query's statements are read
// by their generic plans (bind without planning), so each call does not
// pay for planning anew: after the first calls, the prepared statement's
// plan is the generic one for every prefix.
func TestPrefixTotalsKeepOnePlanEach(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	f.exec(`INSERT INTO groups (name, slug, privacy, owner_id)
		SELECT (ARRAY['Hiking', 'Chess', 'Baking', 'Cycling', 'Poetry', 'Jazz', 'Robotics', 'Gardening', 'Film', 'Climbing'])[i % 10 + 1]
			|| ' Club ' || i, 'g-' || i, CASE WHEN i % 10 < 9 THEN 'PUBLIC' ELSE 'SECRET' END, $1
		FROM generate_series(1, 20000) AS i`, owner.ID)
	f.exec(`ANALYZE groups, group_name_prefix_counts`)
	conn, err := f.db.Connx(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, noViewer := range []bool{false, true} {
		sql := prefixRowsSQL(true, true, noViewer, "g.members_count", "", " ORDER BY g.members_count DESC, g.id DESC", " LIMIT 20")
		if _, err := conn.ExecContext(f.ctx, `DEALLOCATE ALL`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(f.ctx, `PREPARE p (uuid, boolean, text) AS `+sql); err != nil {
			t.Fatal(err)
		}
		for i := range 12 {
			prefix := []string{"chess", "c", "chess 1", "zz"}[i%4]
			if _, err := conn.ExecContext(f.ctx, `EXECUTE p ('`+owner.ID+`', false, '`+prefix+`')`); err != nil {
				t.Fatal(err)
			}
		}
		var generic, custom int
		if err := conn.QueryRowxContext(f.ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'p'`).Scan(&generic, &custom); err != nil {
			t.Fatal(err)
		}
		if generic < 12-5 {
			t.Errorf("without viewer %v: %d of 12 executions planned anew (%d generic): the generic plan looks dearer than a custom one", noViewer, custom, generic)
		}
	}
}
