package pemfile

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"strings"
)

// Decode returns every PEM block in data, or, when data is a single DER object, one Block whose
// Type says what the object is (see sniffDER). Text outside PEM blocks is ignored, as openssl
// ignores it: `openssl x509 -text` output and hand-written comments are common in bundles. But a
// block that begins and does not decode is an error naming its line, never silently skipped
// (encoding/pem skips it, which turns "bundle of three" into "bundle of two" without a word).
// Empty input yields no blocks and no error; callers decide whether that is acceptable.
func Decode(data []byte) ([]Block, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	// One DER SEQUENCE spanning the input is DER even if its bytes contain "-----BEGIN" (a
	// subject may); otherwise any BEGIN line makes it PEM.
	if isOneSequence(data) || !hasBeginLine(data) {
		b, err := sniffDER(data)
		if err != nil {
			return nil, &Error{Err: err}
		}
		return []Block{b}, nil
	}
	return decodePEM(data)
}

func isOneSequence(data []byte) bool {
	if data[0] != 0x30 {
		return false
	}
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(data, &v)
	return err == nil && len(rest) == 0
}

func hasBeginLine(data []byte) bool {
	for line := range bytes.Lines(data) {
		if bytes.HasPrefix(bytes.TrimLeft(line, " \t"), []byte("-----BEGIN")) {
			return true
		}
	}
	return false
}

// pemBlock accumulates one block while decodePEM reads it.
type pemBlock struct {
	Block
	headersDone bool
	lastHeader  string
	body        strings.Builder
	bodyLines   []bodyLine // to map a base64 error offset back to its line
}

type bodyLine struct{ start, line int }

// decodePEM reads blocks line by line (RFC 7468 §2: CR, LF or CRLF line ends; whitespace at the
// ends of lines is ignored).
func decodePEM(data []byte) ([]Block, error) {
	var blocks []Block
	var cur *pemBlock
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		line := strings.TrimRight(strings.TrimLeft(string(raw), " \t"), " \t\r\n")
		malformed := func(format string, args ...any) error {
			return &Error{Line: n, Err: newDetail(ErrMalformedPEM, "malformed PEM: "+format, args...)}
		}
		switch {
		case strings.HasPrefix(line, "-----BEGIN"):
			if cur != nil {
				return nil, malformed("BEGIN line inside the %s block begun on line %d (its END line is missing)", cur.Type, cur.Line)
			}
			label, ok := strings.CutPrefix(line, "-----BEGIN ")
			label, ok2 := strings.CutSuffix(label, "-----")
			if !ok || !ok2 || !validLabel(label) {
				return nil, malformed("bad BEGIN line %q (want -----BEGIN LABEL-----)", line)
			}
			cur = &pemBlock{Block: Block{Type: label, Line: n}}
		case strings.HasPrefix(line, "-----END"):
			if cur == nil {
				return nil, malformed("END line %q without a BEGIN line", line)
			}
			if line != "-----END "+cur.Type+"-----" {
				return nil, malformed("END line %q does not match BEGIN %s on line %d", line, cur.Type, cur.Line)
			}
			b, err := cur.finish()
			if err != nil {
				return nil, err
			}
			b.Index = len(blocks) + 1
			blocks = append(blocks, b)
			cur = nil
		case cur == nil:
			// Text between blocks.
		case !cur.headersDone && cur.body.Len() == 0:
			cur.header(raw, line, n)
		case line != "":
			cur.bodyLines = append(cur.bodyLines, bodyLine{cur.body.Len(), n})
			cur.body.WriteString(line)
		}
	}
	if cur != nil {
		return nil, &Error{Line: cur.Line, Err: newDetail(ErrMalformedPEM, "malformed PEM: no END line for the %s block", cur.Type)}
	}
	return blocks, nil
}

// validLabel applies RFC 7468 §3: printable ASCII other than '-', single spaces between words.
func validLabel(label string) bool {
	if label == "" || label[0] == ' ' || label[len(label)-1] == ' ' || strings.Contains(label, "  ") {
		return false
	}
	for i := 0; i < len(label); i++ {
		if c := label[i]; c < 0x20 || c > 0x7e || c == '-' {
			return false
		}
	}
	return true
}

// header handles a line between BEGIN and the base64: an RFC 1421 §4.6 "Name: value" header, a
// continuation of the previous one (leading whitespace), the blank line that ends them, or the
// first base64 line when there are no headers.
func (b *pemBlock) header(raw []byte, line string, n int) {
	switch {
	case line == "":
		if b.Headers != nil {
			b.headersDone = true
		}
	case (raw[0] == ' ' || raw[0] == '\t') && b.lastHeader != "":
		b.Headers[b.lastHeader] += line
	case strings.Contains(line, ":"):
		k, v, _ := strings.Cut(line, ":")
		if b.Headers == nil {
			b.Headers = map[string]string{}
		}
		b.lastHeader = strings.TrimSpace(k)
		b.Headers[b.lastHeader] = strings.TrimSpace(v)
	default:
		b.headersDone = true
		b.bodyLines = append(b.bodyLines, bodyLine{0, n})
		b.body.WriteString(line)
	}
}

// finish decodes the base64 body.
func (b *pemBlock) finish() (Block, error) {
	body := b.body.String()
	if body == "" {
		return Block{}, &Error{Line: b.Line, Err: newDetail(ErrMalformedPEM, "malformed PEM: the %s block is empty", b.Type)}
	}
	der, err := base64.StdEncoding.DecodeString(body)
	if err == nil && len(der) == 0 {
		return Block{}, &Error{Line: b.Line, Err: newDetail(ErrMalformedPEM, "malformed PEM: the %s block is empty", b.Type)}
	}
	if err != nil {
		line := b.Line
		if c, ok := errors.AsType[base64.CorruptInputError](err); ok {
			line = b.lineOf(int(c))
		}
		return Block{}, &Error{Line: line, Err: newDetail(ErrMalformedPEM, "malformed PEM: bad base64 in the %s block begun on line %d", b.Type, b.Line)}
	}
	b.Bytes = der
	return b.Block, nil
}

// lineOf maps an offset in the concatenated body to the line it came from.
func (b *pemBlock) lineOf(offset int) int {
	line := b.Line
	for _, l := range b.bodyLines {
		if l.start > offset {
			break
		}
		line = l.line
	}
	return line
}
