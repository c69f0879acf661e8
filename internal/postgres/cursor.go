package postgres

import (
	"encoding/base64"
	"encoding/json"

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
	}
	return c, v.Err()
}
