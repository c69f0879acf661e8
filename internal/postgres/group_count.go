package postgres

import (
	"context"
	"fmt"
	"strconv"

	"guildhall/internal/guildhall"
)

// countGroups is how many live groups matching conds actor may see: the
// total of a search's first page and of the API's offset paging.
//
// It is groupVisible split in two, so the total is the one the rows come
// from, without joining the viewer's memberships to every match (that join
// kept each counted row on the heap): a site admin counts every match;
// anyone else counts the public and private matches, plus the secret ones
// among their own groups, read from their memberships as visibleGroupsTotal
// does. A name prefix ($startsWith) is then counted from
// groups_name_prefix_idx alone (an index-only scan, migration 00090); other
// filters still read their matches.
//
// The two viewers get two SQL texts, each compiled here with only the
// placeholders it uses, and no CASE on the viewer: PostgreSQL prices a
// generic plan with every branch in it, so a plan for both lost to a custom
// plan made anew on every call (0.65 ms of planning in the statement log).
//
// With upTo above zero, the public and private matches (all matches, for a
// site admin) are counted only until there are more than upTo: over then
// says the total is above upTo, which is returned. A bounded count reads at
// most upTo+1 matches however many there are. The dashboard's first pages
// all count to the same bound (guildhall.SearchCountUpTo) and share one
// prepared statement; a deeper page counts to its own last row, a limit of
// its own, and runs unprepared (prepare false) so that page numbers do not
// fill the statement cache.
func countGroups(ctx context.Context, db *DB, actor guildhall.Actor, conds []guildhall.Condition, upTo int, prepare bool) (total int, over bool, err error) {
	var args sqlArgs
	viewer := ""
	if !actor.IsSiteAdmin() {
		viewer = args.add(nullIfEmpty(actor.ID))
	}
	match := "g.deleted_at IS NULL"
	for _, c := range conds {
		clause, err := compileCondition(c, &args)
		if err != nil {
			return 0, false, fmt.Errorf("count groups: %w", err)
		}
		match += " AND " + clause
	}
	limit := ""
	if upTo > 0 {
		limit = " LIMIT " + strconv.Itoa(upTo+1)
	}
	query := `SELECT count(*) FROM (SELECT 1 FROM groups g WHERE ` + match + limit + `) c`
	if viewer != "" {
		query = `SELECT (SELECT count(*) FROM (SELECT 1 FROM groups g WHERE ` + match + ` AND g.privacy <> 'SECRET'` + limit + `) c)
			+ (SELECT count(*) FROM group_members m JOIN groups g ON g.id = m.group_id
				WHERE m.account_id = ` + viewer + `::uuid AND g.privacy = 'SECRET' AND ` + match + `)`
	}
	if prepare {
		err = db.getPrepared(ctx, &total, query, args...)
	} else {
		err = db.GetContext(ctx, &total, query, args...)
	}
	if err != nil {
		return 0, false, fmt.Errorf("count groups: %w", err)
	}
	if upTo > 0 && total > upTo {
		return upTo, true, nil
	}
	return total, false, nil
}
