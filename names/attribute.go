package names

import (
	"encoding/asn1"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// attribute describes one subject attribute type: its OID, the ASN.1 string type RFC 5280
// requires for it, and its upper bound in characters.
type attribute struct {
	name  string // the short name FormatSubject writes (as openssl and RFC 4514 §3 spell it)
	oid   asn1.ObjectIdentifier
	tag   int // asn1.TagUTF8String, asn1.TagPrintableString or asn1.TagIA5String
	upper int // ub-* from RFC 5280 Appendix A (or X.520 / RFC 4519 where 5280 is silent)
	exact int // required length in characters, 0 if any length up to upper
}

// attributes lists the types ParseSubject accepts by name. Text attributes are UTF8String, which
// RFC 5280 §4.1.2.6 says conforming CAs MUST use for DirectoryString since 2004; the exceptions
// are fixed by their ASN.1 definitions.
var attributes = []*attribute{
	// RFC 5280 Appendix A: X520countryName ::= PrintableString (SIZE (2)), ISO 3166 alpha-2.
	{name: "C", oid: asn1.ObjectIdentifier{2, 5, 4, 6}, tag: asn1.TagPrintableString, upper: 2, exact: 2},
	{name: "ST", oid: asn1.ObjectIdentifier{2, 5, 4, 8}, tag: asn1.TagUTF8String, upper: 128}, // ub-state-name
	{name: "L", oid: asn1.ObjectIdentifier{2, 5, 4, 7}, tag: asn1.TagUTF8String, upper: 128},  // ub-locality-name
	{name: "O", oid: asn1.ObjectIdentifier{2, 5, 4, 10}, tag: asn1.TagUTF8String, upper: 64},  // ub-organization-name
	{name: "OU", oid: asn1.ObjectIdentifier{2, 5, 4, 11}, tag: asn1.TagUTF8String, upper: 64}, // ub-organizational-unit-name
	{name: "CN", oid: asn1.ObjectIdentifier{2, 5, 4, 3}, tag: asn1.TagUTF8String, upper: 64},  // ub-common-name
	// RFC 5280 Appendix A: X520SerialNumber ::= PrintableString (SIZE (1..ub-serial-number)).
	{name: "SERIALNUMBER", oid: asn1.ObjectIdentifier{2, 5, 4, 5}, tag: asn1.TagPrintableString, upper: 64},
	{name: "STREET", oid: asn1.ObjectIdentifier{2, 5, 4, 9}, tag: asn1.TagUTF8String, upper: 128},     // X.520 ub-street-address
	{name: "POSTALCODE", oid: asn1.ObjectIdentifier{2, 5, 4, 17}, tag: asn1.TagUTF8String, upper: 40}, // X.520 ub-postal-code
	// RFC 5280 Appendix A / RFC 4519 §2.4: domainComponent ::= IA5String, one DNS label.
	{name: "DC", oid: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, tag: asn1.TagIA5String, upper: 63},
	// RFC 4519 §2.39 (userid); RFC 1274 bounds it at 256.
	{name: "UID", oid: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}, tag: asn1.TagUTF8String, upper: 256},
	// RFC 5280 Appendix A: EmailAddress ::= IA5String (SIZE (1..ub-emailaddress-length)), legacy.
	{name: "emailAddress", oid: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, tag: asn1.TagIA5String, upper: 255},
}

// maxOtherValue bounds values of attributes given by dotted OID, which have no ub-* we know of;
// it keeps a typo from producing a megabyte subject.
const maxOtherValue = 1024

// byName maps lower-cased short names and the long names openssl and RFC 4519 accept.
var byName = func() map[string]*attribute {
	m := map[string]*attribute{}
	for _, a := range attributes {
		m[strings.ToLower(a.name)] = a
	}
	aliases := map[string]string{
		"countryname": "C", "stateorprovincename": "ST", "localityname": "L",
		"organizationname": "O", "organizationalunitname": "OU", "commonname": "CN",
		"streetaddress": "STREET", "domaincomponent": "DC", "userid": "UID",
		"email": "emailAddress", "e": "emailAddress",
	}
	for alias, name := range aliases {
		m[alias] = m[strings.ToLower(name)]
	}
	return m
}()

// byOID finds a known attribute from its OID, so that "2.5.4.6=US" obeys the rules for C.
func byOID(oid asn1.ObjectIdentifier) *attribute {
	for _, a := range attributes {
		if a.oid.Equal(oid) {
			return a
		}
	}
	return nil
}

// lookupAttribute resolves a key as written: a name (case-insensitive) or a dotted OID.
func lookupAttribute(key string) (*attribute, error) {
	if a, ok := byName[strings.ToLower(key)]; ok {
		return a, nil
	}
	if key == "" || key[0] < '0' || key[0] > '9' {
		return nil, fmt.Errorf("unknown attribute %q", key)
	}
	oid, err := parseOID(key)
	if err != nil {
		return nil, err
	}
	if a := byOID(oid); a != nil {
		return a, nil
	}
	return &attribute{name: oid.String(), oid: oid, tag: asn1.TagUTF8String, upper: maxOtherValue}, nil
}

// parseOID parses a dotted OID within the limits X.690 §8.19 and encoding/asn1 impose: the first
// arc is 0, 1 or 2, the second is below 40 unless the first is 2, and every arc fits an int.
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("attribute %q: an OID needs at least two arcs", s)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		if p == "" || strings.TrimLeft(p, "0123456789") != "" || (len(p) > 1 && p[0] == '0') {
			return nil, fmt.Errorf("attribute %q: %q is not a decimal OID arc", s, p)
		}
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: arc %s is too large", s, p)
		}
		oid[i] = int(n)
	}
	if oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return nil, fmt.Errorf("attribute %q: not a valid OID (X.690 §8.19.4)", s)
	}
	return oid, nil
}

// checkValue enforces the ASN.1 string type and the upper bound of a, so that asn1.Marshal
// never has to guess and a CA never signs a subject that RFC 5280 parsers reject.
func (a *attribute) checkValue(v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("%s has an empty value (RFC 5280 requires at least one character)", a.name)
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("%s is not valid UTF-8", a.name)
	}
	for _, r := range v {
		// Control characters, NUL above all, let "good.example\x00.evil.example" read differently
		// to different parsers (the 2009 null-prefix attack); no attribute needs them.
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return "", fmt.Errorf("%s contains the control character %U", a.name, r)
		}
	}
	switch a.tag {
	case asn1.TagPrintableString:
		for _, r := range v {
			if !isPrintable(r) {
				return "", fmt.Errorf("%s %q: %q is not allowed in a PrintableString (X.680 §41.4)", a.name, v, r)
			}
		}
	case asn1.TagIA5String:
		for _, r := range v {
			if r >= utf8.RuneSelf {
				return "", fmt.Errorf("%s %q: %q is not allowed in an IA5String (ASCII only)", a.name, v, r)
			}
		}
	}
	n := utf8.RuneCountInString(v)
	if a.exact > 0 && n != a.exact {
		return "", fmt.Errorf("%s %q: must be exactly %d characters", a.name, v, a.exact)
	}
	if n > a.upper {
		return "", fmt.Errorf("%s is %d characters long, over the limit of %d (RFC 5280 Appendix A)", a.name, n, a.upper)
	}
	if a.name == "C" {
		// ISO 3166-1 alpha-2 codes are two upper-case letters; "us" is a typo for "US".
		for _, r := range v {
			if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
				return "", fmt.Errorf("C %q: must be an ISO 3166 two-letter country code", v)
			}
		}
		v = strings.ToUpper(v)
	}
	return v, nil
}

// isPrintable reports whether r is in the PrintableString repertoire (X.680 §41.4 table 10).
func isPrintable(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune(" '()+,-./:=?", r)
}

// shortName is the name FormatSubject writes for oid: the short name if known, else dotted.
func shortName(oid asn1.ObjectIdentifier) string {
	if a := byOID(oid); a != nil {
		return a.name
	}
	return oid.String()
}
