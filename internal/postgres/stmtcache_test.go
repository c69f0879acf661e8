package postgres

import (
	"slices"
	"strconv"
	"testing"

	"guildhall/internal/guildhall"
)

// The usual page sizes are written into the SQL (one generic plan each);
// any other limit is a parameter, so that paging with every limit from 1
// to 100 adds no statement text per limit to the cache.
func TestLimitSQLKeepsFewTexts(t *testing.T) {
	texts := map[string]bool{}
	for n := 1; n <= 101; n++ {
		sql, args := limitSQL(n, []any{"x"})
		texts[sql] = true
		if _, kept := keptLimits[n]; kept {
			if len(args) != 1 {
				t.Errorf("limit %d is kept but was passed as a parameter", n)
			}
			continue
		}
		if sql != " LIMIT $2" || !slices.Equal(args, []any{"x", n}) {
			t.Errorf("limit %d: %q %v, want \" LIMIT $2\" with %d appended", n, sql, args, n)
		}
	}
	if len(texts) > 12 {
		t.Errorf("limits 1–101 make %d SQL texts, want at most 12", len(texts))
	}
	for _, n := range []int{guildhall.DefaultPageSize, guildhall.DefaultPageSize + 1, 50, 51, guildhall.MaxPageSize, guildhall.MaxPageSize + 1} {
		if sql, _ := limitSQL(n, nil); sql != " LIMIT "+strconv.Itoa(n) {
			t.Errorf("limit %d: %q, want it written into the SQL", n, sql)
		}
	}
}
