package guildhall

import (
	"fmt"
	"strings"
	"time"
)

// GroupField is a field a group query may filter or sort on.
type GroupField string

// The queryable fields (the API's names).
const (
	FieldName             GroupField = "name"
	FieldPrivacy          GroupField = "privacyStatus"
	FieldMembersCount     GroupField = "membersCount"
	FieldCreatedDate      GroupField = "createdDate"
	FieldLastActivityDate GroupField = "lastActivityDate"
)

// Op is a filter operator.
type Op string

// The filter operators.
const (
	OpEq         Op = "$eq"
	OpNe         Op = "$ne"
	OpStartsWith Op = "$startsWith"
	OpContains   Op = "$contains"
	OpIn         Op = "$in"
	OpGt         Op = "$gt"
	OpGte        Op = "$gte"
	OpLt         Op = "$lt"
	OpLte        Op = "$lte"
)

// allowedOps is the whitelist of operators per field.
var allowedOps = map[GroupField][]Op{
	FieldName:             {OpEq, OpNe, OpStartsWith, OpContains, OpIn},
	FieldPrivacy:          {OpEq, OpNe, OpIn},
	FieldMembersCount:     {OpEq, OpGt, OpGte, OpLt, OpLte},
	FieldCreatedDate:      {OpGt, OpGte, OpLt, OpLte},
	FieldLastActivityDate: {OpGt, OpGte, OpLt, OpLte},
}

// Sortable lists the fields a query may sort on.
var Sortable = []GroupField{FieldName, FieldCreatedDate, FieldMembersCount, FieldLastActivityDate}

// Condition is one filter: Field Op Value. Value is a string for name, a
// Privacy for privacyStatus, an int for membersCount, a time.Time for dates,
// and a slice of those for $in.
type Condition struct {
	Field GroupField
	Op    Op
	Value any
}

// Sort orders the results by one field.
type Sort struct {
	Field GroupField
	Desc  bool
}

// GroupQuery filters (all conditions hold), sorts and pages groups. With
// Cursor set, paging continues after (or before, with Backward) that cursor
// and Offset is ignored.
type GroupQuery struct {
	Conditions []Condition
	Sort       Sort
	Limit      int
	Offset     int
	Cursor     string
	Backward   bool
}

// Validate checks fields, operators, value types and paging, naming what is
// wrong; field names in messages are prefixed with prefix (e.g. "query.filter.").
func (q *GroupQuery) Validate(prefix string) error {
	var v Validator
	for _, c := range q.Conditions {
		name := prefix + string(c.Field)
		ops, ok := allowedOps[c.Field]
		if !ok {
			v.Add(name, fmt.Sprintf("Unknown field %q; filter on name, privacyStatus, membersCount, createdDate or lastActivityDate.", c.Field))
			continue
		}
		if !containsOp(ops, c.Op) {
			v.Add(name, fmt.Sprintf("Operator %s is not allowed on %s.", c.Op, c.Field))
			continue
		}
		if msg := checkValue(c); msg != "" {
			v.Add(name, msg)
		}
	}
	if q.Sort.Field == "" {
		q.Sort = Sort{Field: FieldCreatedDate, Desc: true}
	}
	if !containsField(Sortable, q.Sort.Field) {
		v.Add(prefix+"sort", fmt.Sprintf("Cannot sort by %q; sort by name, createdDate, membersCount or lastActivityDate.", q.Sort.Field))
	}
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		v.Add(prefix+"paging.limit", "Limit must be between 1 and 100.")
	}
	if q.Offset < 0 {
		v.Add(prefix+"paging.offset", "Offset must not be negative.")
	}
	return v.Err()
}

func containsOp(ops []Op, op Op) bool {
	for _, o := range ops {
		if o == op {
			return true
		}
	}
	return false
}

func containsField(fs []GroupField, f GroupField) bool {
	for _, x := range fs {
		if x == f {
			return true
		}
	}
	return false
}

// checkValue returns a message when c.Value has the wrong type for its field.
func checkValue(c Condition) string {
	one := func(v any) string {
		switch c.Field {
		case FieldName:
			if _, ok := v.(string); !ok {
				return "Value must be a string."
			}
		case FieldPrivacy:
			p, ok := v.(Privacy)
			if !ok || !p.Valid() {
				return "Value must be PUBLIC, PRIVATE or SECRET."
			}
		case FieldMembersCount:
			if _, ok := v.(int); !ok {
				return "Value must be a whole number."
			}
		case FieldCreatedDate, FieldLastActivityDate:
			if _, ok := v.(time.Time); !ok {
				return "Value must be an RFC 3339 time."
			}
		}
		return ""
	}
	if c.Op == OpIn {
		list, ok := c.Value.([]any)
		if !ok || len(list) == 0 || len(list) > MaxPageSize {
			return "$in takes a list of 1 to 100 values."
		}
		for _, v := range list {
			if msg := one(v); msg != "" {
				return msg
			}
		}
		return ""
	}
	return one(c.Value)
}

// NameContains is the directory's search: name contains s, case-insensitive.
func NameContains(s string) Condition {
	return Condition{Field: FieldName, Op: OpContains, Value: strings.TrimSpace(s)}
}

// PrivacyIs filters by one privacy level.
func PrivacyIs(p Privacy) Condition { return Condition{Field: FieldPrivacy, Op: OpEq, Value: p} }
