package postgres

import (
	"fmt"
	"testing"

	"guildhall/internal/guildhall"
)

// TestSearchTotalsAreTheVisibleMatches: the total of a name search is the
// number of live matching groups the viewer may see, for a site admin, a
// member of a secret match and an outsider alike, counted the way the rows
// are chosen; a prefix is taken literally (% and _ are characters); a bounded
// count says "more than" exactly when there are more, and reaches the page's
// last row.
func TestSearchTotalsAreTheVisibleMatches(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	site := f.person("Site", siteAdminAccount)
	for i := range 7 {
		f.group(fmt.Sprintf("Chess Club %d", i), guildhall.Public, guildhall.GroupSettings{}, owner)
	}
	f.group("Chess Private", guildhall.Private, guildhall.GroupSettings{}, owner)
	f.group("Speed chess", guildhall.Private, guildhall.GroupSettings{}, owner)
	f.member(f.group("Chess Secret", guildhall.Secret, guildhall.GroupSettings{}, owner), insider, guildhall.RoleMember)
	f.group("chess cellar", guildhall.Secret, guildhall.GroupSettings{}, owner)
	gone := f.group("Chess Gone", guildhall.Public, guildhall.GroupSettings{}, owner)
	f.exec(`UPDATE groups SET deleted_at = now() WHERE id = $1`, gone.ID)
	for _, name := range []string{"Go Club", "100% Fun", "100 Percent", "a_b", "axb"} {
		f.group(name, guildhall.Public, guildhall.GroupSettings{}, owner)
	}

	searches := []struct {
		cond guildhall.Condition
		sql  string // the same test, written independently
	}{
		{guildhall.Condition{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: "CHESS"}, `strpos(lower(g.name), 'chess') = 1`},
		{guildhall.NameContains("chess"), `strpos(lower(g.name), 'chess') > 0`},
		{guildhall.Condition{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: "100%"}, `strpos(g.name, '100%') = 1`},
		{guildhall.Condition{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: "a_"}, `strpos(g.name, 'a_') = 1`},
	}
	for _, a := range []guildhall.Actor{site, owner, insider, outsider, {}} {
		for _, s := range searches {
			want := f.count(`SELECT count(*) FROM groups g
				LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
				WHERE `+groupVisible+` AND `+s.sql, viewerArgs(a)...)
			q := guildhall.GroupQuery{Conditions: []guildhall.Condition{s.cond}, Limit: 1,
				Sort: guildhall.Sort{Field: guildhall.FieldName}}
			page, err := f.s.Groups.QueryGroups(f.ctx, a, q)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != want || page.TotalOver {
				t.Errorf("%q %s %v: total %d (over %v), %d visible groups match", a.DisplayName, s.cond.Op, s.cond.Value, page.Total, page.TotalOver, want)
			}
		}
	}

	// Bounded: the outsider sees 9 chess groups, the insider 10, the site admin 11.
	contains := []guildhall.Condition{guildhall.NameContains("chess")}
	bounded := []struct {
		who            guildhall.Actor
		upTo, offset   int
		total          int
		over, nextPage bool
	}{
		{outsider, 3, 0, 3, true, true},
		{outsider, 9, 0, 9, false, true},
		{outsider, 8, 0, 8, true, true},
		{outsider, 3, 4, 6, true, true}, // counts at least to the page's last row
		{outsider, 3, 8, 9, false, false},
		{outsider, 3, 7, 9, false, false}, // a full last page: counted to its end, exact
		{insider, 9, 0, 9, true, true},
		{insider, 10, 0, 10, false, true},
		{site, 10, 0, 10, true, true},
		{site, 11, 0, 11, false, true},
		{site, 3, 10, 11, false, false},
	}
	for _, b := range bounded {
		q := guildhall.GroupQuery{Conditions: contains, Limit: 2, Offset: b.offset, CountUpTo: b.upTo,
			Sort: guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true}}
		page, err := f.s.Groups.QueryGroups(f.ctx, b.who, q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != b.total || page.TotalOver != b.over || (page.Next != "") != b.nextPage {
			t.Errorf("%s counting to %d from %d: total %d over %v next %v, want %d over %v next %v",
				b.who.DisplayName, b.upTo, b.offset, page.Total, page.TotalOver, page.Next != "", b.total, b.over, b.nextPage)
		}
	}
}

// TestSearchPagesWhicheverWayTheyAreRead: a search with few matches is read
// through its matches (fewRowsSQL) and one with many by walking the sort's
// index (searchRowsSQL); either way, paging by Next lists exactly the
// visible matches in order, and the first page's total is right.
func TestSearchPagesWhicheverWayTheyAreRead(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	f.exec(`INSERT INTO groups (name, slug, privacy, owner_id)
		SELECT 'Chess ' || i, 'chess-' || i, CASE WHEN i % 10 = 0 THEN 'SECRET' ELSE 'PUBLIC' END, $1
		FROM generate_series(1, 150) AS i`, owner.ID)
	f.exec(`INSERT INTO group_members (group_id, account_id, role)
		SELECT id, $1, 'MEMBER' FROM groups WHERE name IN ('Chess 70', 'Chess 140')`, insider.ID)
	f.group("Go Club", guildhall.Public, guildhall.GroupSettings{}, owner)

	for _, term := range []string{"chess", "chess 7", "chess 14", "zzqx"} {
		for _, a := range []guildhall.Actor{insider, outsider} {
			var want []string
			if err := f.db.SelectContext(f.ctx, &want, `SELECT g.id FROM groups g
				LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
				WHERE `+groupVisible+` AND strpos(lower(g.name), $3) > 0
				ORDER BY lower(g.name), g.id`, append(viewerArgs(a), term)...); err != nil {
				t.Fatal(err)
			}
			q := guildhall.GroupQuery{Conditions: []guildhall.Condition{guildhall.NameContains(term)}, Limit: 20,
				Sort: guildhall.Sort{Field: guildhall.FieldName}, CountUpTo: guildhall.SearchCountUpTo}
			var got []string
			for page := 0; ; page++ {
				res, err := f.s.Groups.QueryGroups(f.ctx, a, q)
				if err != nil {
					t.Fatal(err)
				}
				if page == 0 {
					wantTotal, wantOver := bounded(len(want), guildhall.SearchCountUpTo)
					if res.Total != wantTotal || res.TotalOver != wantOver {
						t.Errorf("%s, %q: total %d over %v, want %d over %v", a.DisplayName, term, res.Total, res.TotalOver, wantTotal, wantOver)
					}
				}
				for _, g := range res.Items {
					got = append(got, g.ID)
				}
				if res.Next == "" || page > 20 {
					break
				}
				q.Cursor = res.Next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s, %q: paging by Next listed %d groups, want the %d visible matches in name order", a.DisplayName, term, len(got), len(want))
			}
		}
	}
}

// TestDashboardSearchEveryWay: the dashboard's search (searchPageSQL) finds
// its matches by a name prefix (P), by walking the newest groups (W) or
// through the trigram index (T), whichever the word calls for; every way
// lists exactly the visible matches in the page's order, page after page
// by Next, back by Previous and by page number, with the total line's
// numbers ("of N" up to 100, "of more than" beyond).
func TestDashboardSearchEveryWay(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	site := f.person("Site", siteAdminAccount)
	// More live groups than the walk reads (searchWindow), newest first:
	// 60 zebras, then chess and other clubs in turn, with rare finds and
	// 100% clubs among them. One in ten is secret; the insider belongs to
	// some secret chess clubs and zebras.
	manyGroups(f, owner, insider, searchWindow+300, `CASE WHEN i <= 60 THEN 'Zebra ' || i
		WHEN i % 97 = 0 THEN 'A Rare Find ' || i
		WHEN i % 31 = 0 THEN '100% Club ' || i
		WHEN i % 2 = 0 THEN 'Chess Club ' || i ELSE 'Other Club ' || i END`)
	gone := f.group("Chess Gone", guildhall.Public, guildhall.GroupSettings{}, owner)
	f.exec(`UPDATE groups SET deleted_at = now() WHERE id = $1`, gone.ID)
	actors := []guildhall.Actor{site, insider, outsider}
	searchEveryWay(t, f, actors, "", []string{
		"chess",      // P: thousands of names begin with it
		"CHESS CLUB", // P, in capitals
		"100%",       // P, a % taken literally
		"hess",       // W: half the newest groups hold it, none begins with it
		"zebra",      // W chosen (the newest are zebras), too few within the walk: T
		"club 3",     // T with more than 100 matches, none among the newest
		"rare find",  // T, a few dozen
		"zzqx",       // T, none
	})
	// With the directory's privacy filter too.
	searchEveryWay(t, f, actors, guildhall.Private, []string{"chess", "hess", "zebra"})
	searchEveryWay(t, f, actors, guildhall.Secret, []string{"club", "zebra", "rare find"})
}

// TestDashboardSearchOfASmallSite: where the walk reads every live group
// (no more than searchWindow), what it found is every match, however few.
func TestDashboardSearchOfASmallSite(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	site := f.person("Site", siteAdminAccount)
	// 600 groups: yaks are half the newest 150 (some secret) and a few older
	// ones.
	manyGroups(f, owner, insider, 600, `CASE WHEN i <= 150 AND i % 2 = 1 OR i % 50 = 0 THEN 'Yak ' || i
		WHEN i % 3 = 0 THEN 'Chess Club ' || i ELSE 'Other Club ' || i END`)
	searchEveryWay(t, f, []guildhall.Actor{site, insider, outsider}, "", []string{
		"yak",   // W over the whole site, fewer than 100 matches: all of them
		"ak ",   // the same, not a prefix
		"chess", // P
		"club",  // W, more than 100
		"zzqx",  // T
	})
}

// manyGroups stores n groups named by the SQL expression name of i (1 is
// the newest), one in ten secret and one in ten private, with members
// counts and last activities in a few ties; insider belongs to the secret
// ones whose name ends in 5 or that are among the newest 60.
func manyGroups(f *membershipFixture, owner, insider guildhall.Actor, n int, name string) {
	f.t.Helper()
	f.exec(`INSERT INTO groups (name, slug, privacy, owner_id, members_count, created_at, last_activity_at)
		SELECT `+name+`, 'g-' || i, CASE WHEN i % 10 = 5 THEN 'SECRET' WHEN i % 10 = 7 THEN 'PRIVATE' ELSE 'PUBLIC' END, $1,
			i % 7, now() - i * interval '1 minute', now() - (i % 13) * interval '1 hour'
		FROM generate_series(1, $2::int) AS i`, owner.ID, n)
	f.exec(`INSERT INTO group_members (group_id, account_id, role)
		SELECT id, $1, 'MEMBER' FROM groups
		WHERE privacy = 'SECRET' AND (name LIKE '%5' OR created_at > now() - interval '61 minutes')`, insider.ID)
}

// searchEveryWay checks the dashboard's search for each word (and the
// privacy, when one is given), by each of the directory's sorts, as each
// actor: the pages by Next (past the five counted to 100), back by
// Previous and page 3 by number list the visible matches in order, each
// with the total the dashboard shows.
func searchEveryWay(t *testing.T, f *membershipFixture, actors []guildhall.Actor, privacy guildhall.Privacy, words []string) {
	t.Helper()
	sorts := map[string]guildhall.Sort{
		"newest":   {Field: guildhall.FieldCreatedDate, Desc: true},
		"name":     {Field: guildhall.FieldName},
		"members":  {Field: guildhall.FieldMembersCount, Desc: true},
		"activity": {Field: guildhall.FieldLastActivityDate, Desc: true},
	}
	const pageSize, maxPages = 20, 7
	for _, word := range words {
		for sortName, sort := range sorts {
			col, _, _ := queryColumn(sort.Field)
			dir := "ASC"
			if sort.Desc {
				dir = "DESC"
			}
			for _, a := range actors {
				var want []string
				if err := f.db.SelectContext(f.ctx, &want, `SELECT g.id FROM groups g
					LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
					WHERE `+groupVisible+` AND strpos(lower(g.name), lower($3)) > 0 AND $4 IN ('', g.privacy)
					ORDER BY `+col+` `+dir+`, g.id `+dir, append(viewerArgs(a), word, privacy)...); err != nil {
					t.Fatal(err)
				}
				conds := []guildhall.Condition{guildhall.NameContains(word)}
				if privacy != "" {
					conds = append(conds, guildhall.PrivacyIs(privacy))
				}
				name := fmt.Sprintf("%s, %q %s by %s", a.DisplayName, word, privacy, sortName)
				// What the dashboard asks for page p: its offset, and a
				// cursor when it came by Next or Previous.
				query := func(p int, cursor string, backward bool) *guildhall.Page[guildhall.GroupView] {
					t.Helper()
					q := guildhall.GroupQuery{Conditions: conds, Sort: sort,
						Limit: pageSize, Offset: (p - 1) * pageSize, CountTotal: true, CountUpTo: guildhall.SearchCountUpTo,
						Cursor: cursor, Backward: backward}
					res, err := f.s.Groups.QueryGroups(f.ctx, a, q)
					if err != nil {
						t.Fatalf("%s, page %d: %v", name, p, err)
					}
					wantTotal, wantOver := bounded(len(want), max(guildhall.SearchCountUpTo, p*pageSize))
					if res.Total != wantTotal || res.TotalOver != wantOver {
						t.Errorf("%s, page %d: total %d over %v, want %d over %v", name, p, res.Total, res.TotalOver, wantTotal, wantOver)
					}
					return res
				}
				ids := func(res *guildhall.Page[guildhall.GroupView]) string {
					var out []string
					for _, g := range res.Items {
						out = append(out, g.ID)
					}
					return fmt.Sprint(out)
				}
				page := func(p int) string {
					from, to := min((p-1)*pageSize, len(want)), min(p*pageSize, len(want))
					if from == to {
						return fmt.Sprint([]string(nil))
					}
					return fmt.Sprint(want[from:to])
				}

				// Forward by Next, as far as there is a next page.
				var pages []*guildhall.Page[guildhall.GroupView]
				res := query(1, "", false)
				for p := 1; ; p++ {
					if ids(res) != page(p) {
						t.Errorf("%s, page %d by Next: not matches %d to %d of %d", name, p, (p-1)*pageSize+1, p*pageSize, len(want))
					}
					pages = append(pages, res)
					if more := p*pageSize < len(want); (res.Next != "") != more {
						t.Fatalf("%s, page %d: Next %v, want %v", name, p, res.Next != "", more)
					}
					if res.Next == "" || p == maxPages {
						break
					}
					res = query(p+1, res.Next, false)
				}
				// Back by Previous, to the first page.
				for p := len(pages); p > 1; p-- {
					if ids(query(p-1, pages[p-1].Prev, true)) != page(p-1) {
						t.Errorf("%s, page %d by Previous: not the page Next showed", name, p-1)
					}
				}
				// By page number (typed, or a cursor that no longer fits).
				if ids(query(3, "", false)) != page(3) {
					t.Errorf("%s, page 3 by number: not matches %d to %d of %d", name, 2*pageSize+1, 3*pageSize, len(want))
				}
			}
		}
	}
}
