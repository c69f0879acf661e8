package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"guildhall/internal/guildhall"
)

// The query language of POST /groups/query: the body is decoded strictly
// into these types (unknown keys refused with their path), then the filter's
// free-form conditions are checked against guildhall.GroupFields (the one
// table of fields, value kinds and operators) and compiled into a
// guildhall.GroupQuery. No value ever becomes SQL text here: the postgres
// service turns each Condition into placeholders.

type groupQueryBody struct {
	Query *groupQueryJSON `json:"query" openapi:"notnull"`
}

type groupQueryJSON struct {
	// Filter maps a field to a value ($eq) or to {"$operator": value}.
	Filter       groupFilter       `json:"filter,omitempty"`
	Sort         []sortJSON        `json:"sort,omitempty"`
	Paging       *pagingJSON       `json:"paging,omitempty"`
	CursorPaging *cursorPagingJSON `json:"cursorPaging,omitempty"`
}

type groupFilter map[string]json.RawMessage

type sortJSON struct {
	FieldName string `json:"fieldName"`
	Order     string `json:"order,omitempty" enum:"ASC,DESC"`
}

type pagingJSON struct {
	Limit  *int `json:"limit,omitempty"`
	Offset *int `json:"offset,omitempty"`
}

type cursorPagingJSON struct {
	Limit *int `json:"limit,omitempty"`
	// Cursor is metadata.cursors.next or .prev of the previous answer;
	// absent for the first page.
	Cursor *string `json:"cursor,omitempty"`
}

// Cursors given out carry the direction they lead in, so a caller only
// passes them back: guildhall.GroupQuery wants Backward beside Cursor.
const (
	cursorNext = "n."
	cursorPrev = "p."
)

// groupQuery is a parsed query and how the caller wants it paged.
type groupQuery struct {
	guildhall.GroupQuery
	cursorPaging bool
}

// parseGroupQuery reads the body of POST /groups/query. Whatever it returns
// without an error passes guildhall.GroupQuery.Validate.
func parseGroupQuery(body []byte) (*groupQuery, error) {
	var in groupQueryBody
	if err := unmarshalStrict(body, &in); err != nil {
		return nil, err
	}
	out := &groupQuery{}
	if in.Query == nil {
		in.Query = &groupQueryJSON{}
	}
	var v guildhall.Validator
	out.Conditions = parseFilter(in.Query.Filter, &v)
	out.Sort = parseSort(in.Query.Sort, guildhall.Sortable, &v)
	switch p, c := in.Query.Paging, in.Query.CursorPaging; {
	case p != nil && c != nil:
		v.Add("query", "Use paging or cursorPaging, not both.")
	case c != nil:
		out.cursorPaging = true
		out.Limit = parseLimit(c.Limit, "query.cursorPaging.limit", &v)
		if c.Cursor != nil && *c.Cursor != "" {
			rest, next := strings.CutPrefix(*c.Cursor, cursorNext)
			if !next {
				rest, _ = strings.CutPrefix(*c.Cursor, cursorPrev)
			}
			if rest == "" || rest == *c.Cursor {
				v.Add("query.cursorPaging.cursor", "The cursor is not one this server gave out.")
			}
			out.Cursor, out.Backward = rest, !next
		}
	case p != nil:
		out.Limit, out.Offset = parsePaging(p, &v)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// The domain's own check has the last word.
	if err := out.Validate("query."); err != nil {
		return nil, err
	}
	return out, nil
}

// parsePaging reads query.paging: the limit as parseLimit does, and the
// offset (0 when left out).
func parsePaging(p *pagingJSON, v *guildhall.Validator) (limit, offset int) {
	limit = parseLimit(p.Limit, "query.paging.limit", v)
	if p.Offset != nil {
		offset = *p.Offset
		guildhall.CheckOffset(v, "query.paging.offset", offset)
	}
	return limit, offset
}

// parseLimit checks a page size the caller gave; 0 takes the default.
func parseLimit(limit *int, field string, v *guildhall.Validator) int {
	if limit == nil {
		return 0
	}
	guildhall.CheckLimit(v, field, *limit)
	return *limit
}

// parseSort reads a sort over one of the fields allowed.
func parseSort(sort []sortJSON, allowed []guildhall.GroupField, v *guildhall.Validator) guildhall.Sort {
	if len(sort) == 0 {
		return guildhall.Sort{}
	}
	if len(sort) > 1 {
		v.Add("query.sort", "Sort by one field.")
		return guildhall.Sort{}
	}
	s := sort[0]
	field := guildhall.GroupField(s.FieldName)
	if !slices.Contains(allowed, field) {
		v.Add("query.sort[0].fieldName", fmt.Sprintf("Cannot sort by %q; sort by %s.", s.FieldName, guildhall.OrList(allowed)))
		return guildhall.Sort{}
	}
	var desc bool
	switch strings.ToUpper(s.Order) {
	case "", "ASC":
	case "DESC":
		desc = true
	default:
		v.Add("query.sort[0].order", "Order must be ASC or DESC.")
	}
	return guildhall.Sort{Field: field, Desc: desc}
}

// parseFilter turns the filter into conditions, in a stable order.
func parseFilter(filter groupFilter, v *guildhall.Validator) []guildhall.Condition {
	keys := make([]string, 0, len(filter))
	for k := range filter {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var conds []guildhall.Condition
	for _, key := range keys {
		field := guildhall.GroupField(key)
		spec, known := guildhall.SpecOf(field)
		name := "query.filter." + key
		if !known {
			v.Add(name, fmt.Sprintf("Unknown field; filter on %s.", guildhall.OrList(guildhall.Filterable)))
			continue
		}
		raw := bytes.TrimSpace(filter[key])
		if len(raw) == 0 || raw[0] != '{' {
			// A bare value means $eq.
			if !slices.Contains(spec.Ops, guildhall.OpEq) {
				v.Add(name, fmt.Sprintf("A bare value means $eq, which %s does not take; use %s.", key, opList(spec.Ops)))
				continue
			}
			if value, msg := parseValue(raw, spec.Kind, guildhall.OpEq); msg != "" {
				v.Add(name, msg)
			} else {
				conds = append(conds, guildhall.Condition{Field: field, Op: guildhall.OpEq, Value: value})
			}
			continue
		}
		var ops map[string]json.RawMessage
		if err := json.Unmarshal(raw, &ops); err != nil || len(ops) == 0 {
			v.Add(name, "Give a value, or an object of at least one operator such as {\"$eq\": …}.")
			continue
		}
		opKeys := make([]string, 0, len(ops))
		for k := range ops {
			opKeys = append(opKeys, k)
		}
		slices.Sort(opKeys)
		for _, k := range opKeys {
			op := guildhall.Op(k)
			if !slices.Contains(spec.Ops, op) {
				v.Add(name+"."+k, fmt.Sprintf("Unknown operator for %s; use %s.", key, opList(spec.Ops)))
				continue
			}
			if value, msg := parseValue(ops[k], spec.Kind, op); msg != "" {
				v.Add(name+"."+k, msg)
			} else {
				conds = append(conds, guildhall.Condition{Field: field, Op: op, Value: value})
			}
		}
	}
	return conds
}

// parseValue reads the operand of op for a field of kind: one value, or a
// list of 1 to 100 for $in. It returns a message instead when it cannot.
func parseValue(raw json.RawMessage, kind guildhall.ValueKind, op guildhall.Op) (any, string) {
	if op != guildhall.OpIn {
		return parseOne(raw, kind)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 || len(list) > guildhall.MaxPageSize {
		return nil, "$in takes a list of 1 to 100 values."
	}
	values := make([]any, len(list))
	for i, item := range list {
		value, msg := parseOne(item, kind)
		if msg != "" {
			return nil, fmt.Sprintf("Item %d: %s", i, msg)
		}
		values[i] = value
	}
	return values, ""
}

// Bounds of the values the database can compare with.
const (
	minCount = -1 << 31
	maxCount = 1<<31 - 1
)

// parseOne reads one value of kind.
func parseOne(raw json.RawMessage, kind guildhall.ValueKind) (any, string) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, "The value is not valid JSON."
	}
	switch kind {
	case guildhall.KindText:
		s, ok := value.(string)
		switch {
		case !ok:
			return nil, "The value must be a string."
		case guildhall.TextProblem(s) != "":
			return nil, "The value " + guildhall.TextProblem(s) + "."
		case utf8.RuneCountInString(s) > guildhall.MaxGroupNameLength:
			return nil, "The value must be at most 100 characters (no name is longer)."
		}
		return s, ""
	case guildhall.KindPrivacy:
		s, _ := value.(string)
		if p := guildhall.Privacy(s); p.Valid() {
			return p, ""
		}
		return nil, "The value must be PUBLIC, PRIVATE or SECRET."
	case guildhall.KindCount:
		n, ok := value.(json.Number)
		i, err := n.Int64()
		if !ok || err != nil || i < minCount || i > maxCount {
			return nil, "The value must be a whole number."
		}
		return int(i), ""
	case guildhall.KindTime:
		s, _ := value.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, "The value must be an RFC 3339 time, such as 2025-01-31T09:00:00Z."
		}
		return t, ""
	}
	return nil, "Unsupported value."
}

func opList(ops []guildhall.Op) string { return guildhall.OrList(ops) }

// The queries of create and join requests: a status filter, paging, and for
// create requests a sort that may only say what the list does anyway
// (newest first).

type joinRequestQueryBody struct {
	Query *joinRequestQueryJSON `json:"query" openapi:"notnull"`
}

type joinRequestQueryJSON struct {
	Filter statusFilter `json:"filter,omitempty"`
	Paging *pagingJSON  `json:"paging,omitempty"`
}

type createRequestQueryBody struct {
	Query *createRequestQueryJSON `json:"query" openapi:"notnull"`
}

type createRequestQueryJSON struct {
	Filter statusFilter `json:"filter,omitempty"`
	Sort   []sortJSON   `json:"sort,omitempty"`
	Paging *pagingJSON  `json:"paging,omitempty"`
}

// statusFilter is {"status": "PENDING"} or {"status": {"$eq": "PENDING"}}.
type statusFilter map[string]json.RawMessage

// parseRequestQuery turns a request query into a guildhall.RequestQuery.
func parseRequestQuery(filter statusFilter, sort []sortJSON, paging *pagingJSON) (guildhall.RequestQuery, error) {
	var q guildhall.RequestQuery
	var v guildhall.Validator
	for key, raw := range filter {
		if key != "status" {
			v.Add("query.filter."+key, "Unknown field; filter on status.")
			continue
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '{' {
			var ops map[string]json.RawMessage
			if err := json.Unmarshal(raw, &ops); err != nil || len(ops) != 1 || ops["$eq"] == nil {
				v.Add("query.filter.status", "Give a status, or {\"$eq\": status}.")
				continue
			}
			raw = ops["$eq"]
		}
		var s guildhall.Status
		if err := json.Unmarshal(raw, &s); err != nil {
			s = "" // not a string: refused below, as no status is ""
		}
		guildhall.CheckStatus(&v, "query.filter.status", s)
		q.Status = s
	}
	if s := parseSort(sort, []guildhall.GroupField{guildhall.FieldCreatedDate}, &v); s.Field != "" {
		q.OldestFirst = !s.Desc
	}
	if paging != nil {
		q.Limit, q.Offset = parsePaging(paging, &v)
	}
	return q, v.Err()
}
