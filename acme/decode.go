package acme

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
)

// DecodeStrict decodes one ACME JSON object from data into v, a pointer. Unknown fields are
// ignored, because RFC 8555 §7.1 lets clients send extensions; what it rejects is what no
// extension can explain: a body that is not a JSON object, a field of the wrong JSON type,
// invalid JSON, and anything after the object. Every error is a malformed *Problem whose detail
// names the field or offset, except for a v that cannot be decoded into at all, which is the
// server's bug and so serverInternal.
func DecodeStrict(data []byte, v any) error {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return Malformed("the request body is empty; expected a JSON object")
	case trimmed[0] != '{':
		// RFC 8555 §7: every ACME request payload is a JSON object (POST-as-GET's empty
		// payload is the JWS layer's concern, not a body to decode).
		return Malformed("the request body is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		return decodeProblem(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Malformed(fmt.Sprintf("unexpected data after the JSON object at offset %d", dec.InputOffset()))
	}
	return nil
}

func decodeProblem(err error) *Problem {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		where := "the request body"
		if te.Field != "" {
			where = fmt.Sprintf("field %q", te.Field)
		}
		return Malformed(fmt.Sprintf("%s must be %s, not a JSON %s (offset %d)", where, jsonKind(te.Type), te.Value, te.Offset))
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return Malformed(fmt.Sprintf("invalid JSON at offset %d: %s", se.Offset, se.Error()))
	}
	if _, ok := errors.AsType[*time.ParseError](err); ok || strings.HasPrefix(err.Error(), "Time.UnmarshalJSON") {
		// encoding/json does not say which field a time.Time came from; the value is quoted.
		return Malformed("a timestamp is not an RFC 3339 string: " + err.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return Malformed("the JSON object is truncated")
	}
	if _, ok := errors.AsType[*json.InvalidUnmarshalError](err); ok {
		return ServerInternal("the server encountered an internal error")
	}
	// What remains comes from a field's UnmarshalJSON (go-jose keys, time values) and is about
	// the client's input, so its text is safe and useful to return.
	return Malformed("invalid request body: " + err.Error())
}

// jsonKind names the JSON type a Go type decodes from, in the client's vocabulary.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different type"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 timestamp string"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a " + t.String()
}
