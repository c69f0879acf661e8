package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode"

	"guildhall/internal/guildhall"
)

// buildOpenAPI writes the OpenAPI 3.1 document of routes. Schemas come from
// the Go types the handlers decode and encode (their json tags, and an enum
// tag for closed sets), so the document describes what is really sent.
func buildOpenAPI(routes []route) []byte {
	s := &schemaSet{defs: map[string]any{}, types: map[string]reflect.Type{}}
	paths := map[string]map[string]any{}
	for _, rt := range routes {
		op := map[string]any{"operationId": rt.ID, "summary": rt.Summary, "tags": []string{rt.Tag}}
		var params []any
		for _, name := range rt.pathParams() {
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, p := range rt.Query {
			schema := map[string]any{"type": p.Type}
			if len(p.Enum) > 0 {
				schema["enum"] = p.Enum
			}
			params = append(params, map[string]any{"name": p.Name, "in": "query", "description": p.Description, "schema": schema})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Body != nil {
			op["requestBody"] = map[string]any{"required": !rt.BodyOptional,
				"content": map[string]any{"application/json": map[string]any{"schema": s.of(reflect.TypeOf(rt.Body))}}}
		}
		responses := map[string]any{}
		for _, res := range rt.Responses {
			schema := map[string]any{"type": "object"}
			if res.Body != nil {
				schema = s.of(reflect.TypeOf(res.Body))
			}
			responses[strconv.Itoa(res.Status)] = map[string]any{"description": res.Description,
				"content": map[string]any{"application/json": map[string]any{"schema": schema}}}
		}
		for _, status := range errorStatuses(rt) {
			responses[strconv.Itoa(status)] = map[string]any{"$ref": "#/components/responses/" + errorResponseName(status)}
		}
		op["responses"] = responses
		if rt.Public {
			op["security"] = []any{}
		}
		if paths[rt.Path] == nil {
			paths[rt.Path] = map[string]any{}
		}
		paths[rt.Path][strings.ToLower(rt.Method)] = op
	}

	errorRef := s.of(reflect.TypeOf(errorBody{}))
	errResponses := map[string]any{}
	for _, status := range allErrorStatuses {
		errResponses[errorResponseName(status)] = map[string]any{"description": errorDescriptions[status],
			"content": map[string]any{"application/json": map[string]any{"schema": errorRef}}}
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Guildhall API",
			"version": "1",
			"description": "The functions of the Guildhall dashboard for scripts. Authenticate with " +
				"\"Authorization: Bearer <token>\"; make a token on /profile. Bodies are JSON of at most 1 MiB; " +
				"unknown fields are refused. Times are RFC 3339 in UTC.",
		},
		"servers":  []any{map[string]any{"url": BasePath}},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"paths":    paths,
		"webhooks": eventWebhooks(s),
		"components": map[string]any{
			"schemas":   s.defs,
			"responses": errResponses,
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer",
				"description": "An API token (gh_…). Elevated tokens of site admins skip every permission check."}},
		},
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("openapi: %v", err)) // only types of this package go in
	}
	return out
}

var allErrorStatuses = []int{400, 401, 403, 404, 409, 413, 429, 500}

var errorDescriptions = map[int]string{
	400: "Invalid input (INVALID_ARGUMENT), with the fields at fault in validationError.",
	401: "No valid token (UNAUTHENTICATED).",
	403: "The caller may not do this (PERMISSION_DENIED).",
	404: "Unknown, or not visible to the caller (NOT_FOUND).",
	409: "Collides with the current state (ALREADY_EXISTS, FAILED_PRECONDITION).",
	413: "The body is larger than 1 MiB.",
	429: "Too many calls with this token (RESOURCE_EXHAUSTED); see Retry-After.",
	500: "A failure on the server's side (INTERNAL).",
}

func errorResponseName(status int) string {
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// errorStatuses are the errors a route can answer with.
func errorStatuses(rt route) []int {
	// Every call reads its body, so any can refuse one (400, 413).
	if rt.Public {
		return []int{400, 413, 500}
	}
	return []int{400, 401, 403, 404, 409, 413, 429, 500}
}

// schemaSet collects the named schemas of the document.
type schemaSet struct {
	defs  map[string]any
	types map[string]reflect.Type
}

// customSchema lets a type with a free-form JSON shape describe itself.
type customSchema interface{ jsonSchema() map[string]any }

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// of returns the schema of t: a $ref for named structs, inline otherwise.
func (s *schemaSet) of(t reflect.Type) map[string]any {
	if c, ok := reflect.Zero(t).Interface().(customSchema); ok {
		return c.jsonSchema()
	}
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return s.of(t.Elem())
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int32, reflect.Int64:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if prev, seen := s.types[name]; seen {
			if prev != t {
				panic("openapi: two types named " + name)
			}
		} else {
			s.types[name] = t
			s.defs[name] = map[string]any{} // placeholder for recursive types
			s.defs[name] = s.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	panic("openapi: no schema for " + t.String())
}

// nullable lets schema also be null (a pointer field sent as null).
func nullable(schema map[string]any) map[string]any {
	if t, ok := schema["type"].(string); ok {
		out := maps.Clone(schema)
		out["type"] = []any{t, "null"}
		return out
	}
	return map[string]any{"anyOf": []any{schema, map[string]any{"type": "null"}}}
}

// object is the schema of struct t: its json fields, the ones without
// omitempty required, and nothing else allowed.
func (s *schemaSet) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for name, f := range jsonFields(t) {
		schema := s.of(f.Type)
		if enum := f.Tag.Get("enum"); enum != "" {
			schema = map[string]any{"type": "string", "enum": strings.Split(enum, ",")}
		}
		omitempty := strings.Contains(f.Tag.Get("json"), ",omitempty")
		// A pointer is null when absent, unless the field refuses null (a
		// request body's required part, tagged openapi:"notnull").
		if f.Type.Kind() == reflect.Pointer && !omitempty && f.Tag.Get("openapi") != "notnull" {
			schema = nullable(schema)
		}
		props[name] = schema
		if !omitempty {
			required = append(required, name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
}

// schemaName is t's name without a JSON suffix, capitalized: groupJSON is
// "Group", createGroupBody "CreateGroupBody".
func schemaName(t reflect.Type) string {
	name := []rune(strings.TrimSuffix(t.Name(), "JSON"))
	if len(name) == 0 {
		panic("openapi: anonymous struct " + t.String())
	}
	name[0] = unicode.ToUpper(name[0])
	return string(name)
}

// kindSchema is the schema of one value of a filter field.
func kindSchema(k guildhall.ValueKind) map[string]any {
	switch k {
	case guildhall.KindPrivacy:
		return map[string]any{"type": "string", "enum": []string{"PUBLIC", "PRIVATE", "SECRET"}}
	case guildhall.KindCount:
		return map[string]any{"type": "integer"}
	case guildhall.KindTime:
		return map[string]any{"type": "string", "format": "date-time"}
	}
	return map[string]any{"type": "string", "maxLength": guildhall.MaxGroupNameLength}
}

// jsonSchema describes the filter from guildhall.GroupFields, the table the
// parser reads.
func (groupFilter) jsonSchema() map[string]any {
	props := map[string]any{}
	for _, spec := range guildhall.GroupFields {
		field := spec.Field
		value := kindSchema(spec.Kind)
		ops := map[string]any{}
		for _, op := range spec.Ops {
			ops[string(op)] = value
			if op == guildhall.OpIn {
				ops[string(op)] = map[string]any{"type": "array", "items": value, "minItems": 1, "maxItems": guildhall.MaxPageSize}
			}
		}
		operators := map[string]any{"type": "object", "properties": ops, "additionalProperties": false, "minProperties": 1}
		props[string(field)] = operators
		for _, op := range spec.Ops {
			if op == guildhall.OpEq {
				props[string(field)] = map[string]any{"oneOf": []any{value, operators}}
			}
		}
	}
	return map[string]any{
		"type":        "object",
		"description": "Conditions that must all hold. A bare value means $eq; name compares case-insensitively.",
		"properties":  props, "additionalProperties": false,
	}
}

// jsonSchema describes {"status": S} or {"status": {"$eq": S}}.
func (statusFilter) jsonSchema() map[string]any {
	status := map[string]any{"type": "string", "enum": []string{"PENDING", "APPROVED", "REJECTED", "CANCELED"}}
	return map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
		"status": map[string]any{"oneOf": []any{status, map[string]any{"type": "object", "required": []string{"$eq"},
			"properties": map[string]any{"$eq": status}, "additionalProperties": false}}},
	}}
}

func (h *Handler) getOpenAPI(w http.ResponseWriter, r *http.Request, _ guildhall.Actor) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(h.openapi)
	return nil
}
