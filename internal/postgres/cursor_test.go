package postgres

import (
	"strings"
	"testing"

	"guildhall/internal/guildhall"
)

func TestDecodeCursorRefusesTamperedKeys(t *testing.T) {
	const id = "0907e20d-5899-4aa9-a16c-3109154e3b23"
	cursor := func(f guildhall.GroupField, desc bool, key string) string {
		return groupCursor{Field: f, Desc: desc, Key: key, ID: id}.encode()
	}
	byDate := guildhall.Sort{Field: guildhall.FieldCreatedDate, Desc: true}
	byCount := guildhall.Sort{Field: guildhall.FieldMembersCount}
	byName := guildhall.Sort{Field: guildhall.FieldName}
	for _, tc := range []struct {
		name   string
		cursor string
		sort   guildhall.Sort
		ok     bool
	}{
		{"a time as PostgreSQL writes it", cursor(byDate.Field, true, "2026-12-02 14:10:19.123456+00"), byDate, true},
		{"a time with a half-hour offset", cursor(byDate.Field, true, "2026-12-02 14:10:19+05:30"), byDate, true},
		{"a count", cursor(byCount.Field, false, "42"), byCount, true},
		{"a name", cursor(byName.Field, false, "hiking club"), byName, true},
		{"a word for a time", cursor(byDate.Field, true, "abc"), byDate, false},
		{"SQL for a time", cursor(byDate.Field, true, "x' OR '1'='1"), byDate, false},
		{"a huge count", cursor(byCount.Field, false, "99999999999999999999"), byCount, false},
		{"a fraction for a count", cursor(byCount.Field, false, "1.5"), byCount, false},
		{"NUL in a name", cursor(byName.Field, false, "a\x00b"), byName, false},
		{"an endless name", cursor(byName.Field, false, strings.Repeat("n", 201)), byName, false},
		{"NUL for a time", cursor(byDate.Field, true, "\x00"), byDate, false},
		{"another sort", cursor(byCount.Field, false, "42"), byDate, false},
		{"not base64", "%%%", byDate, false},
		{"not JSON", "bm90IGpzb24", byDate, false},
		{"no id", groupCursor{Field: byDate.Field, Desc: true, Key: "2026-12-02 14:10:19+00"}.encode(), byDate, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeCursor(tc.cursor, tc.sort)
			if tc.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tc.ok && (err == nil || guildhall.FieldErrors(err)["cursor"] == "") {
				t.Fatalf("got %v, want a violation of cursor", err)
			}
		})
	}
}
