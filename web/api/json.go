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
	"strconv"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// maxBody is the largest request body the API reads.
const maxBody = 1 << 20

// jsonBuffers keep writeJSON's buffers from one answer to the next, so an
// answer does not grow a new one from nothing. A buffer grown past
// maxPooledBuffer by a long page is dropped rather than kept.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledBuffer = 64 << 10

// writeJSON encodes v into a buffer first, so a failed encoding is a clean
// 500 rather than half a body. Its length is known then: an answer longer
// than net/http buffers (a page of groups) goes out in one piece rather
// than chunked, a write fewer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			jsonBuffers.Put(buf)
		}
	}()
	written := false
	if a, ok := v.(jsonAppender); ok {
		// A page of groups writes itself (json_groups.go), into the
		// buffer's own bytes.
		if out, ok := a.appendJSON(buf.AvailableBuffer()); ok {
			buf.Write(append(out, '\n'))
			written = true
		}
	}
	if !written {
		written = json.NewEncoder(buf).Encode(v) == nil
	}
	if !written {
		buf.Reset()
		status = http.StatusInternalServerError
		fmt.Fprintf(buf, `{"message":"Could not encode the answer.","details":{"applicationError":{"code":%q,"description":"Could not encode the answer."}}}`+"\n", codeInternal)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
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
		return invalid(wholeBody, "A JSON body is required.")
	}
	return unmarshalStrict(data, dst)
}

// unmarshalStrict decodes exactly one JSON value into dst as api.md says a
// body is read: an unknown field, a field given twice ({"name":"A",
// "name":"B"}), a field in another case ({"NAME":"x"}) and text that is not
// UTF-8 are refused, each naming the field at fault by its full path
// ("group.name", "rejections[0].reason"). go-json-experiment's decoder does
// all of this by default; encoding/json would take the last duplicate, match
// names case-insensitively and replace bad bytes.
func unmarshalStrict(data []byte, dst any) error {
	err := jsonv2.Unmarshal(data, dst, jsonv2.RejectUnknownMembers(true))
	if err == nil {
		return nil
	}
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return invalid(fieldOrBody(syn.JSONPointer), "This field is given twice; give it once.")
	case errors.As(err, &syn) && errors.Is(err, io.ErrUnexpectedEOF):
		return invalid(wholeBody, "The body is not valid JSON: it ends too soon.")
	case errors.As(err, &syn):
		return invalid(fieldOrBody(syn.JSONPointer), fmt.Sprintf("The body is not valid JSON (at byte %d): %s.",
			syn.ByteOffset, strings.TrimPrefix(syn.Err.Error(), "jsontext: ")))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalid(wholeBody, "The body is not valid JSON: it ends too soon.")
	case errors.As(err, &sem) && errors.Is(sem.Err, jsonv2.ErrUnknownName):
		return invalid(fieldOrBody(sem.JSONPointer), "Unknown field (names are case-sensitive).")
	case errors.As(err, &sem) && sem.GoType != nil:
		return invalid(fieldOrBody(sem.JSONPointer), "Must be "+jsonKind(sem.GoType)+", not "+kindName(sem.JSONKind)+".")
	}
	return invalid(wholeBody, "The body could not be decoded.")
}

// wholeBody is the field a violation names when the fault is the body as a
// whole (empty, not JSON, a second value after the first): never "".
const wholeBody = "body"

// fieldOrBody is fieldPath, or wholeBody when the pointer is the top level.
func fieldOrBody(p jsontext.Pointer) string {
	if f := fieldPath(p); f != "" {
		return f
	}
	return wholeBody
}

// fieldPath writes a JSON pointer the way field violations name fields:
// "/rejections/0/reason" is "rejections[0].reason".
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

// kindName names a JSON kind as the error text does.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "a list"
	}
	return "another type"
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

// jsonFields yields the fields of struct t that the API reads and writes,
// by their JSON names (for the OpenAPI schemas).
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

// jsonName is the JSON key of struct field f: its tag's name, else the
// field's own.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
