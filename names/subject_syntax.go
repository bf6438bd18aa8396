package names

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ava is one attribute as written, before its key is resolved and its value checked.
type ava struct{ key, value string }

// splitSubject turns either subject syntax into RDNs of AVAs, in the order written.
//
// A leading '/' selects openssl's -subj syntax: '/' separates RDNs, '+' joins the AVAs of a
// multi-valued RDN, and '\' escapes the next character. Anything else is RFC 4514 syntax: ','
// separates RDNs, '+' joins AVAs, '\' escapes a special character or introduces two hex digits
// (§2.4), and a value may be double-quoted as RFC 1779 allowed. In both syntaxes unescaped
// spaces around keys and values are dropped (openssl keeps them in -subj; they are nearly always
// accidents, and an escaped space keeps one on purpose).
func splitSubject(s string) ([][]ava, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	p := &scanner{s: s}
	slash := false
	p.skipSpaces()
	if p.peek() == '/' {
		slash = true
		p.i++
		p.skipSpaces()
		if p.eof() { // "/" alone is openssl's empty subject
			return nil, nil
		}
	}
	var rdns [][]ava
	var rdn []ava
	for {
		a, sep, err := p.ava(slash)
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, a)
		if sep == '+' {
			continue
		}
		rdns = append(rdns, rdn)
		rdn = nil
		if sep == 0 {
			return rdns, nil
		}
	}
}

// scanner walks a subject string byte by byte; multi-byte runes only ever appear inside values
// and are copied whole.
type scanner struct {
	s string
	i int
}

func (p *scanner) eof() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.eof() {
		return 0
	}
	return p.s[p.i]
}

func (p *scanner) skipSpaces() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// ava reads "key=value" and the separator after it: '/' or ',' (next RDN), '+' (same RDN) or 0
// at the end of the input.
func (p *scanner) ava(slash bool) (ava, byte, error) {
	rdnSep := byte(',')
	if slash {
		rdnSep = '/'
	}
	start := p.i
	eq := strings.IndexByte(p.s[p.i:], '=')
	if next := strings.IndexAny(p.s[p.i:], string(rdnSep)+"+"); eq < 0 || (next >= 0 && next < eq) {
		end := len(p.s)
		if next >= 0 {
			end = p.i + next
		}
		part := strings.TrimSpace(p.s[start:end])
		if part == "" {
			return ava{}, 0, fmt.Errorf("empty attribute at offset %d", start)
		}
		return ava{}, 0, fmt.Errorf("attribute %q has no '='", part)
	}
	key := strings.TrimSpace(p.s[p.i : p.i+eq])
	if key == "" {
		return ava{}, 0, fmt.Errorf("missing attribute name before '=' at offset %d", p.i+eq)
	}
	p.i += eq + 1
	p.skipSpaces()
	var value string
	var err error
	if !slash && p.peek() == '"' {
		value, err = p.quoted()
	} else {
		if !slash && p.peek() == '#' {
			// RFC 4514 §2.4: a leading '#' introduces a hex-encoded BER value.
			return ava{}, 0, fmt.Errorf("%s: hex-encoded (#) values are not supported; write \\# for a literal '#'", key)
		}
		value, err = p.plain(rdnSep, !slash)
	}
	if err != nil {
		return ava{}, 0, fmt.Errorf("%s: %w", key, err)
	}
	if p.eof() {
		return ava{key, value}, 0, nil
	}
	sep := p.s[p.i]
	p.i++
	p.skipSpaces()
	if p.eof() {
		return ava{}, 0, fmt.Errorf("trailing %q with no attribute after it", sep)
	}
	return ava{key, value}, sep, nil
}

// plain reads an unquoted value up to an unescaped separator, dropping unescaped trailing
// spaces. With hexPairs, "\C3\A9" is two escaped bytes (RFC 4514 §2.4); otherwise a backslash
// takes the next character literally, as openssl's -subj does.
func (p *scanner) plain(rdnSep byte, hexPairs bool) (string, error) {
	var b strings.Builder
	keep := 0 // length of b up to the last character that is not an unescaped space
	for !p.eof() {
		c := p.s[p.i]
		switch {
		case c == rdnSep || c == '+':
			return b.String()[:keep], nil
		case c == '\\':
			if err := p.escape(&b, hexPairs); err != nil {
				return "", err
			}
			keep = b.Len()
		default:
			_, n := utf8.DecodeRuneInString(p.s[p.i:])
			b.WriteString(p.s[p.i : p.i+n])
			p.i += n
			if c != ' ' && c != '\t' {
				keep = b.Len()
			}
		}
	}
	return b.String()[:keep], nil
}

// quoted reads a double-quoted value (RFC 1779 §2.3) and the spaces after it.
func (p *scanner) quoted() (string, error) {
	open := p.i
	p.i++ // the opening quote
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		switch c {
		case '"':
			p.i++
			p.skipSpaces()
			if !p.eof() && p.s[p.i] != ',' && p.s[p.i] != '+' {
				return "", fmt.Errorf("unexpected %q after the closing quote", p.s[p.i])
			}
			return b.String(), nil
		case '\\':
			if err := p.escape(&b, true); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("quote at offset %d is never closed", open)
}

var errTrailingBackslash = errors.New("value ends with a lone backslash")

// escape consumes a backslash and what it escapes, writing the result to b.
func (p *scanner) escape(b *strings.Builder, hexPairs bool) error {
	p.i++ // the backslash
	if p.eof() {
		return errTrailingBackslash
	}
	if hexPairs && p.i+1 < len(p.s) && isHex(p.s[p.i]) && isHex(p.s[p.i+1]) {
		b.WriteByte(unhex(p.s[p.i])<<4 | unhex(p.s[p.i+1]))
		p.i += 2
		return nil
	}
	_, n := utf8.DecodeRuneInString(p.s[p.i:])
	b.WriteString(p.s[p.i : p.i+n])
	p.i += n
	return nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
