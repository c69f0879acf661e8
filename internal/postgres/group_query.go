package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"guildhall/internal/guildhall"
)

// fieldColumns is where each field of guildhall.GroupFields lives in SQL,
// over groups g: what a field is, which operators it takes and whether it
// sorts is the domain's table; only the column is the store's. Text compares
// lowercased on both sides, and each sortable expression leads one of the
// (expression, id) indexes of migration 00002.
var fieldColumns = map[guildhall.GroupField]string{
	guildhall.FieldName:             "lower(g.name)",
	guildhall.FieldPrivacy:          "g.privacy",
	guildhall.FieldMembersCount:     "g.members_count",
	guildhall.FieldCreatedDate:      "g.created_at",
	guildhall.FieldLastActivityDate: "g.last_activity_at",
}

// kindTypes is the SQL type of each value kind; a cursor's sort value is
// cast back to it.
var kindTypes = map[guildhall.ValueKind]string{
	guildhall.KindText:    "text",
	guildhall.KindPrivacy: "text",
	guildhall.KindCount:   "integer",
	guildhall.KindTime:    "timestamptz",
}

// queryColumn is the SQL expression of field and the kind of its values.
func queryColumn(field guildhall.GroupField) (string, guildhall.ValueKind, error) {
	spec, ok := guildhall.SpecOf(field)
	expr, hasCol := fieldColumns[field]
	if !ok || !hasCol {
		return "", 0, fmt.Errorf("no column for field %q", field)
	}
	return expr, spec.Kind, nil
}

// compareOps is the fixed map from an operator to its SQL comparison.
var compareOps = map[guildhall.Op]string{
	guildhall.OpEq: "=", guildhall.OpNe: "<>",
	guildhall.OpGt: ">", guildhall.OpGte: ">=", guildhall.OpLt: "<", guildhall.OpLte: "<=",
}

// sqlArgs collects query arguments and hands out their placeholders.
type sqlArgs []any

func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// compileCondition turns one validated condition into SQL over groups g,
// every value a placeholder.
func compileCondition(c guildhall.Condition, args *sqlArgs) (string, error) {
	col, kind, err := queryColumn(c.Field)
	if err != nil {
		return "", err
	}
	text := kind == guildhall.KindText
	switch c.Op {
	case guildhall.OpStartsWith:
		// ^@ (starts_with) rather than LIKE 'p%': with the prefix a
		// parameter, LIKE can use no index in a prepared statement's
		// generic plan, so every call was planned anew; ^@ is an operator
		// of groups_name_prefix_idx (SP-GiST, migration 00090) and keeps
		// its index with any value. Nothing needs escaping.
		return col + ` ^@ lower(` + args.add(fmt.Sprint(c.Value)) + `::text)`, nil
	case guildhall.OpContains:
		return col + ` LIKE lower(` + args.add("%"+escapeLike(fmt.Sprint(c.Value))+"%") + `) ESCAPE '\'`, nil
	case guildhall.OpIn:
		list, _ := c.Value.([]any)
		if kindTypes[kind] == "text" {
			values := make([]string, len(list))
			for i, v := range list {
				values[i] = fmt.Sprint(v)
			}
			p := args.add(pq.Array(values))
			if text {
				return col + ` = ANY (ARRAY(SELECT lower(v) FROM unnest(` + p + `::text[]) AS v))`, nil
			}
			return col + ` = ANY (` + p + `::text[])`, nil
		}
		return "", fmt.Errorf("$in is not supported on %q", c.Field)
	}
	op, ok := compareOps[c.Op]
	if !ok {
		return "", fmt.Errorf("no SQL for operator %q", c.Op)
	}
	v := c.Value
	if p, ok := v.(guildhall.Privacy); ok {
		v = string(p)
	}
	if text {
		return col + " " + op + " lower(" + args.add(v) + ")", nil
	}
	return col + " " + op + " " + args.add(v), nil
}

// groupRow is a GroupView with its sort value, from which cursors are made.
type groupRow struct {
	guildhall.GroupView
	SortKey string `db:"sort_key"`
	// Total is the directory's total, read with the rows when the filter
	// is by privacy alone (visibleGroupsTotalSQL) or by a name prefix
	// alone (prefixRowsSQL); NULL otherwise.
	Total sql.NullInt64 `db:"total"`
}

// QueryGroups filters, sorts and pages the groups actor may see. Offset
// paging reports Total; cursor paging (q.Cursor) does not count, so it stays
// cheap on any page. Both set Next and Prev when there is more that way.
func (s *GroupService) QueryGroups(ctx context.Context, actor guildhall.Actor, q guildhall.GroupQuery) (*guildhall.Page[guildhall.GroupView], error) {
	if err := q.Validate(""); err != nil {
		return nil, err
	}
	sortExpr, sortKind, err := queryColumn(q.Sort.Field)
	if err != nil {
		return nil, fmt.Errorf("query groups: %w", err)
	}
	sortType := kindTypes[sortKind]
	var cursor *groupCursor
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return nil, err
		}
		cursor = &c
	}

	args := sqlArgs(viewerArgs(actor))
	var conds []string
	for _, c := range q.Conditions {
		clause, err := compileCondition(c, &args)
		if err != nil {
			return nil, fmt.Errorf("query groups: %w", err)
		}
		conds = append(conds, clause)
	}
	filter := strings.Join(append([]string{groupVisible}, conds...), " AND ")

	page := &guildhall.Page[guildhall.GroupView]{Items: []guildhall.GroupView{}, Offset: q.Offset, Limit: q.Limit}

	// Backward paging reads the other way from the cursor, then reverses.
	desc := q.Sort.Desc != (cursor != nil && q.Backward)
	dir, cmp := "ASC", ">"
	if desc {
		dir, cmp = "DESC", "<"
	}
	rowsArgs := slices.Clone(args)
	keyset := ""
	if cursor != nil {
		keyset = keysetSQL(sortExpr, cmp, sortType, &rowsArgs, cursor)
	}
	limit := q.Limit
	if cursor != nil {
		limit++ // one more tells whether there is a further page
	}
	// A cursor says where the page starts; otherwise the offset does.
	offset := q.Offset
	if cursor != nil {
		offset = 0
	}
	paging, pageArgs := pageSQL(limit, offset, rowsArgs)
	rowsArgs = pageArgs
	// The directory's total (a filter by privacy alone) comes from the kept
	// counts in the same statement as the rows: one round trip, not two.
	privacies, byPrivacy := privacyOnly(q.Conditions)
	counting := cursor == nil || q.CountTotal
	// A bounded count reaches at least this page's last row, so that
	// "more than" stays true and tells whether a next page exists.
	upTo := q.CountUpTo
	if upTo > 0 {
		upTo = max(upTo, q.Offset+q.Limit)
	}
	// A name prefix alone (the API's $startsWith, counted without a bound)
	// has its total kept: prefixRowsSQL reads it with the rows and lets it
	// choose the way to them, so no count goes first.
	prefixed, kept := namePrefixOnly(q.Conditions)
	prefixed = prefixed && q.CountUpTo == 0
	// A search counts its matches up to fewMatches first: few of them are
	// read through the filter's index and sorted (fewRowsSQL), and their
	// number is the total; more are read by walking the sort's index.
	byName := !prefixed && slices.ContainsFunc(q.Conditions, func(c guildhall.Condition) bool { return c.Field == guildhall.FieldName })
	// The dashboard's search needs no count first: searchPageSQL chooses
	// its way in the statement of its rows, which carry the total.
	word, others, search := dashboardSearch(q, cursor)
	few, many := -1, false // few: how many match, when at most fewMatches
	if byName && !search {
		var n int
		if err := s.db.getPrepared(ctx, &n, countSQL(conds, fewMatches), args...); err != nil {
			return nil, fmt.Errorf("count groups: %w", err)
		}
		if n > fewMatches {
			many = true
		} else {
			few = n
		}
	}
	// A count bounded below fewMatches is known to be over its bound.
	overBound := many && upTo > 0 && upTo <= fewMatches
	total := ""
	switch {
	case few >= 0 || overBound || prefixed:
		// The total is known, or read by prefixRowsSQL.
	case byPrivacy:
		// The directory (directoryRowsSQL) reads its total from the kept
		// counts in the statement of its rows.
	case counting && upTo == q.CountUpTo:
		// Any other count (exact, or to the first pages' bound) rides in
		// the same statement too; a deeper page's own bound runs apart
		// (countGroups).
		total = `(` + countSQL(conds, upTo) + `) AS total, `
	}
	order := ` ORDER BY ` + sortExpr + ` ` + dir + `, g.id ` + dir
	rowsSQL := `SELECT ` + total + sortExpr + `::text AS sort_key, ` + groupViewColumns + groupViewJoins + `
		WHERE ` + filter + keyset + order + paging
	switch {
	case search:
		// searchPage runs its own statements (search_firsts.go).
	case few >= 0:
		rowsSQL = fewRowsSQL(sortExpr, strings.Join(conds, " AND "), keyset, order, paging)
	case byName:
		rowsSQL = searchRowsSQL(total, sortExpr, strings.Join(conds, " AND ")+keyset, order, paging)
	case prefixed:
		rowsSQL = prefixRowsSQL(kept, counting, q.NoViewerState, sortExpr, keyset, order, paging)
	case byPrivacy:
		rowsSQL = directoryRowsSQL(privacies, counting, sortExpr, conds, keyset, order, paging)
	}
	var rows []groupRow
	if search {
		rows, err = s.searchPage(ctx, actor, word, others, sortExpr, sortType, desc, cursor, limit, offset)
	} else {
		rows, err = s.db.selectGroupRows(ctx, limit, rowsSQL, rowsArgs...)
	}
	if err != nil {
		return nil, fmt.Errorf("query groups: %w", err)
	}

	// Offset paging reports the total, and cursor paging when asked. A
	// page that is not full, and not past the end, is the last one: the
	// total is known without counting.
	if cursor == nil || q.CountTotal {
		if few >= 0 {
			page.Total, page.TotalOver = bounded(few, upTo)
		} else if overBound {
			page.Total, page.TotalOver = upTo, true
		} else if cursor == nil && len(rows) < q.Limit && (len(rows) > 0 || q.Offset == 0) {
			page.Total = q.Offset + len(rows)
		} else if prefixed && len(rows) > 0 && rows[0].Total.Valid {
			page.Total = int(rows[0].Total.Int64)
		} else if prefixed {
			if page.Total, err = prefixTotal(ctx, s.db, args); err != nil {
				return nil, err
			}
		} else if byPrivacy && len(rows) > 0 {
			page.Total = int(rows[0].Total.Int64)
		} else if byPrivacy {
			// A page past the end: the total from the kept counts, not a
			// count that grows with the whole table.
			if page.Total, err = visibleGroupsTotal(ctx, s.db, actor, privacies); err != nil {
				return nil, err
			}
		} else if (total != "" || search) && len(rows) > 0 {
			page.Total, page.TotalOver = bounded(int(rows[0].Total.Int64), upTo)
		} else if page.Total, page.TotalOver, err = countGroups(ctx, s.db, conds, args, upTo, upTo == q.CountUpTo); err != nil {
			return nil, err
		}
	}

	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	var hasNext, hasPrev bool
	switch {
	case cursor == nil:
		hasNext, hasPrev = q.Offset+len(rows) < page.Total || page.TotalOver, q.Offset > 0
	case q.Backward:
		slices.Reverse(rows)
		hasNext, hasPrev = true, more
	default:
		hasNext, hasPrev = more, true
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.GroupView)
	}
	if n := len(rows); n > 0 {
		at := func(r groupRow) string {
			return groupCursor{Field: q.Sort.Field, Desc: q.Sort.Desc, Key: r.SortKey, ID: r.ID}.encode()
		}
		if hasNext {
			page.Next = at(rows[n-1])
		}
		if hasPrev {
			page.Prev = at(rows[0])
		}
	}
	return page, nil
}

// selectGroupRows runs a page's statement, whose columns are groupRow's,
// through the statement cache and scans its rows (at most limit, without
// growing) into place: which field each column fills is settled once per
// statement, by the columns' names, where sqlx found each row's fields by
// reflection (a quarter of a directory page's server CPU with the
// decoding). A column groupRow does not have is an error, as with sqlx.
func (db *DB) selectGroupRows(ctx context.Context, limit int, query string, args ...any) ([]groupRow, error) {
	rows, err := db.queryPrepared(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := scanGroupRows(rows, limit)
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return out, err
}

// scanGroupRows scans the rows of selectGroupRows: a page's own columns
// (total, sort_key) and those of groupViewColumns, each found by name
// once in groupViewNames and filled through groupViewDest, as a single
// group read fills them.
func scanGroupRows(rows *sql.Rows, limit int) ([]groupRow, error) {
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	const total, sortKey = -1, -2
	at := make([]int, len(cols))
	for i, c := range cols {
		switch c {
		case "total":
			at[i] = total
		case "sort_key":
			at[i] = sortKey
		default:
			if at[i] = slices.Index(groupViewNames, c); at[i] < 0 {
				return nil, fmt.Errorf("query groups: no field for column %q", c)
			}
		}
	}
	out := make([]groupRow, 0, limit)
	dest := make([]any, len(cols))
	for rows.Next() {
		out = append(out, groupRow{})
		r := &out[len(out)-1]
		view := groupViewDest(&r.GroupView)
		for i, k := range at {
			switch k {
			case total:
				dest[i] = &r.Total
			case sortKey:
				dest[i] = &r.SortKey
			default:
				dest[i] = view[k]
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// directoryRowsSQL is a page of the directory (groups filtered by privacy
// alone, conds with placeholders from $3; keyset, order and paging as in
// QueryGroups), with its total from the kept counts (visibleGroupsTotalSQL)
// when counting. The viewer's group ids are read once (an index-only scan
// of group_members_account_idx) and serve both places that need them:
// whether a secret row may be seen, and which rows have a role to read. The rows were joined to
// the viewer's memberships instead: an index probe per row walked (three
// buffers each) on the first page, and on a cursor's page, whose generic
// plan estimates a third of the table, every membership read from the heap
// and compared with every row (50 heap pages and 1,200 comparisons for a
// member of 50 groups), so page 400 cost more than the first.
func directoryRowsSQL(privacies []guildhall.Privacy, counting bool, sortExpr string, conds []string, keyset, order, paging string) string {
	mine := `(SELECT mine FROM v)::uuid[]`
	total := ""
	if counting {
		total = visibleGroupsTotalSQL(privacies) + ` AS total, `
	}
	where := strings.Join(append([]string{`g.deleted_at IS NULL AND ` + viewerSeesByID(mine)}, conds...), " AND ")
	return `WITH v AS MATERIALIZED (SELECT ` + viewerGroupIDs + ` AS mine)
	SELECT ` + total + sortExpr + `::text AS sort_key, ` + groupColumns + `,
	COALESCE(CASE WHEN g.id = ANY (` + mine + `) THEN (
		SELECT m.role FROM group_members m WHERE m.group_id = g.id AND m.account_id = $1::uuid) END, '') AS viewer_role,
	EXISTS (SELECT 1 FROM join_requests jr
		WHERE jr.group_id = g.id AND jr.account_id = $1::uuid AND jr.status = 'PENDING') AS has_pending_request
	FROM groups g
	WHERE ` + where + keyset + order + paging
}

// keysetSQL is the condition that a row comes after cursor in the order
// read (cmp "<" or ">"), its values the next of args. Each value is a
// subquery of its own (an InitPlan), so that the planner cannot see it:
// with the values in sight, PostgreSQL's custom plan for a page near the
// end of the order (few rows left after the cursor) was estimated far
// cheaper than the generic plan, so the statement was planned anew on
// every call (the directory's last page at 1,000 groups: about 1 ms of
// PostgreSQL's CPU, where the first page costs 0.15). Hidden, every page
// costs the planner the same and keeps the one generic plan, which still
// walks the sort's index from the cursor (an index condition).
func keysetSQL(sortExpr, cmp, sortType string, args *sqlArgs, cursor *groupCursor) string {
	return fmt.Sprintf(" AND (%s, g.id) %s ((SELECT %s::%s), (SELECT %s::uuid))",
		sortExpr, cmp, args.add(cursor.Key), sortType, args.add(cursor.ID))
}

// privacyOnly reports whether conds filter by nothing but one privacy (the
// directory's filter), and which: the kept counts answer those totals.
func privacyOnly(conds []guildhall.Condition) ([]guildhall.Privacy, bool) {
	switch {
	case len(conds) == 0:
		return nil, true
	case len(conds) == 1 && conds[0].Field == guildhall.FieldPrivacy && conds[0].Op == guildhall.OpEq:
		if p, ok := conds[0].Value.(guildhall.Privacy); ok && p.Valid() {
			return []guildhall.Privacy{p}, true
		}
	}
	return nil, false
}
