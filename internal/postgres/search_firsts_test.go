package postgres

import (
	"fmt"
	"slices"
	"testing"

	"guildhall/internal/guildhall"
)

// dashboardSearchIDs is the dashboard's search for word as a, newest first,
// the page at offset: its groups' ids and its total (counted to 100).
func dashboardSearchIDs(t *testing.T, f *membershipFixture, a guildhall.Actor, word string, offset int) ([]string, string) {
	t.Helper()
	page, err := f.s.Groups.QueryGroups(f.ctx, a, guildhall.GroupQuery{
		Conditions: []guildhall.Condition{guildhall.NameContains(word)},
		Sort:       guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true},
		Limit:      20, Offset: offset, CountTotal: true, CountUpTo: guildhall.SearchCountUpTo})
	if err != nil {
		t.Fatalf("%s searches %q: %v", a.DisplayName, word, err)
	}
	ids := []string{}
	for _, g := range page.Items {
		ids = append(ids, g.ID)
	}
	return ids, fmt.Sprintf("%d over=%v", page.Total, page.TotalOver)
}

// freshSearchIDs is what that page must hold, counted afresh from groups.
func freshSearchIDs(t *testing.T, f *membershipFixture, a guildhall.Actor, word string, offset int) ([]string, string) {
	t.Helper()
	var all []string
	if err := f.db.SelectContext(f.ctx, &all, `SELECT g.id FROM groups g
		LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
		WHERE `+groupVisible+` AND strpos(lower(g.name), lower($3)) > 0
		ORDER BY g.created_at DESC, g.id DESC`, append(viewerArgs(a), word)...); err != nil {
		t.Fatal(err)
	}
	total, over := bounded(len(all), guildhall.SearchCountUpTo)
	ids := []string{}
	if offset < len(all) {
		ids = all[offset:min(offset+20, len(all))]
	}
	return ids, fmt.Sprintf("%d over=%v", total, over)
}

// keptListValid reports whether the kept list of word for the scope (a
// site admin's or not) is there and still valid.
func keptListValid(f *membershipFixture, word string, admin bool) bool {
	return f.count(`SELECT count(*) FROM group_search_firsts
		WHERE word = lower($1) AND admin = $2 AND changes = `+scopeChangesSQL, word, admin) == 1
}

// TestKeptSearchFollowsChanges: the dashboard's search of a common word
// reads its page from the word's kept list, and after every change that
// can move what it finds (a group created, renamed, made secret or
// public, deleted, restored, hard-deleted) it still shows exactly the
// visible matches, newest first, for a site admin, a member of secret
// matches, a member of one old secret match only (whose pages skip their
// secret groups until a newer one is theirs) and someone with none; a
// change of a secret group leaves the list of everyone else valid.
func TestKeptSearchFollowsChanges(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	insider := f.person("Insider")
	outsider := f.person("Outsider")
	site := f.person("Site", siteAdminAccount)
	// 300 groups, 200 with "chess" in their name, one in ten secret (the
	// insider in some), one in ten private.
	manyGroups(f, owner, insider, 300, `CASE WHEN i % 3 <> 1 THEN 'Chess Club ' || i ELSE 'Other Club ' || i END`)
	// The elder belongs to the oldest secret match alone: older than any
	// first page's last match, so their pages skip reading their secret
	// groups (migration 00175) until a newer one is theirs.
	elder := f.person("Elder")
	var oldest guildhall.Group
	if err := f.db.GetContext(f.ctx, &oldest, `SELECT `+groupColumns+` FROM groups g
		WHERE g.privacy = 'SECRET' AND g.name LIKE 'Chess%' ORDER BY g.created_at LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	f.member(&oldest, elder, guildhall.RoleMember)
	if n := f.count(`SELECT count(*) FROM account_secret_group_counts WHERE account_id = $1 AND newest_secret < (
			SELECT created_at FROM groups WHERE privacy <> 'SECRET' AND name LIKE 'Chess%'
			ORDER BY created_at DESC, id DESC OFFSET 19 LIMIT 1)`, elder.ID); n != 1 {
		t.Fatal("the elder's secret groups are not all older than the first page: the test would not skip them")
	}
	actors := []guildhall.Actor{outsider, insider, elder, site}

	check := func(after string) {
		t.Helper()
		for _, a := range actors {
			for _, offset := range []int{0, 40, 80} {
				gotIDs, gotTotal := dashboardSearchIDs(t, f, a, "chess", offset)
				wantIDs, wantTotal := freshSearchIDs(t, f, a, "chess", offset)
				if !slices.Equal(gotIDs, wantIDs) || gotTotal != wantTotal {
					t.Errorf("after %s, %s's search at %d lists %d groups (%s), want %d (%s); first %v, want %v",
						after, a.DisplayName, offset, len(gotIDs), gotTotal, len(wantIDs), wantTotal, first(gotIDs), first(wantIDs))
				}
			}
		}
		for _, admin := range []bool{false, true} {
			if !keptListValid(f, "chess", admin) {
				t.Errorf("after %s, no valid kept list of \"chess\" (site admin's: %v)", after, admin)
			}
		}
	}
	check("the first searches")

	// The pages come from the list: with its first id taken out, the
	// outsider's first page starts with the second match.
	// So do the insider's, with their secret matches among them.
	f.exec(`UPDATE group_search_firsts SET ids = ids[2:] WHERE word = 'chess' AND NOT admin`)
	for _, a := range []guildhall.Actor{outsider, insider} {
		got, _ := dashboardSearchIDs(t, f, a, "chess", 0)
		want, _ := freshSearchIDs(t, f, a, "chess", 0)
		if gone := slices.DeleteFunc(slices.Clone(want), func(id string) bool { return !slices.Contains(got, id) }); len(got) == 0 || len(gone) != len(want)-1 {
			t.Fatalf("with the kept list's first id removed %s's search still lists %d of the %d matches: it does not read the list", a.DisplayName, len(gone), len(want))
		}
	}
	f.exec(`DELETE FROM group_search_firsts`)
	check("the list removed")

	newest := func(privacy guildhall.Privacy) string {
		var id string
		if err := f.db.GetContext(f.ctx, &id, `SELECT id FROM groups
			WHERE name ILIKE '%chess%' AND privacy = $1 AND deleted_at IS NULL
			ORDER BY created_at DESC, id DESC LIMIT 1`, privacy); err != nil {
			t.Fatalf("the newest %s match: %v", privacy, err)
		}
		return id
	}
	created, err := f.s.Groups.CreateGroup(f.ctx, site, guildhall.GroupInput{Name: "Chess Newcomers", Privacy: guildhall.Public}, "")
	if err != nil {
		t.Fatal(err)
	}
	check("a matching group created")

	renamed := newest(guildhall.Public)
	f.exec(`UPDATE groups SET name = 'Checkers' WHERE id = $1`, renamed)
	check("the newest match renamed away")
	f.exec(`UPDATE groups SET name = 'Chess again' WHERE id = $1`, renamed)
	check("renamed back")

	secret := guildhall.Secret
	if _, err := f.s.Groups.UpdateGroup(f.ctx, site, created.Group.ID, guildhall.GroupUpdate{Privacy: &secret}); err != nil {
		t.Fatal(err)
	}
	check("the newest match made secret")
	public := guildhall.Public
	if _, err := f.s.Groups.UpdateGroup(f.ctx, site, created.Group.ID, guildhall.GroupUpdate{Privacy: &public}); err != nil {
		t.Fatal(err)
	}
	check("made public again")

	// The elder joins the newest match, which is then made secret: it is
	// on the elder's first page (their bound raised by the privacy change),
	// and so is a new secret match they are added to.
	f.member(created.Group, elder, guildhall.RoleMember)
	if _, err := f.s.Groups.UpdateGroup(f.ctx, site, created.Group.ID, guildhall.GroupUpdate{Privacy: &secret}); err != nil {
		t.Fatal(err)
	}
	check("the elder's group made secret")
	if ids, _ := dashboardSearchIDs(t, f, elder, "chess", 0); len(ids) == 0 || ids[0] != created.Group.ID {
		t.Errorf("the elder's first page starts with %s, not their new secret group", first(ids))
	}
	society := f.group("Chess Society", guildhall.Secret, guildhall.GroupSettings{}, site)
	f.member(society, elder, guildhall.RoleMember)
	check("the elder added to a new secret match")
	if _, err := f.s.Groups.UpdateGroup(f.ctx, site, created.Group.ID, guildhall.GroupUpdate{Privacy: &public}); err != nil {
		t.Fatal(err)
	}
	check("the elder's group made public again")

	private := newest(guildhall.Private)
	f.exec(`UPDATE groups SET deleted_at = now() WHERE id = $1`, private)
	check("a private match deleted")
	f.exec(`UPDATE groups SET deleted_at = NULL WHERE id = $1`, private)
	check("restored")
	f.exec(`DELETE FROM groups WHERE id = $1`, newest(guildhall.Public))
	check("a public match hard-deleted")

	// A secret match renamed away: the insider no longer sees it, and
	// everyone else's list stays valid (its change numbers cover no
	// secret group).
	var insiders string
	if err := f.db.GetContext(f.ctx, &insiders, `SELECT g.id FROM groups g JOIN group_members m ON m.group_id = g.id
		WHERE m.account_id = $1 AND g.privacy = 'SECRET' AND g.name LIKE 'Chess%' ORDER BY g.created_at DESC LIMIT 1`, insider.ID); err != nil {
		t.Fatal(err)
	}
	f.exec(`UPDATE groups SET name = 'Quiet room' WHERE id = $1`, insiders)
	if !keptListValid(f, "chess", false) {
		t.Error("a secret group renamed passed everyone else's kept list")
	}
	if keptListValid(f, "chess", true) {
		t.Error("a secret group renamed left the site admins' kept list valid")
	}
	check("the insider's secret match renamed away")

	// Updates that move nothing a search finds (members count, last
	// activity) leave the lists valid.
	f.exec(`UPDATE groups SET members_count = members_count + 1, last_activity_at = now()`)
	for _, admin := range []bool{false, true} {
		if !keptListValid(f, "chess", admin) {
			t.Errorf("a members count's update passed the kept list (site admin's: %v)", admin)
		}
	}

	// A word with no more than 100 matches keeps no list.
	dashboardSearchIDs(t, f, outsider, "club 1", 0)
	if n := f.count(`SELECT count(*) FROM group_search_firsts WHERE word = 'club 1'`); n != 0 {
		t.Errorf("a word with few matches kept %d lists", n)
	}
	// Old lists of a scope go when a newer one is kept.
	dashboardSearchIDs(t, f, outsider, "club", 0)
	f.exec(`UPDATE groups SET name = name || ' ' WHERE id = $1`, renamed)
	dashboardSearchIDs(t, f, outsider, "club", 0)
	if n := f.count(`SELECT count(*) FROM group_search_firsts WHERE NOT admin
		AND changes < (SELECT sum(changes) FROM group_privacy_counts WHERE privacy <> 'SECRET')`); n != 0 {
		t.Errorf("%d passed lists stay kept after a newer one of their scope", n)
	}
}

func first(ids []string) string {
	if len(ids) == 0 {
		return "(none)"
	}
	return ids[0]
}

// TestSecretBoundTakesNoNewLocks: a member's role change in a secret
// group raises no bound (migration 00176), so it does not wait for another
// transaction that holds the member's kept row (here an approval into
// another secret group, still open), as it never did before the bound.
func TestSecretBoundTakesNoNewLocks(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	owner := f.person("Owner")
	member := f.person("Member")
	first := f.group("First room", guildhall.Secret, guildhall.GroupSettings{}, owner)
	second := f.group("Second room", guildhall.Secret, guildhall.GroupSettings{}, owner)
	f.member(first, member, guildhall.RoleMember)

	open, err := f.db.BeginTxx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = open.Rollback() }()
	if _, err := open.ExecContext(f.ctx, `INSERT INTO group_members (group_id, account_id, role) VALUES ($1, $2, 'MEMBER')`,
		second.ID, member.ID); err != nil {
		t.Fatal(err)
	}

	tx, err := f.db.BeginTxx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(f.ctx, `SET LOCAL lock_timeout = '2s'`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(f.ctx, `UPDATE group_members SET role = 'ADMIN' WHERE group_id = $1 AND account_id = $2`,
		first.ID, member.ID); err != nil {
		t.Fatalf("a role change waited for another transaction's membership: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
