package postgres

import (
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
