package verify

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"net"
	"sort"
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Distinguished names are compared as RFC 5280 §7.1 says: attribute by attribute, with string
// values prepared per RFC 4518 in simplified form (decoded from their ASN.1 string type,
// leading and trailing spaces removed, inner whitespace runs collapsed, case folded). Two
// encodings of the same name (PrintableString vs UTF8String, different case) therefore chain,
// as the RFC requires; values that are not strings compare by their DER.

type atv struct{ oid, val string }

type rdn []atv

// parseDN reads an RDNSequence into normalized RDNs.
func parseDN(der []byte) ([]rdn, bool) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, false
	}
	var out []rdn
	for !seq.Empty() {
		var set cryptobyte.String
		if !seq.ReadASN1(&set, cbasn1.SET) {
			return nil, false
		}
		var r rdn
		for !set.Empty() {
			var a cryptobyte.String
			var oid asn1.ObjectIdentifier
			var val cryptobyte.String
			var tag cbasn1.Tag
			if !set.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&oid) ||
				!a.ReadAnyASN1Element(&val, &tag) || !a.Empty() {
				return nil, false
			}
			r = append(r, atv{oid: oid.String(), val: normalizeValue(tag, val)})
		}
		if len(r) == 0 {
			return nil, false
		}
		sort.Slice(r, func(i, j int) bool { return r[i].oid+"="+r[i].val < r[j].oid+"="+r[j].val })
		out = append(out, r)
	}
	return out, true
}

// normalizeValue turns an attribute value (full DER element) into its comparison form.
func normalizeValue(tag cbasn1.Tag, elem cryptobyte.String) string {
	var body cryptobyte.String
	e := elem
	if !e.ReadAnyASN1(&body, nil) {
		return "#" + hex.EncodeToString(elem)
	}
	var s string
	switch tag {
	case cbasn1.PrintableString, cbasn1.UTF8String, cbasn1.IA5String, cbasn1.T61String:
		s = string(body)
	case cbasn1.Tag(30): // BMPString: UTF-16BE
		if len(body)%2 != 0 {
			return "#" + hex.EncodeToString(elem)
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		}
		s = string(utf16.Decode(u))
	case cbasn1.Tag(28): // UniversalString: UTF-32BE
		if len(body)%4 != 0 {
			return "#" + hex.EncodeToString(elem)
		}
		r := make([]rune, len(body)/4)
		for i := range r {
			r[i] = rune(body[4*i])<<24 | rune(body[4*i+1])<<16 | rune(body[4*i+2])<<8 | rune(body[4*i+3])
		}
		s = string(r)
	default:
		return "#" + hex.EncodeToString(elem)
	}
	return strings.ToLower(strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " "))
}

func rdnEqual(a, b rdn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// dnKey is a string that is equal for two names exactly when they match under RFC 5280 §7.1.
// An unparsable name is keyed by its bytes, so it only matches itself.
func dnKey(der []byte) string {
	rdns, ok := parseDN(der)
	if !ok {
		return "raw:" + hex.EncodeToString(der)
	}
	var b strings.Builder
	for _, r := range rdns {
		b.WriteByte('/')
		for i, a := range r {
			if i > 0 {
				b.WriteByte('+')
			}
			b.WriteString(a.oid)
			b.WriteByte('=')
			b.WriteString(hex.EncodeToString([]byte(a.val)))
		}
	}
	return b.String()
}

// dnWithin reports whether name lies in the subtree rooted at base: base's RDNs are a prefix of
// name's (RFC 5280 §4.2.1.10, directoryName).
func dnWithin(name, base []byte) (within, ok bool) {
	n, ok1 := parseDN(name)
	b, ok2 := parseDN(base)
	if !ok1 || !ok2 {
		return false, false
	}
	if len(b) > len(n) {
		return false, true
	}
	for i := range b {
		if !rdnEqual(n[i], b[i]) {
			return false, true
		}
	}
	return true, true
}

func dnEmpty(der []byte) bool {
	rdns, ok := parseDN(der)
	return ok && len(rdns) == 0
}

func dnString(der []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &seq); err != nil || len(rest) > 0 {
		return "(unparsable name)"
	}
	var n pkix.Name
	n.FillFromRDNSequence(&seq)
	return nameString(n.String())
}

func ipString(b []byte) string {
	if len(b) == 4 || len(b) == 16 {
		return net.IP(b).String()
	}
	return "0x" + hex.EncodeToString(b)
}
