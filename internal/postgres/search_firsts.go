package postgres

import (
	"context"
	"strconv"

	"guildhall/internal/guildhall"
)

// The kept first matches of a common word (migration 00140): the
// dashboard's search for a word in more than fewMatches names, newest
// first and with no other filter, reads its page from the word's kept list
// of its first fewMatches ids, valid while the privacies it covers have
// not changed since (group_privacy_counts.changes), where searchPageSQL
// walks the newest-first index for matches and first chooses how. A page
// the list cannot serve (none kept, or kept before a change) runs
// searchPageSQL and then keeps the list for the next, when the word is
// common. Nothing is kept in the process: the list is a row, read in the
// page's snapshot beside the change numbers it was read at.

// scopeChangesSQL is the sum of the changes of the privacies a viewer's
// list covers: every one for a site admin ($2), else PUBLIC and PRIVATE
// (the viewer's own secret groups are read afresh).
const scopeChangesSQL = `(SELECT sum(pc.changes) FROM group_privacy_counts pc WHERE $2::boolean OR pc.privacy <> 'SECRET')`

// keptSearch reports whether a dashboard search (dashboardSearch) may be
// read from a kept list: newest first from the first match on, with no
// other condition, within the fewMatches kept.
func keptSearch(others []guildhall.Condition, sortExpr string, desc bool, cursor *groupCursor, limit, offset int) bool {
	return len(others) == 0 && sortExpr == fieldColumns[guildhall.FieldCreatedDate] && desc && cursor == nil &&
		offset+limit <= fewMatches
}

// keptSearchSQL is the page of a kept search: the first offset+limit ids
// of the list, if it is still valid, and as many of the newest of the
// viewer's own live secret groups that match, sorted, with the total (more
// than fewMatches, as every kept list's). No row when no valid list is
// kept. The viewer's secret groups are read only for a viewer who is not
// a site admin and has some (their kept count, migration 00170), not all
// older than the last of those ids (the bound of migration 00175): older
// ones cannot be on the page. Its arguments are searchWordArgs' ($1 to
// $4), offset+limit ($5), then the page's.
func keptSearchSQL(limit, offset int, args []any) (string, []any) {
	paging, args := pageSQL(limit, offset, args)
	more := strconv.Itoa(fewMatches + 1)
	return `WITH c AS MATERIALIZED (
	SELECT f.ids[1:$5::int] AS ids, f.total FROM group_search_firsts f
	WHERE f.word = lower($4::text) AND f.admin = $2::boolean AND f.changes = ` + scopeChangesSQL + `),
s AS MATERIALIZED (
	SELECT g.id FROM group_members vm JOIN groups g ON g.id = vm.group_id
	WHERE NOT $2::boolean AND EXISTS (SELECT FROM account_secret_group_counts sc
			WHERE sc.account_id = $1::uuid AND sc.live > 0 AND sc.newest_secret >= (SELECT b.created_at FROM groups b
				WHERE b.id = (SELECT c.ids[array_upper(c.ids, 1)] FROM c)))
		AND vm.account_id = $1::uuid AND g.privacy = 'SECRET' AND g.deleted_at IS NULL
		AND lower(g.name) LIKE lower($3::text)
	ORDER BY g.created_at DESC, g.id DESC LIMIT $5::int)
SELECT least((SELECT total FROM c) + (SELECT count(*) FROM s), ` + more + `) AS total,
	g.created_at::text AS sort_key, ` + groupViewColumns + `
FROM (SELECT unnest(c.ids) AS id FROM c UNION ALL SELECT id FROM s) p
JOIN groups g ON g.id = p.id
LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
ORDER BY g.created_at DESC, g.id DESC` + paging, args
}

// searchFirstsLock is the transaction advisory lock ("gh-first" in ASCII)
// a keepSearchSQL holds while it removes passed lists. One statement at a
// time removes them (the others skip it), so that two, each removing rows
// the other has just kept, cannot wait for each other.
const searchFirstsLock int64 = 0x67682d6669727374

// keepSearchSQL stores the list of a common word for the scope of $2 (a
// site admin's or everyone else's), read by searchPageSQL as nobody (or
// as a site admin) in one snapshot with the change numbers it is valid
// for, unless a list as new is kept already; lists of the scope whose
// change numbers have passed go (searchFirstsLock). A word with no more
// than fewMatches matches is not kept: searchPageSQL lists those from the
// trigram index.
func keepSearchSQL(word string, admin bool) (string, []any, error) {
	created := fieldColumns[guildhall.FieldCreatedDate]
	page, args, err := searchPageSQL(guildhall.Actor{Elevated: admin}, word, nil, created, kindTypes[guildhall.KindTime], true, nil, fewMatches, 0)
	if err != nil {
		return "", nil, err
	}
	return `WITH v AS MATERIALIZED (SELECT ` + scopeChangesSQL + ` AS n),
f AS (` + page + `),
gone AS (DELETE FROM group_search_firsts o
	WHERE o.admin = $2::boolean AND o.word <> lower($4::text) AND o.changes < (SELECT n FROM v)
		AND (SELECT pg_try_advisory_xact_lock(` + strconv.FormatInt(searchFirstsLock, 10) + `)))
INSERT INTO group_search_firsts AS k (word, admin, changes, ids, total)
SELECT lower($4::text), $2::boolean, (SELECT n FROM v), array_agg(f.id ORDER BY f.created_at DESC, f.id DESC), max(f.total)
FROM f
HAVING max(f.total) > ` + strconv.Itoa(fewMatches) + `
ON CONFLICT (word, admin) DO UPDATE SET changes = EXCLUDED.changes, ids = EXCLUDED.ids, total = EXCLUDED.total
WHERE k.changes < EXCLUDED.changes`, args, nil
}

// searchPage reads a dashboard search's page: from the word's kept list
// when keptSearch allows and one is valid, else by searchPageSQL, keeping
// the list for the next page when the word turns out common.
func (s *GroupService) searchPage(ctx context.Context, actor guildhall.Actor, word string, others []guildhall.Condition,
	sortExpr, sortType string, desc bool, cursor *groupCursor, limit, offset int) ([]groupRow, error) {
	kept := keptSearch(others, sortExpr, desc, cursor, limit, offset)
	if kept {
		args := searchWordArgs(actor, word)
		args.add(offset + limit)
		query, qargs := keptSearchSQL(limit, offset, args)
		rows, err := s.db.selectGroupRows(ctx, limit, query, qargs...)
		if err != nil || len(rows) > 0 {
			return rows, err
		}
	}
	query, args, err := searchPageSQL(actor, word, others, sortExpr, sortType, desc, cursor, limit, offset)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.selectGroupRows(ctx, limit, query, args...)
	if err != nil || !kept || len(rows) == 0 || rows[0].Total.Int64 <= fewMatches {
		return rows, err
	}
	// Keeping the list is for the next page's sake: this page is read and
	// exact, so a keep that fails (a lock timeout behind another keeper, a
	// read-only standby) leaves the next page to read the matches as this
	// one did, and this page is still served. The keep is one statement,
	// so it leaves nothing half-kept.
	if query, args, err := keepSearchSQL(word, actor.IsSiteAdmin()); err == nil {
		_, _ = s.db.ExecContext(uncanceled(ctx), query, args...)
	}
	return rows, nil
}
