package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// writeJSON encodes v into a buffer first, so a failed encoding is a clean
// 500 rather than half a body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		fmt.Fprintf(&buf, `{"message":"Could not encode the answer.","details":{"applicationError":{"code":%q,"description":"Could not encode the answer."}}}`+"\n", codeInternal)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// readBody reads the whole body, refusing more than maxBody.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &statusError{status: http.StatusRequestEntityTooLarge, code: codeInvalidArgument,
			msg: "The request body is larger than 1 MiB."}
	}
	if err != nil {
		return nil, &statusError{status: http.StatusBadRequest, code: codeInvalidArgument,
			msg: "The request body could not be read."}
	}
	return data, nil
}

// decode reads a JSON body into dst, refusing unknown fields. An empty body
// is {} when optional is set, else an error.
func decode(w http.ResponseWriter, r *http.Request, dst any, optional bool) error {
	data, err := readBody(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return invalid("", "A JSON body is required.")
	}
	return unmarshalStrict(data, dst)
}

// unmarshalStrict decodes exactly one JSON value into dst, refusing unknown
// fields, and names the field at fault with its full path ("group.name").
func unmarshalStrict(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			return invalid("", "The body must hold exactly one JSON value.")
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return invalid("", fmt.Sprintf("The body is not valid JSON (at byte %d): %s.", syntax.Offset, syntax.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("", "The body is not valid JSON: it ends too soon.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return invalid(field, "Must be "+jsonKind(typ.Type)+", not "+typ.Value+".")
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name, _ = strconv.Unquote(name)
		return invalid(unknownFieldPath(data, reflect.TypeOf(dst), name), "Unknown field.")
	}
	return invalid("", "The body could not be decoded: "+err.Error()+".")
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number in range"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "another type"
}

// unknownFieldPath finds where in data the unknown field name sits, by
// walking data along t: "group.foo" rather than encoding/json's bare "foo".
func unknownFieldPath(data []byte, t reflect.Type, name string) string {
	var found []string
	walkUnknown(data, t, "", &found)
	for _, p := range found {
		if p == name || strings.HasSuffix(p, "."+name) {
			return p
		}
	}
	return name
}

func walkUnknown(data []byte, t reflect.Type, path string, found *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	join := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			f, ok := fieldByJSONName(t, k)
			if !ok {
				*found = append(*found, join(k))
				continue
			}
			walkUnknown(obj[k], f.Type, join(k), found)
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // []byte and json.RawMessage
			return
		}
		var list []json.RawMessage
		if json.Unmarshal(data, &list) != nil {
			return
		}
		for i, item := range list {
			walkUnknown(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), found)
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return
		}
		for k, v := range obj {
			walkUnknown(v, t.Elem(), join(k), found)
		}
	}
}

// fieldByJSONName finds the field of struct t that the JSON key k decodes
// into, matching as encoding/json does (exact name, else case-insensitive).
func fieldByJSONName(t reflect.Type, k string) (reflect.StructField, bool) {
	var fold reflect.StructField
	var folded bool
	for name, f := range jsonFields(t) {
		if name == k {
			return f, true
		}
		if !folded && strings.EqualFold(name, k) {
			fold, folded = f, true
		}
	}
	return fold, folded
}

// jsonName is the JSON key of struct field f.
// jsonFields yields the fields of struct t that encoding/json reads and
// writes, by their JSON names.
func jsonFields(t reflect.Type) iter.Seq2[string, reflect.StructField] {
	return func(yield func(string, reflect.StructField) bool) {
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous {
				continue
			}
			if name := jsonName(f); name != "-" && !yield(name, f) {
				return
			}
		}
	}
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
