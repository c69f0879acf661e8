package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"guildhall/internal/guildhall"
)

// groupVisibleByID is groupVisible without the join to the viewer's
// memberships: the viewer's secret groups are found by id in the array of
// their own groups, read once per statement (an InitPlan over
// group_members_account_idx, a few dozen ids) and consulted only for a
// secret row. A search then reads no more than its indexes: each match is
// judged by the privacy and id the index carries, where the join held
// every matched row on the heap (a count read all 5,000 matches of
// "chess") or compared it with each of the viewer's memberships (a
// nested loop of 50 per row walked). Same rule, same $1 and $2.
var groupVisibleByID = `g.deleted_at IS NULL AND ` + viewerSeesByID(viewerGroupIDs)

// viewerGroupIDs is the array of the viewer's group ids.
const viewerGroupIDs = `ARRAY(SELECT vm.group_id FROM group_members vm WHERE vm.account_id = $1::uuid)`

// viewerSeesByID is groupVisibleByID of a group known to be live (read
// from an index of live groups only), mine being the viewer's group ids.
func viewerSeesByID(mine string) string {
	return `($2::boolean OR g.privacy <> 'SECRET' OR g.id = ANY (` + mine + `))`
}

// searchRowsSQL is a page of a search (a filter on the name): the ids are
// chosen first, by walking the sort's index (which carries name and
// privacy, migration 00091) and judging each entry there, and only the
// page's rows are then read from the heap with the viewer's role. Walking
// the index by members count read a heap page for every entry passed
// (480 for 20 rows of "chess"). where is the filter (placeholders from $3)
// and keyset; order and paging are the page's ORDER BY and LIMIT/OFFSET;
// total is a first column ("" or "(…) AS total, ").
func searchRowsSQL(total, sortExpr, where, order, paging string) string {
	return `SELECT ` + total + sortExpr + `::text AS sort_key, ` + groupViewColumns + `
	FROM (SELECT g.id FROM groups g WHERE ` + groupVisibleByID + ` AND ` + where + order + paging + `) p
	JOIN groups g ON g.id = p.id
	LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid` + order
}

// countSQL counts the live groups matching conds (SQL over groups g,
// placeholders from $3) that the viewer $1, a site admin when $2, may see;
// with upTo above zero only until there are more than upTo (bounded reads
// the result). Visibility is groupVisibleByID, so a name prefix
// ($startsWith) is counted from groups_name_prefix_idx alone (an
// index-only scan: name, privacy and id are in it); other filters still
// read their matches. One SQL text for every viewer, planned once per
// connection. QueryGroups puts it in the statement of the rows, so a
// search's page is one round trip.
func countSQL(conds []string, upTo int) string {
	limit := ""
	if upTo > 0 {
		limit = " LIMIT " + strconv.Itoa(upTo+1)
	}
	return `SELECT count(*) FROM (SELECT 1 FROM groups g WHERE ` +
		strings.Join(append([]string{groupVisibleByID}, conds...), " AND ") + limit + `) c`
}

// bounded is what a count to upTo (none when zero) says: n, or, past upTo,
// upTo and that there are more.
func bounded(n, upTo int) (total int, over bool) {
	if upTo > 0 && n > upTo {
		return upTo, true
	}
	return n, false
}

// countGroups runs countSQL on its own, for a page whose rows did not
// carry it (past the end, or a deeper page than the first pages' bound).
// A bounded count reads at most upTo+1 matches however many there are. The
// dashboard's first pages count in their own statement (searchPageSQL);
// one past the matches counts here to the same bound
// (guildhall.SearchCountUpTo), one prepared statement, and a deeper page
// to its own last row, a limit of its own, unprepared (prepare false) so
// that page numbers do not fill the statement cache.
func countGroups(ctx context.Context, db *DB, conds []string, args []any, upTo int, prepare bool) (total int, over bool, err error) {
	query := countSQL(conds, upTo)
	if prepare {
		err = db.getPrepared(ctx, &total, query, args...)
	} else {
		err = db.GetContext(ctx, &total, query, args...)
	}
	if err != nil {
		return 0, false, fmt.Errorf("count groups: %w", err)
	}
	total, over = bounded(total, upTo)
	return total, over, nil
}

// fewMatches is how many matches a search may have for its page to be read
// from the matches themselves (fewRowsSQL) rather than by walking the
// sort's index (searchRowsSQL).
const fewMatches = 100

// fewRowsSQL is a page of a search that matches few groups (at most
// fewMatches, counted first): the matches are found by the filter's own
// index (the trigram or name-prefix index; OFFSET 0 keeps PostgreSQL from
// folding the subquery into a walk of the sort's index) and only they are
// sorted. One generic plan for every search walked the sort's index until
// it had a page, which for a word no name holds meant the whole index
// (35 ms at 100,000 groups) and for a rare one most of it. where is the
// filter (placeholders from $3); keyset, order and paging as in
// searchRowsSQL.
func fewRowsSQL(sortExpr, where, keyset, order, paging string) string {
	return `SELECT ` + sortExpr + `::text AS sort_key, ` + groupViewColumns + `
	FROM (SELECT g.id FROM groups g WHERE ` + groupVisibleByID + ` AND ` + where + ` OFFSET 0) p
	JOIN groups g ON g.id = p.id
	LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
	WHERE true` + keyset + order + paging
}

// The dashboard's search (a name containing a word, perhaps a privacy,
// its total counted to guildhall.SearchCountUpTo) is one statement,
// searchPageSQL. It finds up to fewMatches+1 visible matches, the total's
// worth, by the cheapest of three ways, chosen in the statement:
//
//   - P: more than fewMatches names begin with the word. The name prefix
//     index lists fewMatches+1 of them alone (an index-only scan), which
//     proves "more than" whatever the data, and the page walks the sort's
//     index as searchRowsSQL does (383 entries for 20 rows of "chess").
//   - W: enough of the searchProbe newest groups match that walking the
//     newest-first index (which carries the lowered name) reaches
//     fewMatches+1 matches sooner than the trigram index would list every
//     match. The walk stops there or after searchWindow entries; it
//     settles the total when it found fewMatches+1 or read every live
//     group, and then holds the newest-first page's rows too.
//   - T: otherwise (a rare word, or a walk that settled nothing), the
//     trigram index lists the matches and at most fewMatches+1 are read, as
//     countSQL does.
//
// Up to fewMatches matches are sorted for the page, as fewRowsSQL does;
// more are paged by walking the sort's index. The trigram index's cost
// grows with a word's matches (all 5,000 of "chess" at 100,000 groups), a
// walk's with how rare the word is, so neither alone stays flat; one
// statement also spares the round trip of a count first.
const (
	// searchProbe is how many of the newest groups tell how common a word
	// is (by name and privacy; who may see them does not matter there).
	searchProbe = 128
	// searchWindow is as far as W walks.
	searchWindow = 4096
)

// searchWalkEnough is how many of the searchProbe newest groups must match
// for W: with h of them matching among live groups, the walk reads about
// (fewMatches+1)·searchProbe/h entries and the trigram index lists about
// h·live/searchProbe matches, at about the same cost each (some 1,400
// instructions, measured), so the walk is the cheaper when
// h²·live ≥ (fewMatches+1)·searchProbe². h must also reach
// (fewMatches+1)·searchProbe/searchWindow, for the walk to expect its
// matches within searchWindow.
var searchWalkEnough = fmt.Sprintf(`greatest(%d, ceil(sqrt(%d.0 / greatest(l.live, 1))))::int`,
	((fewMatches+1)*searchProbe+searchWindow-1)/searchWindow, (fewMatches+1)*searchProbe*searchProbe)

// dashboardSearch reports whether q is the dashboard's search, which
// searchPageSQL answers, and its word and other conditions: one name that
// contains a word, the others on privacy (which every index it reads
// carries), the total counted to a bound of at most fewMatches that this
// page does not pass.
func dashboardSearch(q guildhall.GroupQuery, cursor *groupCursor) (word string, others []guildhall.Condition, ok bool) {
	if q.CountUpTo <= 0 || q.CountUpTo > fewMatches || q.Offset+q.Limit > q.CountUpTo || (cursor != nil && !q.CountTotal) {
		return "", nil, false
	}
	for _, c := range q.Conditions {
		switch {
		case c.Field == guildhall.FieldName && c.Op == guildhall.OpContains && !ok:
			word, ok = fmt.Sprint(c.Value), true
		case c.Field == guildhall.FieldPrivacy:
			others = append(others, c)
		default:
			return "", nil, false
		}
	}
	return word, others, ok && word != ""
}

// searchWordArgs are the first arguments of a dashboard search's
// statements (searchPageSQL, keptSearchSQL): the viewer's ($1, $2), the
// word's LIKE pattern ($3) and the word itself ($4).
func searchWordArgs(actor guildhall.Actor, word string) sqlArgs {
	return append(sqlArgs(viewerArgs(actor)), "%"+escapeLike(word)+"%", word)
}

// searchPageSQL is the statement of a dashboard search's page (see
// searchProbe): its rows, each with the total counted to fewMatches+1.
// sortExpr and sortType are the sort's, desc the direction read (reversed
// for the page before a cursor). Its arguments are the viewer's, the
// word's pattern and the word, the other conditions', the cursor's and the
// page's.
func searchPageSQL(actor guildhall.Actor, word string, others []guildhall.Condition, sortExpr, sortType string,
	desc bool, cursor *groupCursor, limit, offset int) (string, []any, error) {
	args := searchWordArgs(actor, word)
	pattern, prefix := "$3", "$4"
	conds := ""
	for _, c := range others {
		clause, err := compileCondition(c, &args)
		if err != nil {
			return "", nil, err
		}
		conds += " AND " + clause
	}
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	afterSorted, afterWalked := "", ""
	if cursor != nil {
		key, id := args.add(cursor.Key), args.add(cursor.ID)
		afterSorted = fmt.Sprintf(" AND (c.k, c.id) %s (%s::%s, %s::uuid)", cmp, key, sortType, id)
		afterWalked = fmt.Sprintf(" AND (%s, g.id) %s (%s::%s, %s::uuid)", sortExpr, cmp, key, sortType, id)
	}
	paging, args := pageSQL(limit, offset, args)

	bound, more, window := strconv.Itoa(fewMatches), strconv.Itoa(fewMatches+1), strconv.Itoa(searchWindow)
	// The matches sorted for the page are W's when it settled the total,
	// else T's. W's are in newest-first order: an offset page of that
	// order takes its rows from them even past fewMatches, since the
	// bound of its count reaches the page's end. Other orders read their
	// key.
	walkedKeys := `SELECT id, k FROM win WHERE (SELECT walked FROM e)`
	sorted, walked := `n <= `+bound, `n > `+bound
	newest := sortExpr == fieldColumns[guildhall.FieldCreatedDate]
	if newest && desc && cursor == nil {
		sorted, walked = sorted+` OR walked`, walked+` AND NOT walked`
	} else if !newest {
		walkedKeys = `SELECT g.id, ` + sortExpr + ` AS k FROM win JOIN groups g ON g.id = win.id WHERE (SELECT walked FROM e)`
	}
	// The viewer's group ids are read once, if a secret match is judged.
	sees := viewerSeesByID(`(SELECT mine FROM v)::uuid[]`)
	visible := `g.deleted_at IS NULL AND ` + sees
	// With no other condition, the kept counts of the word as a name
	// prefix (migration 00130) settle P when more than fewMatches public
	// and private names begin with it, whoever looks: three rows of
	// group_name_prefix_counts instead of fewMatches+1 entries of the
	// prefix index. Fewer, and the viewer's secret groups may still make
	// it more: the index counts them as before.
	kept := ""
	if len(others) == 0 {
		kept = `(SELECT COALESCE(sum(pc.live), 0) FROM group_name_prefix_counts pc
			WHERE pc.prefix = (SELECT lower(` + prefix + `::text)) AND pc.privacy <> 'SECRET') > ` + bound + ` OR `
	}
	return `WITH v AS MATERIALIZED (SELECT ` + viewerGroupIDs + ` AS mine),
d AS MATERIALIZED (
	SELECT x.pat, x.live, CASE
		WHEN ` + kept + `(SELECT count(*) FROM (SELECT 1 FROM groups g WHERE ` + visible + conds + `
			AND lower(g.name) ^@ lower(` + prefix + `::text) LIMIT ` + more + `) p) > ` + bound + ` THEN 'P'
		WHEN (SELECT count(*) FROM (SELECT 1 FROM (SELECT lower(g.name) AS lname, g.privacy FROM groups g
			WHERE g.deleted_at IS NULL ORDER BY g.created_at DESC, g.id DESC LIMIT ` + strconv.Itoa(searchProbe) + `) g
			WHERE g.lname LIKE x.pat` + conds + ` LIMIT x.enough) p) >= x.enough THEN 'W'
		ELSE 'T' END AS how
	FROM (SELECT (SELECT lower(` + pattern + `::text)) AS pat, l.live, ` + searchWalkEnough + ` AS enough
		FROM (SELECT sum(live)::int AS live FROM group_privacy_counts) l OFFSET 0) x),
win AS MATERIALIZED (
	SELECT g.id, g.created_at AS k
	FROM (SELECT g.id, g.created_at, lower(g.name) AS lname, g.privacy FROM groups g
		WHERE g.deleted_at IS NULL ORDER BY g.created_at DESC, g.id DESC LIMIT ` + window + `) g
	WHERE (SELECT how = 'W' FROM d) AND g.lname LIKE (SELECT pat FROM d) AND ` + sees + conds + `
	LIMIT ` + more + `),
e AS MATERIALIZED (
	SELECT d.how = 'P' AS over, d.how = 'W' AND (w.n > ` + bound + ` OR d.live <= ` + window + `) AS walked, w.n
	FROM d, (SELECT count(*)::int AS n FROM win) w),
few AS MATERIALIZED (
	SELECT g.id, ` + sortExpr + ` AS k FROM groups g
	WHERE (SELECT NOT (over OR walked) FROM e) AND ` + visible + conds + `
		AND lower(g.name) LIKE (SELECT pat FROM d)
	LIMIT ` + more + `),
t AS MATERIALIZED (
	SELECT CASE WHEN e.over THEN ` + more + ` WHEN e.walked THEN e.n ELSE (SELECT count(*)::int FROM few) END AS n, e.walked
	FROM e),
ids AS (
	(SELECT c.id FROM (` + walkedKeys + ` UNION ALL SELECT id, k FROM few) c
	WHERE (SELECT ` + sorted + ` FROM t)` + afterSorted + `
	ORDER BY c.k ` + dir + `, c.id ` + dir + paging + `)
	UNION ALL
	(SELECT g.id FROM groups g
	WHERE (SELECT ` + walked + ` FROM t) AND ` + visible + conds + `
		AND lower(g.name) LIKE (SELECT pat FROM d)` + afterWalked + `
	ORDER BY ` + sortExpr + ` ` + dir + `, g.id ` + dir + paging + `))
SELECT (SELECT n FROM t) AS total, ` + sortExpr + `::text AS sort_key, ` + groupViewColumns + `
FROM ids p JOIN groups g ON g.id = p.id
LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid
ORDER BY ` + sortExpr + ` ` + dir + `, g.id ` + dir, args, nil
}
