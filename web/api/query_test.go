package api_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"guildhall/internal/guildhall"
	"guildhall/web/api"
)

func TestParseQuery(t *testing.T) {
	jan := time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		body   string
		want   guildhall.GroupQuery // compared after Validate fills defaults
		cursor bool
	}{
		{name: "empty body object", body: `{}`,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 20}},
		{name: "empty query", body: `{"query": {}}`,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 20}},
		{name: "null query", body: `{"query": null}`,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 20}},
		{name: "the example of api.md",
			body: `{"query": {"filter": {"name": {"$startsWith": "hik"}, "privacyStatus": {"$in": ["PUBLIC", "PRIVATE"]}},
				"sort": [{"fieldName": "membersCount", "order": "DESC"}], "paging": {"limit": 10, "offset": 30}}}`,
			want: guildhall.GroupQuery{
				Conditions: []guildhall.Condition{
					{Field: "name", Op: "$startsWith", Value: "hik"},
					{Field: "privacyStatus", Op: "$in", Value: []any{guildhall.Public, guildhall.Private}},
				},
				Sort: guildhall.Sort{Field: "membersCount", Desc: true}, Limit: 10, Offset: 30}},
		{name: "bare value means $eq", body: `{"query": {"filter": {"name": "Hiking", "privacyStatus": "SECRET", "membersCount": 3}}}`,
			want: guildhall.GroupQuery{
				Conditions: []guildhall.Condition{
					{Field: "membersCount", Op: "$eq", Value: 3},
					{Field: "name", Op: "$eq", Value: "Hiking"},
					{Field: "privacyStatus", Op: "$eq", Value: guildhall.Secret},
				},
				Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 20}},
		{name: "ranges of numbers and dates",
			body: `{"query": {"filter": {"membersCount": {"$gte": 2, "$lt": 10}, "createdDate": {"$gt": "2025-01-31T09:00:00Z"},
				"lastActivityDate": {"$lte": "2025-01-31T10:00:00+01:00"}}, "sort": [{"fieldName": "name"}]}}`,
			want: guildhall.GroupQuery{
				Conditions: []guildhall.Condition{
					{Field: "createdDate", Op: "$gt", Value: jan},
					{Field: "lastActivityDate", Op: "$lte", Value: jan},
					{Field: "membersCount", Op: "$gte", Value: 2},
					{Field: "membersCount", Op: "$lt", Value: 10},
				},
				Sort: guildhall.Sort{Field: "name"}, Limit: 20}},
		{name: "cursor paging, first page", body: `{"query": {"cursorPaging": {"limit": 5}}}`, cursor: true,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 5}},
		{name: "cursor paging forward", body: `{"query": {"cursorPaging": {"limit": 5, "cursor": "n.abc"}}}`, cursor: true,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 5, Cursor: "abc"}},
		{name: "cursor paging backward", body: `{"query": {"cursorPaging": {"cursor": "p.abc"}}}`, cursor: true,
			want: guildhall.GroupQuery{Sort: guildhall.Sort{Field: "createdDate", Desc: true}, Limit: 20, Cursor: "abc", Backward: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, cursor, err := api.ParseGroupQuery([]byte(tc.body))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if err := q.Validate(""); err != nil {
				t.Fatalf("the parsed query fails Validate: %v", err)
			}
			for i, c := range q.Conditions {
				if tm, ok := c.Value.(time.Time); ok {
					q.Conditions[i].Value = tm.UTC()
				}
			}
			if got, want := fmt.Sprintf("%#v", *q), fmt.Sprintf("%#v", tc.want); got != want {
				t.Errorf("query\n got  %s\n want %s", got, want)
			}
			if cursor != tc.cursor {
				t.Errorf("cursor paging = %v, want %v", cursor, tc.cursor)
			}
		})
	}
}

func TestParseQueryNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, body, field string
	}{
		{"unknown field", `{"query": {"filter": {"foo": 1}}}`, "query.filter.foo"},
		{"unknown operator", `{"query": {"filter": {"name": {"$regex": "a.*"}}}}`, "query.filter.name.$regex"},
		{"operator of another field", `{"query": {"filter": {"privacyStatus": {"$startsWith": "P"}}}}`, "query.filter.privacyStatus.$startsWith"},
		{"$or is not supported", `{"query": {"filter": {"$or": []}}}`, "query.filter.$or"},
		{"a bare date is $eq, which dates do not take", `{"query": {"filter": {"createdDate": "2025-01-01T00:00:00Z"}}}`, "query.filter.createdDate"},
		{"empty operator object", `{"query": {"filter": {"name": {}}}}`, "query.filter.name"},
		{"name must be a string", `{"query": {"filter": {"name": 7}}}`, "query.filter.name"},
		{"name must not hold NUL", `{"query": {"filter": {"name": {"$contains": "a\u0000b"}}}}`, "query.filter.name.$contains"},
		{"name longer than any name", `{"query": {"filter": {"name": "` + strings.Repeat("x", 101) + `"}}}`, "query.filter.name"},
		{"privacy in lower case", `{"query": {"filter": {"privacyStatus": "public"}}}`, "query.filter.privacyStatus"},
		{"privacy not a string", `{"query": {"filter": {"privacyStatus": {"$in": ["PUBLIC", 2]}}}}`, "query.filter.privacyStatus.$in"},
		{"empty $in", `{"query": {"filter": {"name": {"$in": []}}}}`, "query.filter.name.$in"},
		{"$in not a list", `{"query": {"filter": {"name": {"$in": "a"}}}}`, "query.filter.name.$in"},
		{"$in of 101", `{"query": {"filter": {"name": {"$in": [` + strings.Repeat(`"a",`, 100) + `"a"]}}}}`, "query.filter.name.$in"},
		{"count a fraction", `{"query": {"filter": {"membersCount": 1.5}}}`, "query.filter.membersCount"},
		{"count beyond the column", `{"query": {"filter": {"membersCount": {"$gt": 3000000000}}}}`, "query.filter.membersCount.$gt"},
		{"count a string", `{"query": {"filter": {"membersCount": {"$gt": "3"}}}}`, "query.filter.membersCount.$gt"},
		{"date not RFC 3339", `{"query": {"filter": {"createdDate": {"$gt": "yesterday"}}}}`, "query.filter.createdDate.$gt"},
		{"date a number", `{"query": {"filter": {"createdDate": {"$gt": 1700000000}}}}`, "query.filter.createdDate.$gt"},
		{"null value", `{"query": {"filter": {"name": null}}}`, "query.filter.name"},
		{"two sorts", `{"query": {"sort": [{"fieldName": "name"}, {"fieldName": "membersCount"}]}}`, "query.sort"},
		{"sort by an unknown field", `{"query": {"sort": [{"fieldName": "slug"}]}}`, "query.sort[0].fieldName"},
		{"sort order", `{"query": {"sort": [{"fieldName": "name", "order": "UP"}]}}`, "query.sort[0].order"},
		{"unknown key in a sort", `{"query": {"sort": [{"fieldName": "name", "nulls": "LAST"}]}}`, "query.sort[0].nulls"},
		{"limit 0", `{"query": {"paging": {"limit": 0}}}`, "query.paging.limit"},
		{"limit 101", `{"query": {"paging": {"limit": 101}}}`, "query.paging.limit"},
		{"limit a string", `{"query": {"paging": {"limit": "10"}}}`, "query.paging.limit"},
		{"negative offset", `{"query": {"paging": {"offset": -1}}}`, "query.paging.offset"},
		{"unknown key in paging", `{"query": {"paging": {"page": 2}}}`, "query.paging.page"},
		{"cursor limit", `{"query": {"cursorPaging": {"limit": 1000}}}`, "query.cursorPaging.limit"},
		{"both pagings", `{"query": {"paging": {}, "cursorPaging": {}}}`, "query"},
		{"a cursor not given out", `{"query": {"cursorPaging": {"cursor": "abc"}}}`, "query.cursorPaging.cursor"},
		{"a cursor with nothing after its direction", `{"query": {"cursorPaging": {"cursor": "n."}}}`, "query.cursorPaging.cursor"},
		{"unknown key in the query", `{"query": {"fields": ["name"]}}`, "query.fields"},
		{"unknown key at the top", `{"filter": {}}`, "filter"},
		{"query not an object", `{"query": []}`, "query"},
		{"filter not an object", `{"query": {"filter": [1]}}`, "query.filter"},
		{"not JSON", `{"query": `, "body"},
		{"two values", `{} {}`, "body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, _, err := api.ParseGroupQuery([]byte(tc.body))
			var ve *guildhall.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("parse = %+v, %v; want a validation error", q, err)
			}
			var fields []string
			for _, v := range ve.Violations {
				fields = append(fields, v.Field)
				if v.Description == "" {
					t.Errorf("violation of %q has no description", v.Field)
				}
			}
			if !slices.Contains(fields, tc.field) {
				t.Errorf("violations name %q, want %q (%v)", fields, tc.field, err)
			}
		})
	}
}

// TestQueryWhitelistIsTheDomains holds the API's table of fields and
// operators to what guildhall.GroupQuery.Validate accepts, both ways.
func TestQueryWhitelistIsTheDomains(t *testing.T) {
	sample := map[guildhall.GroupField]any{
		guildhall.FieldName:             "hiking",
		guildhall.FieldPrivacy:          guildhall.Public,
		guildhall.FieldMembersCount:     3,
		guildhall.FieldCreatedDate:      time.Now(),
		guildhall.FieldLastActivityDate: time.Now(),
	}
	allOps := []guildhall.Op{guildhall.OpEq, guildhall.OpNe, guildhall.OpStartsWith, guildhall.OpContains,
		guildhall.OpIn, guildhall.OpGt, guildhall.OpGte, guildhall.OpLt, guildhall.OpLte}
	ops := api.FilterOps()
	if len(ops) != len(sample) {
		t.Errorf("the API filters on %d fields, api.md names %d", len(ops), len(sample))
	}
	for field, value := range sample {
		for _, op := range allOps {
			v := value
			if op == guildhall.OpIn {
				v = []any{value}
			}
			q := guildhall.GroupQuery{Conditions: []guildhall.Condition{{Field: field, Op: op, Value: v}}}
			domain := q.Validate("") == nil
			if apiAllows := slices.Contains(ops[field], op); apiAllows != domain {
				t.Errorf("%s %s: the API allows it = %v, the domain = %v", field, op, apiAllows, domain)
			}
		}
	}
}

// FuzzParseQuery: the parser never panics, refuses only with a validation
// error (a 400), and every query it returns passes the domain's Validate.
func FuzzParseQuery(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"query": {}}`,
		`{"query": null}`,
		`{"query": {"filter": {"name": {"$startsWith": "hik"}, "privacyStatus": {"$in": ["PUBLIC", "PRIVATE"]}}, "sort": [{"fieldName": "membersCount", "order": "DESC"}], "paging": {"limit": 10, "offset": 30}}}`,
		`{"query": {"filter": {"name": "Hiking", "privacyStatus": "SECRET", "membersCount": 3}}}`,
		`{"query": {"filter": {"membersCount": {"$gte": 2, "$lt": 10}, "createdDate": {"$gt": "2025-01-31T09:00:00Z"}}}}`,
		`{"query": {"filter": {"lastActivityDate": {"$lte": "2025-01-31T10:00:00.123+01:00"}}, "sort": [{"fieldName": "lastActivityDate", "order": "asc"}]}}`,
		`{"query": {"cursorPaging": {"limit": 5, "cursor": "n.eyJmIjoiY3JlYXRlZERhdGUifQ"}}}`,
		`{"query": {"cursorPaging": {"cursor": "p.x"}}}`,
		`{"query": {"filter": {"name": {"$in": ["a", "b", "c"]}, "membersCount": {"$eq": -2147483648}}}}`,
		`{"query": {"filter": {"foo": 1, "name": {"$regex": "."}}}}`,
		`{"query": {"filter": {"membersCount": 1e3}}}`,
		`{"query": {"filter": {"createdDate": {"$gt": "0000-01-01T00:00:00Z"}}}}`,
		`{"query": {"paging": {"limit": 0, "offset": -5}, "cursorPaging": {}}}`,
		`{"query": {"sort": [{"fieldName": "name"}, {"fieldName": "name"}]}}`,
		`{"query": {"filter": {"name": {"$contains": "\u0000"}}}}`,
		`{"Query": {"Filter": {"Name": "x"}}}`,
		`[]`, `null`, `"x"`, `{"query": {"filter": {"name": {"$in": [null]}}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, _, err := api.ParseGroupQuery(body)
		if err != nil {
			if !errors.Is(err, guildhall.ErrInvalid) {
				t.Fatalf("parse %q: %v is not a validation error", body, err)
			}
			return
		}
		if err := q.Validate(""); err != nil {
			t.Fatalf("parse %q gave a query that fails Validate: %v", body, err)
		}
	})
}
