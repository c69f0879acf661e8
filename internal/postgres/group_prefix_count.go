package postgres

import (
	"context"
	"fmt"
	"strconv"
	"unicode/utf8"

	"guildhall/internal/guildhall"
)

// A name prefix (POST /groups/query with name $startsWith and no other
// condition) is counted from group_name_prefix_counts, live groups per
// lowercased name prefix of 1 to keptPrefixLen characters and privacy,
// kept by the triggers of migration 00130 in the transaction of every
// change. Counting through groups_name_prefix_idx read every match (5,000
// index entries for "chess" at 100,000 groups); the kept counts are three
// rows, whatever the site holds. The API's offset paging reports the
// total exactly, so a longer prefix is still counted through the index.

// keptPrefixLen is the longest prefix migration 00130 keeps counts of.
const keptPrefixLen = 8

// namePrefixOnly reports whether conds are one name prefix and nothing
// else, the filter whose total is kept, and whether the prefix is short
// enough to be among the kept ones (counted in runes; SQL checks it again
// on lower($3), which is what the kept prefixes are cut from). Its value is
// then $3 of the query's args (viewerArgs, then compileCondition's).
func namePrefixOnly(conds []guildhall.Condition) (prefixed, kept bool) {
	if len(conds) != 1 || conds[0].Field != guildhall.FieldName || conds[0].Op != guildhall.OpStartsWith {
		return false, false
	}
	n := utf8.RuneCountInString(fmt.Sprint(conds[0].Value))
	return true, n >= 1 && n <= keptPrefixLen
}

// prefixArg is the prefix lowered, $3 of the query's args, as an InitPlan:
// computed once per statement rather than once for every entry a walk
// passes (a tenth of the statement for "chess"), and never a constant to
// the planner, so that a plan made for one prefix costs what the generic
// plan costs and PostgreSQL keeps the generic one. (A first version, whose
// custom plans folded lower($3) and the length test into constants,
// looked cheaper planned for each prefix and was planned anew on every
// call, 1 to 2 ms each.)
const prefixArg = `(SELECT lower($3::text))`

// prefixCond is the name-prefix condition over groups g with prefixArg:
// what compileCondition writes for $startsWith, and served by
// groups_name_prefix_idx the same way.
const prefixCond = `lower(g.name) ^@ ` + prefixArg

// walkedPrefixCond is prefixCond as a walk of another index judges each
// entry it passes: strpos(…) = 1 is the same test (the first match of the
// prefix is at the start) for every deterministic collation, as ^@ needs
// one too, and costs a third of what ^@ does (about 260 instructions an
// entry against 770, which text_substring spends counting characters).
const walkedPrefixCond = `strpos(lower(g.name), ` + prefixArg + `) = 1`

// keptPrefixTotalSQL is how many live groups whose lowercased name starts
// with lower($3) the viewer $1 (a site admin when $2) may see, from the
// kept counts: public and private groups by their rows; secret ones by
// theirs for a site admin, and otherwise from the viewer's own memberships
// (what groupVisible lets through), looked up only when a secret group has
// the prefix. NULL when lower($3) is not 1 to keptPrefixLen characters
// long (namePrefixOnly counted the prefix before lowering).
var keptPrefixTotalSQL = `CASE WHEN (SELECT char_length(lower($3::text)) BETWEEN 1 AND ` + strconv.Itoa(keptPrefixLen) + `) THEN (
		SELECT c.open + CASE
			WHEN c.secret = 0 THEN 0
			WHEN $2::boolean THEN c.secret
			ELSE (SELECT count(*) FROM (
					SELECT g.name FROM group_members vm JOIN groups g ON g.id = vm.group_id
					WHERE vm.account_id = $1::uuid AND g.privacy = 'SECRET' AND g.deleted_at IS NULL
					OFFSET 0) s
				WHERE lower(s.name) ^@ ` + prefixArg + `)
			END
		FROM (SELECT COALESCE(sum(live) FILTER (WHERE privacy <> 'SECRET'), 0) AS open,
				COALESCE(sum(live) FILTER (WHERE privacy = 'SECRET'), 0) AS secret
			FROM group_name_prefix_counts WHERE prefix = ` + prefixArg + `) c)
	END::int`

// prefixRowsSQL is a page of a name-prefix query with its total, in one
// statement. The total is read first: from the kept counts when kept is
// set (keptPrefixTotalSQL), else by countSQL through the prefix index,
// exactly when exact is set and otherwise only as far as choosing needs.
// It decides how the page's ids are chosen: at most fewMatches are read
// through the prefix index and sorted (as fewRowsSQL does), more by
// walking the sort's index (as searchRowsSQL does). Each way runs under a
// one-time filter on the total, so only one of them runs, and no count
// goes first in a statement of its own; with no total (a prefix that
// lowering made too long for the kept counts) the walk runs, and the
// caller counts apart. The first way reads at most fewMatches+1 matches,
// all of them when it runs, which bounds what the planner expects of it.
// keyset, order and paging are as in searchRowsSQL. With noViewer the rows
// carry no viewer state (GroupQuery.NoViewerState): no membership or join
// request is looked up for them.
func prefixRowsSQL(kept, exact, noViewer bool, sortExpr, keyset, order, paging string) string {
	total := keptPrefixTotalSQL
	if !kept {
		upTo := fewMatches
		if exact {
			upTo = 0
		}
		total = `(` + countSQL([]string{prefixCond}, upTo) + `)`
	}
	few := strconv.Itoa(fewMatches)
	columns, viewer := groupViewColumns, `
	LEFT JOIN group_members m ON m.group_id = g.id AND m.account_id = $1::uuid`
	if noViewer {
		columns, viewer = noViewerColumns, ""
	}
	return `WITH t AS (SELECT ` + total + ` AS n)
	SELECT (SELECT n FROM t) AS total, ` + sortExpr + `::text AS sort_key, ` + columns + `
	FROM (
		(SELECT g.id FROM (SELECT g.id FROM groups g WHERE ` + groupVisibleByID + ` AND ` + prefixCond + ` LIMIT ` + strconv.Itoa(fewMatches+1) + `) f
			JOIN groups g ON g.id = f.id
			WHERE (SELECT n FROM t) <= ` + few + keyset + order + paging + `)
		UNION ALL
		(SELECT g.id FROM groups g WHERE ` + groupVisibleByID + ` AND ` + walkedPrefixCond + keyset + `
			AND ((SELECT n FROM t) > ` + few + `) IS NOT FALSE` + order + paging + `)
	) p
	JOIN groups g ON g.id = p.id` + viewer + order
}

// noViewerColumns are groupViewColumns without the viewer's state.
const noViewerColumns = groupColumns + `, '' AS viewer_role, false AS has_pending_request`

// prefixTotal is a name prefix's exact total on its own, for a page that
// carries no total to read: past the last page, or when prefixRowsSQL had
// none.
func prefixTotal(ctx context.Context, db *DB, args []any) (int, error) {
	var n int
	err := db.getPrepared(ctx, &n, `SELECT COALESCE(`+keptPrefixTotalSQL+`, (`+countSQL([]string{prefixCond}, 0)+`))`, args...)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}
