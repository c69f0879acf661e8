package postgres

import (
	"reflect"
	"testing"
	"time"

	"guildhall/internal/guildhall"
)

// TestEveryQueryFieldCompiles: every field and operator of the domain's
// query table has SQL, so a query the domain accepts never fails in the store.
func TestEveryQueryFieldCompiles(t *testing.T) {
	t.Parallel()
	samples := map[guildhall.ValueKind]any{
		guildhall.KindText:    "hiking",
		guildhall.KindPrivacy: guildhall.Private,
		guildhall.KindCount:   3,
		guildhall.KindTime:    time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC),
	}
	for _, spec := range guildhall.GroupFields {
		for _, op := range spec.Ops {
			value := samples[spec.Kind]
			if op == guildhall.OpIn {
				value = []any{value}
			}
			c := guildhall.Condition{Field: spec.Field, Op: op, Value: value}
			if err := (&guildhall.GroupQuery{Conditions: []guildhall.Condition{c}}).Validate(""); err != nil {
				t.Fatalf("%s %s: the sample is refused: %v", spec.Field, op, err)
			}
			var args sqlArgs
			if _, err := compileCondition(c, &args); err != nil {
				t.Errorf("%s %s: %v", spec.Field, op, err)
			}
		}
		if spec.Sortable {
			if _, kind, err := queryColumn(spec.Field); err != nil || kindTypes[kind] == "" {
				t.Errorf("sort by %s: no column or type (%v)", spec.Field, err)
			}
		}
	}
}

// selectGroupRows scans by column name what sqlx scans by reflection:
// every column of every page statement lands in its field (a total or
// none, a viewer's role and pending request, or the API's statement
// without viewer state).
func TestSelectGroupRowsScansAsSqlx(t *testing.T) {
	t.Parallel()
	f := newGroupsFixture(t)
	owner := f.account("Olga Owner")
	asker := f.account("Ann Asker")
	directory(f, owner)
	g := f.group(owner, "Private Club", guildhall.Private)
	f.addMember(g, asker, guildhall.RoleMember)
	h := f.group(owner, "Other Club", guildhall.Private)
	f.exec(`INSERT INTO join_requests (group_id, account_id) VALUES ($1, $2)`, h.ID, asker.ID)

	order, sortExpr := ` ORDER BY g.created_at DESC, g.id DESC`, `g.created_at`
	for name, query := range map[string]string{
		"directory, counted": directoryRowsSQL(nil, true, sortExpr, nil, "", order, " LIMIT 100"),
		"directory, private": directoryRowsSQL([]guildhall.Privacy{guildhall.Private}, false, sortExpr, []string{`g.privacy = 'PRIVATE'`}, "", order, " LIMIT 100"),
		"no viewer state": `SELECT ` + sortExpr + `::text AS sort_key, ` + noViewerColumns + ` FROM groups g
			WHERE g.deleted_at IS NULL AND $1::uuid IS NOT NULL AND NOT $2::boolean` + order,
	} {
		for _, viewer := range []guildhall.Actor{owner, asker} {
			args := viewerArgs(viewer)
			var want []groupRow
			if err := f.db.SelectContext(f.ctx, &want, query, args...); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got, err := f.db.selectGroupRows(f.ctx, 100, query, args...)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(want) < 20 {
				t.Fatalf("%s: %d rows, the fixture lacks groups", name, len(want))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s as %s: selectGroupRows =\n%+v\nsqlx =\n%+v", name, viewer.DisplayName, got, want)
			}
		}
	}
	got, err := f.db.selectGroupRows(f.ctx, 1, `SELECT 1 AS surprise`)
	if err == nil {
		t.Errorf("a column without a field: %+v, want an error", got)
	}
}
