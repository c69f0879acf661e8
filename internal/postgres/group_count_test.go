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
