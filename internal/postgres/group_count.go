package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
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
const groupVisibleByID = `g.deleted_at IS NULL AND ($2::boolean OR g.privacy <> 'SECRET'
	OR g.id = ANY (ARRAY(SELECT vm.group_id FROM group_members vm WHERE vm.account_id = $1::uuid)))`

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
// dashboard's first pages all count to the same bound
// (guildhall.SearchCountUpTo) and share one prepared statement; a deeper
// page counts to its own last row, a limit of its own, and runs unprepared
// (prepare false) so that page numbers do not fill the statement cache.
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
