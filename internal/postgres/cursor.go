package postgres

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"guildhall/internal/guildhall"
)

// groupCursor is where cursor paging continues: the sort it belongs to, the
// sort value (as text, cast back with the sort's type) and the id of the row.
type groupCursor struct {
	Field guildhall.GroupField `json:"f"`
	Desc  bool                 `json:"d"`
	Key   string               `json:"k"`
	ID    string               `json:"i"`
}

func (c groupCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor made by encode for the sort s.
func decodeCursor(s string, sort guildhall.Sort) (groupCursor, error) {
	var c groupCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	var v guildhall.Validator
	switch {
	case err != nil || !isUUID(c.ID):
		v.Add("cursor", "The cursor is not one this server gave out.")
	case c.Field != sort.Field || c.Desc != sort.Desc:
		v.Add("cursor", "The cursor belongs to a different sort; start again without one.")
	case !keyFits(c.Key, c.Field):
		// Cursors are not signed: a key changed by hand must be refused
		// here, not by PostgreSQL's cast (a 500).
		v.Add("cursor", "The cursor is not one this server gave out.")
	}
	return c, v.Err()
}

// keyFits reports whether key is a sort value of field as QueryGroups
// writes it (the column cast to text), so that casting it back cannot fail.
func keyFits(key string, field guildhall.GroupField) bool {
	spec, ok := guildhall.SpecOf(field)
	if !ok {
		return false
	}
	switch spec.Kind {
	case guildhall.KindText:
		// lower(name): a name's length, give or take what lower() changes.
		return guildhall.TextProblem(key) == "" && utf8.RuneCountInString(key) <= 2*guildhall.MaxGroupNameLength
	case guildhall.KindPrivacy:
		return guildhall.Privacy(key).Valid()
	case guildhall.KindCount:
		_, err := strconv.ParseInt(key, 10, 32)
		return err == nil
	case guildhall.KindTime:
		return pgTimestamp(key)
	}
	return false
}

// pgTimestamp reports whether s is a timestamptz as PostgreSQL writes it in
// its default ISO style ("2025-01-31 09:00:00.123456+00", an offset in
// hours or hours and minutes).
func pgTimestamp(s string) bool {
	for _, layout := range []string{"2006-01-02 15:04:05.999999Z07", "2006-01-02 15:04:05.999999Z07:00"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
