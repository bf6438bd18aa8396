package restapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"strings"

	"github.com/anchorpki/anchor/issuance"
)

// readBody reads at most limit bytes of a request body. A larger body is a 413, whatever its
// content: the cap is what keeps a client from making the server buffer without end.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, err
		}
		if errors.Is(err, os.ErrDeadlineExceeded) { // the server's read timeout, HTTP/1.1 and HTTP/2 alike
			return nil, newProblem(TypeTimeout, "the request body did not arrive within the server's read timeout")
		}
		return nil, newProblem(TypeMalformed, "the request body could not be read")
	}
	return body, nil
}

// decodeJSON decodes one JSON object into v, strictly: an unknown field is an error (a typo in
// an optional field must not silently fall back to a default) and so is anything after the
// object. An empty body decodes to nothing when emptyOK.
func decodeJSON(body []byte, v any, emptyOK bool) error {
	if len(bytes.TrimSpace(body)) == 0 {
		if emptyOK {
			return nil
		}
		return newProblem(TypeMalformed, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newProblem(TypeMalformed, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return newProblem(TypeMalformed, "invalid JSON: data after the JSON object")
	}
	return nil
}

// jsonProblem says what is wrong with a body in terms of the body, not of Go types.
func jsonProblem(err error) string {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("invalid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		if te.Field == "" {
			return fmt.Sprintf("invalid JSON: expected an object, got %s", te.Value)
		}
		return fmt.Sprintf("invalid JSON: field %q must not be %s", te.Field, te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "invalid JSON: the body ends in the middle of a value"
	}
	// encoding/json reports an unknown field only as text: `json: unknown field "x"`.
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return "unknown field " + msg
	}
	return "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")
}

// writeJSON writes v with a status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Served as JSON with nosniff, so nothing needs HTML escaping: "<token>" reads as written.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone; nothing else to do
}

// parseSerial reads a serial from a URL: hexadecimal as `anchor list` and `openssl x509 -serial`
// print it, either case, colons allowed; positive and at most 20 octets (RFC 5280 §4.1.2.2).
func parseSerial(s string) (*big.Int, error) {
	n, err := issuance.ParseSerial(s)
	if err != nil {
		return nil, problemf(TypeMalformed, "invalid serial %q: want a positive hexadecimal number of at most 20 octets, such as 3a7f09c2e1d5b4a8", s)
	}
	return n, nil
}
