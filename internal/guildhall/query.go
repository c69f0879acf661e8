package guildhall

import (
	"fmt"
	"slices"
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

// ValueKind is the kind of value a field's conditions compare with.
type ValueKind int

// The value kinds.
const (
	// KindText is a string; it compares case-insensitively.
	KindText ValueKind = iota
	// KindPrivacy is a Privacy.
	KindPrivacy
	// KindCount is an int.
	KindCount
	// KindTime is a time.Time.
	KindTime
)

// FieldSpec is one queryable field: the kind of its values, the operators
// its conditions may use, and whether a query may sort on it.
type FieldSpec struct {
	Field    GroupField
	Kind     ValueKind
	Ops      []Op
	Sortable bool
}

// GroupFields is the one table of the group query language, in the order
// api.md lists the fields. The API's parser and schema, Validate, and the
// store's SQL compiler all read it; a field or operator missing here is
// refused everywhere.
var GroupFields = []FieldSpec{
	{FieldName, KindText, []Op{OpEq, OpNe, OpStartsWith, OpContains, OpIn}, true},
	{FieldPrivacy, KindPrivacy, []Op{OpEq, OpNe, OpIn}, false},
	{FieldMembersCount, KindCount, []Op{OpEq, OpGt, OpGte, OpLt, OpLte}, true},
	{FieldCreatedDate, KindTime, []Op{OpGt, OpGte, OpLt, OpLte}, true},
	{FieldLastActivityDate, KindTime, []Op{OpGt, OpGte, OpLt, OpLte}, true},
}

// SpecOf returns the table's row for f, and whether f is queryable at all.
func SpecOf(f GroupField) (FieldSpec, bool) {
	for _, s := range GroupFields {
		if s.Field == f {
			return s, true
		}
	}
	return FieldSpec{}, false
}

// Takes reports whether the field's conditions may use op.
func (s FieldSpec) Takes(op Op) bool { return slices.Contains(s.Ops, op) }

// Filterable lists every queryable field, in the table's order.
var Filterable = fieldsWhere(func(FieldSpec) bool { return true })

// Sortable lists the fields a query may sort on, in the table's order.
var Sortable = fieldsWhere(func(s FieldSpec) bool { return s.Sortable })

func fieldsWhere(keep func(FieldSpec) bool) []GroupField {
	var out []GroupField
	for _, s := range GroupFields {
		if keep(s) {
			out = append(out, s.Field)
		}
	}
	return out
}

// OrList is "a, b or c", for messages that name what is allowed.
func OrList[T ~string](items []T) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

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
	// CountTotal asks cursor paging for the total too, as offset paging
	// always reports it (the dashboard shows it on every page); Offset is
	// then where the page starts, for showing "21–40 of N".
	CountTotal bool
	// CountUpTo, when above zero, counts the total only that far: a total
	// above it comes back as Total = CountUpTo with TotalOver set ("more
	// than 100"). The dashboard's free-text search uses it, so that a
	// search matching thousands costs what one matching a hundred does;
	// the API's total stays exact (its contract).
	CountUpTo int
	// NoViewerState says the caller reads nothing of what the viewer is to
	// each group (GroupView.ViewerRole, HasPendingRequest), as the API,
	// whose group objects carry neither: the store may then leave them
	// zero rather than look up the viewer's membership and join request
	// of every row.
	NoViewerState bool
}

// SearchCountUpTo is how far the dashboard's search counts its matches
// ("Showing 1–20 of more than 100"); a page past it counts up to its own
// last row, so what it shows stays true.
const SearchCountUpTo = 100

// Validate checks fields, operators, value types and paging, naming what is
// wrong; field names in messages are prefixed with prefix (e.g. "query.filter.").
func (q *GroupQuery) Validate(prefix string) error {
	var v Validator
	for _, c := range q.Conditions {
		name := prefix + string(c.Field)
		spec, ok := SpecOf(c.Field)
		if !ok {
			v.Add(name, fmt.Sprintf("Unknown field %q; filter on %s.", c.Field, OrList(Filterable)))
			continue
		}
		if !spec.Takes(c.Op) {
			v.Add(name, fmt.Sprintf("Operator %s is not allowed on %s.", c.Op, c.Field))
			continue
		}
		if msg := checkValue(spec.Kind, c); msg != "" {
			v.Add(name, msg)
		}
	}
	if q.Sort.Field == "" {
		q.Sort = Sort{Field: FieldCreatedDate, Desc: true}
	}
	if !slices.Contains(Sortable, q.Sort.Field) {
		v.Add(prefix+"sort", fmt.Sprintf("Cannot sort by %q; sort by %s.", q.Sort.Field, OrList(Sortable)))
	}
	CheckPage(&v, prefix+"paging.", &q.Limit, q.Offset)
	return v.Err()
}

// checkValue returns a message when c.Value is not of the field's kind.
func checkValue(kind ValueKind, c Condition) string {
	one := func(v any) string {
		switch kind {
		case KindText:
			s, ok := v.(string)
			if !ok {
				return "Value must be a string."
			}
			if p := TextProblem(s); p != "" {
				return "Value " + p + "."
			}
		case KindPrivacy:
			p, ok := v.(Privacy)
			if !ok || !p.Valid() {
				return "Value must be PUBLIC, PRIVATE or SECRET."
			}
		case KindCount:
			if _, ok := v.(int); !ok {
				return "Value must be a whole number."
			}
		case KindTime:
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
