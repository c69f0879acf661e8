package postgres

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// TestKeptCountsStayExact races joins, leaves, cancellations, bulk
// decisions, privacy changes, renames, creations and deletions, then checks
// every count that is kept rather than counted (pending requests per group,
// live groups per privacy and per name prefix, members per group) against a
// fresh count(*), and the numbers a person reads (the inbox badge, the
// directory's total, a name-prefix query's total) against counting what
// they stand for.
func TestKeptCountsStayExact(t *testing.T) {
	t.Parallel()
	f := newMembershipFixture(t)
	f.db.SetMaxOpenConns(16)
	site := f.person("Sam Siteadmin", siteAdminAccount)
	ada := f.person("Ada Admin")
	groups := []*guildhall.Group{
		f.group("Alpha", guildhall.Private, guildhall.GroupSettings{}, ada),
		f.group("Beta", guildhall.Private, guildhall.GroupSettings{MembersCanApprove: true}, ada),
		f.group("Gamma", guildhall.Public, guildhall.GroupSettings{}, ada),
		f.group("Delta", guildhall.Secret, guildhall.GroupSettings{}, ada),
	}
	var people []guildhall.Actor
	for i := range 24 {
		p := f.person(fmt.Sprintf("Person %d", i))
		people = append(people, p)
		if i%3 == 0 {
			f.pending(groups[i%2], p, epoch.Add(-time.Duration(i)*time.Second))
		}
	}
	f.member(groups[1], people[1], guildhall.RoleMember) // may approve in Beta
	for _, p := range people[:6] {
		f.member(groups[3], p, guildhall.RoleMember) // Delta's members, its privacy and liveness racing
	}

	// A word in more than 100 names, whose search keeps its first
	// matches (search_firsts.go) while the renames and creations below
	// move them.
	// One in ten is secret, people[7] a member of those.
	f.exec(`INSERT INTO groups (name, slug, privacy, owner_id, members_count, created_at)
		SELECT 'Gamelan ' || i, 'gamelan-' || i, CASE i % 10 WHEN 5 THEN 'SECRET' WHEN 7 THEN 'PRIVATE' ELSE 'PUBLIC' END, $1,
			CASE i % 10 WHEN 5 THEN 1 ELSE 0 END, now() - i * interval '1 minute'
		FROM generate_series(1, 110) AS i`, ada.ID)
	f.exec(`INSERT INTO group_members (group_id, account_id, role)
		SELECT id, $1, 'MEMBER' FROM groups WHERE name LIKE 'Gamelan %' AND privacy = 'SECRET'`, people[7].ID)

	var mu sync.Mutex
	var failures []string
	check := func(what string, err error) {
		if err != nil && !isDomainError(err) {
			mu.Lock()
			failures = append(failures, fmt.Sprintf("%s: %v", what, err))
			mu.Unlock()
		}
	}
	const rounds = 25
	var workers []func()
	for w := range 6 {
		workers = append(workers, func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for range rounds {
				p := people[rnd.IntN(len(people))]
				g := groups[rnd.IntN(3)]
				switch rnd.IntN(3) {
				case 0:
					_, err := f.ms.Join(f.ctx, p, g.ID, nil)
					check("join", err)
				case 1:
					check("leave", f.ms.Leave(f.ctx, p, g.ID))
				default:
					_, err := f.ms.CancelJoinRequest(f.ctx, p, g.ID)
					check("cancel", err)
				}
			}
		})
	}
	for w, decider := range []guildhall.Actor{ada, people[1], site} {
		workers = append(workers, func() {
			rnd := rand.New(rand.NewPCG(uint64(100+w), 2))
			for range rounds {
				g := groups[rnd.IntN(2)]
				var ids []string
				var rejections []guildhall.MemberRejection
				for _, p := range people {
					if rnd.IntN(3) == 0 {
						ids = append(ids, p.ID)
						rejections = append(rejections, guildhall.MemberRejection{AccountID: p.ID, Reason: "Full."})
					}
				}
				if rnd.IntN(2) == 0 {
					_, err := f.ms.ApproveJoinRequests(f.ctx, decider, g.ID, ids)
					check("approve", err)
				} else {
					_, err := f.ms.RejectJoinRequests(f.ctx, decider, g.ID, rejections)
					check("reject", err)
				}
			}
		})
	}
	workers = append(workers, func() {
		privacies := []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret, guildhall.Private}
		for i := range rounds {
			p := privacies[i%len(privacies)]
			_, err := f.s.Groups.UpdateGroup(f.ctx, ada, groups[i%2].ID, guildhall.GroupUpdate{Privacy: &p})
			check("privacy change", err)
		}
	}, func() {
		// Renames among names that share their first letters with each
		// other and with the groups created meanwhile, racing the privacy
		// changes of the same groups.
		names := []string{"Alpine", "Gamma Ray", "Alphabet", "Gamut", "Alpha", "Gamma"}
		for i := range rounds {
			name := names[i%len(names)]
			_, err := f.s.Groups.UpdateGroup(f.ctx, ada, groups[[]int{0, 2, 1, 3}[i%4]].ID, guildhall.GroupUpdate{Name: &name})
			check("rename", err)
		}
	})
	workers = append(workers, func() {
		// Delta to and from secret, soft-deleted and restored, while its
		// members join and leave; secret groups created (their creator a
		// member) hard-deleted.
		privacies := []guildhall.Privacy{guildhall.Private, guildhall.Secret, guildhall.Public, guildhall.Secret}
		for i := range rounds {
			p := privacies[i%len(privacies)]
			_, err := f.s.Groups.UpdateGroup(f.ctx, ada, groups[3].ID, guildhall.GroupUpdate{Privacy: &p})
			check("Delta's privacy change", err)
			switch i % 5 {
			case 1:
				_, err = f.db.ExecContext(f.ctx, `UPDATE groups SET deleted_at = now() WHERE id = $1`, groups[3].ID)
				check("Delta's deletion", err)
			case 2:
				_, err = f.db.ExecContext(f.ctx, `UPDATE groups SET deleted_at = NULL WHERE id = $1`, groups[3].ID)
				check("Delta's restoration", err)
			case 4:
				_, err = f.db.ExecContext(f.ctx, `DELETE FROM groups WHERE id = (SELECT id FROM groups
					WHERE name LIKE 'Pop-up %' AND privacy = 'SECRET' AND deleted_at IS NULL LIMIT 1)`)
				check("hard deletion", err)
			}
		}
	}, func() {
		rnd := rand.New(rand.NewPCG(7, 3))
		for range rounds {
			p := people[rnd.IntN(8)]
			if rnd.IntN(2) == 0 {
				_, err := f.ms.Join(f.ctx, p, groups[3].ID, nil)
				check("join Delta", err)
			} else {
				check("leave Delta", f.ms.Leave(f.ctx, p, groups[3].ID))
			}
		}
	})
	workers = append(workers, func() {
		// A transaction of several statements, as the seed's: groups of
		// every privacy, named so that its statements take prefix rows in
		// the opposite order of the renames and creations.
		for i := range rounds / 5 {
			tx, err := f.db.BeginTxx(f.ctx, nil)
			if err != nil {
				check("bulk insert", err)
				continue
			}
			for _, name := range []string{"Gamut bulk", "Alpha bulk", "Pop-up bulk"} {
				_, err = tx.ExecContext(f.ctx, `INSERT INTO groups (name, slug, privacy, owner_id)
					SELECT $1 || ' ' || p, lower(replace($1, ' ', '-')) || '-' || $2 || '-' || lower(p), p, $3
					FROM unnest(ARRAY['PUBLIC', 'PRIVATE', 'SECRET']) AS p`, name, i, site.ID)
				if err != nil {
					break
				}
			}
			if err == nil {
				err = tx.Commit()
			} else {
				_ = tx.Rollback()
			}
			check("bulk insert", err)
		}
	})
	for w := range 2 {
		workers = append(workers, func() {
			for i := range rounds / 2 {
				c, err := f.s.Groups.CreateGroup(f.ctx, site, guildhall.GroupInput{
					Name:    fmt.Sprintf("%s %d-%d", []string{"Pop-up", "Alpine", "Gam"}[(i+w)%3], w, i),
					Privacy: []guildhall.Privacy{guildhall.Public, guildhall.Private, guildhall.Secret}[i%3]}, "")
				check("create", err)
				if err == nil && c.Group != nil && i%2 == w {
					_, err = f.s.Groups.DeleteGroup(f.ctx, site, c.Group.ID)
					check("delete", err)
				}
			}
		})
	}
	for w := range 2 {
		// Words in more than 100 names each, so that lists of different
		// words are kept (and passed ones removed) at once.
		workers = append(workers, func() {
			searchers := []guildhall.Actor{site, ada, people[7], people[5]}
			words := []string{"gam", "gamelan", "amel"}
			for i := range rounds * 2 {
				_, err := f.s.Groups.QueryGroups(f.ctx, searchers[(i+w)%len(searchers)], guildhall.GroupQuery{
					Conditions: []guildhall.Condition{guildhall.NameContains(words[(i+w)%len(words)])},
					Sort:       guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true},
					Limit:      20, Offset: 20 * (i % 3), CountTotal: true, CountUpTo: guildhall.SearchCountUpTo})
				check("search", err)
			}
		})
	}
	startTogether(workers...)
	for _, msg := range failures {
		t.Error(msg)
	}
	if n := f.count(`SELECT count(*) FROM join_requests WHERE status IN ('APPROVED', 'REJECTED')`); n == 0 {
		t.Fatal("the race decided no request: it tested nothing")
	}

	drift := []struct{ name, query string }{
		{"pending requests per group", `
			SELECT g.name || ': kept ' || COALESCE(c.pending, 0) || ', counted ' || x.n
			FROM groups g LEFT JOIN group_pending_counts c ON c.group_id = g.id,
				LATERAL (SELECT count(*) AS n FROM join_requests r WHERE r.group_id = g.id AND r.status = 'PENDING') x
			WHERE COALESCE(c.pending, 0) <> x.n`},
		{"live groups per privacy", `
			SELECT c.privacy || ': kept ' || c.live || ', counted ' || x.n
			FROM group_privacy_counts c,
				LATERAL (SELECT count(*) AS n FROM groups g WHERE g.privacy = c.privacy AND g.deleted_at IS NULL) x
			WHERE c.live <> x.n`},
		{"live secret groups per member", `
			SELECT a.id || ': kept ' || COALESCE(c.live, 0) || ', counted ' || x.n
			FROM accounts a LEFT JOIN account_secret_group_counts c ON c.account_id = a.id,
				LATERAL (SELECT count(*) AS n FROM group_members m JOIN groups g ON g.id = m.group_id
					WHERE m.account_id = a.id AND g.privacy = 'SECRET' AND g.deleted_at IS NULL) x
			WHERE COALESCE(c.live, 0) <> x.n`},
		{"the bound on each member's newest secret group (migration 00175)", `
			SELECT a.id || ': bound ' || COALESCE(c.newest_secret::text, 'none') || ', newest ' || x.newest
			FROM accounts a LEFT JOIN account_secret_group_counts c ON c.account_id = a.id,
				LATERAL (SELECT max(g.created_at) AS newest FROM group_members m JOIN groups g ON g.id = m.group_id
					WHERE m.account_id = a.id AND g.privacy = 'SECRET' AND g.deleted_at IS NULL) x
			WHERE x.newest IS NOT NULL AND (c.newest_secret IS NULL OR c.newest_secret < x.newest)`},
		{"members per group", `
			SELECT g.name || ': kept ' || g.members_count || ', counted ' || x.n
			FROM groups g, LATERAL (SELECT count(*) AS n FROM group_members m WHERE m.group_id = g.id) x
			WHERE g.members_count <> x.n`},
	}
	for _, d := range drift {
		var rows []string
		if err := f.db.SelectContext(f.ctx, &rows, d.query); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			t.Errorf("%s drifted: %s", d.name, r)
		}
	}
	f.wantPrefixCountsExact()
	// Every kept list still valid holds the first matches of its scope,
	// read afresh, and every search shows what it must.
	var stale []string
	if err := f.db.SelectContext(f.ctx, &stale, `SELECT k.word || ' (site admins: ' || k.admin || ')'
		FROM group_search_firsts k,
			LATERAL (SELECT COALESCE(array_agg(id), '{}') AS ids FROM (SELECT g.id FROM groups g
				WHERE g.deleted_at IS NULL AND (k.admin OR g.privacy <> 'SECRET') AND strpos(lower(g.name), k.word) > 0
				ORDER BY g.created_at DESC, g.id DESC LIMIT 100) m) x,
			LATERAL (SELECT count(*) AS n FROM groups g
				WHERE g.deleted_at IS NULL AND (k.admin OR g.privacy <> 'SECRET') AND strpos(lower(g.name), k.word) > 0) y
		WHERE k.changes = (SELECT sum(pc.changes) FROM group_privacy_counts pc WHERE k.admin OR pc.privacy <> 'SECRET')
			AND (k.ids <> x.ids OR k.total <> least(y.n, 101))`); err != nil {
		t.Fatal(err)
	}
	for _, w := range stale {
		t.Errorf("the kept first matches of %s are valid but not the matches", w)
	}
	for _, a := range []guildhall.Actor{site, ada, people[7], people[5]} {
		for _, offset := range []int{0, 40, 80} {
			gotIDs, gotTotal := dashboardSearchIDs(t, f, a, "gam", offset)
			wantIDs, wantTotal := freshSearchIDs(t, f, a, "gam", offset)
			if !slices.Equal(gotIDs, wantIDs) || gotTotal != wantTotal {
				t.Errorf("%s's search of \"gam\" at %d lists %d groups (%s), want %d (%s)", a.DisplayName, offset, len(gotIDs), gotTotal, len(wantIDs), wantTotal)
			}
		}
	}
	if f.count(`SELECT count(*) FROM group_search_firsts WHERE word = 'gam'`) == 0 {
		t.Error("no search of \"gam\" kept its first matches: the race tested none")
	}
	if n := f.count(`SELECT count(*) FROM groups WHERE name LIKE 'Alp%' OR name LIKE 'Gam%'`); n < 4 {
		t.Fatalf("only %d groups named Alp… or Gam…: the renames and creations raced nothing", n)
	}

	for _, a := range append([]guildhall.Actor{site, ada}, people...) {
		badge, err := f.ms.InboxCount(f.ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		// What waits for a's decision, counted afresh: guildhall.CanDecideJoinRequests in SQL.
		counted := f.count(`SELECT count(*) FROM join_requests r JOIN groups g ON g.id = r.group_id
			LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
			WHERE r.status = 'PENDING' AND g.deleted_at IS NULL
				AND ($2 OR m.role = 'ADMIN' OR (m.role IS NOT NULL AND g.members_can_approve))`, viewerArgs(a)...)
		if badge != counted {
			t.Errorf("%s's inbox badge says %d, %d wait", a.DisplayName, badge, counted)
		}
		inbox, err := f.ms.Inbox(f.ctx, a, 5, 0)
		if err != nil {
			t.Fatal(err)
		}
		if inbox.Total != counted || len(inbox.Items) != min(counted, 5) {
			t.Errorf("%s's inbox says %d wait and shows %d, %d wait", a.DisplayName, inbox.Total, len(inbox.Items), counted)
		}
		page, err := f.s.Groups.QueryGroups(f.ctx, a, guildhall.GroupQuery{
			Sort: guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true}, Limit: 1, Offset: 1})
		if err != nil {
			t.Fatal(err)
		}
		counted = f.count(`SELECT count(*) FROM groups g
			LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
			WHERE `+groupVisible, viewerArgs(a)...)
		if page.Total != counted {
			t.Errorf("%s's directory says %d groups, %d are visible", a.DisplayName, page.Total, counted)
		}
		for _, prefix := range []string{"a", "AL", "alp", "Alpha", "g", "gam", "Gamma R", "pop-up 1-", "Pop-up 0-10"} {
			page, err := f.s.Groups.QueryGroups(f.ctx, a, guildhall.GroupQuery{Limit: 1,
				Conditions: []guildhall.Condition{{Field: guildhall.FieldName, Op: guildhall.OpStartsWith, Value: prefix}}})
			if err != nil {
				t.Fatal(err)
			}
			if want := len(f.visiblePrefixMatches(a, prefix)); page.Total != want {
				t.Errorf("%s's query of names starting %q says %d groups, %d are visible", a.DisplayName, prefix, page.Total, want)
			}
		}
	}

	// An account deleted takes its kept count with it.
	f.exec(`DELETE FROM accounts WHERE id = $1`, people[0].ID)
	if n := f.count(`SELECT count(*) FROM account_secret_group_counts WHERE account_id = $1`, people[0].ID); n != 0 {
		t.Errorf("a deleted account keeps %d rows of account_secret_group_counts", n)
	}
}
