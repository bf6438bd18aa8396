package names

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseSubject parses a distinguished name written as "CN=a,O=b" (RFC 4514 syntax, but in the
// order written) or as openssl's "/CN=a/O=b"; '+' joins the attributes of a multi-valued RDN in
// both. Keys are case-insensitive: C, ST, L, O, OU, CN, SERIALNUMBER, STREET, POSTALCODE, DC, UID,
// emailAddress, their long names, or a dotted OID. The RDNs keep the order the user wrote, as
// openssl -subj does, rather than RFC 4514's reversed order.
//
// Each value carries an explicit ASN.1 string type (an asn1.RawValue), so that asn1.Marshal
// produces what RFC 5280 requires instead of guessing PrintableString: UTF8String for text,
// PrintableString for C and serialNumber, IA5String for emailAddress and DC. This is also what
// openssl writes with its default string_mask (utf8only), byte for byte. The empty string is the
// empty subject.
func ParseSubject(s string) (pkix.RDNSequence, error) {
	fail := func(err error) (pkix.RDNSequence, error) {
		return nil, &invalidError{ErrInvalidSubject, fmt.Sprintf("names: subject %q: %v", s, err)}
	}
	rdns, err := splitSubject(s)
	if err != nil {
		return fail(err)
	}
	seq := pkix.RDNSequence{}
	for _, rdn := range rdns {
		set := make(pkix.RelativeDistinguishedNameSET, 0, len(rdn))
		for _, a := range rdn {
			attr, err := lookupAttribute(a.key)
			if err != nil {
				return fail(err)
			}
			v, err := attr.checkValue(a.value)
			if err != nil {
				return fail(err)
			}
			set = append(set, pkix.AttributeTypeAndValue{
				Type:  attr.oid,
				Value: asn1.RawValue{Tag: attr.tag, Bytes: []byte(v)},
			})
		}
		seq = append(seq, set)
	}
	return seq, nil
}

// FormatSubject writes rdn as "CN=a,O=b": RFC 4514 escaping and short names, but in sequence
// order (the order ParseSubject keeps), so ParseSubject(FormatSubject(x)) encodes like x. A value
// that is not a character string is written as '#' and its hex DER (RFC 4514 §2.4).
func FormatSubject(rdn pkix.RDNSequence) string {
	var b strings.Builder
	for i, set := range rdn {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, atv := range set {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(shortName(atv.Type))
			b.WriteByte('=')
			if s, ok := valueString(atv.Value); ok {
				b.WriteString(escapeValue(s))
			} else if der, err := asn1.Marshal(atv.Value); err == nil {
				b.WriteString("#" + hex.EncodeToString(der))
			} else {
				b.WriteString("#")
			}
		}
	}
	return b.String()
}

// CommonName returns the value of the last CN in rdn, or "" if there is none. The last one is
// the most specific (RFC 6125 §2.3.1 and crypto/x509 pick it too).
func CommonName(rdn pkix.RDNSequence) string {
	cn := ""
	for _, set := range rdn {
		for _, atv := range set {
			if atv.Type.Equal(asn1.ObjectIdentifier{2, 5, 4, 3}) {
				if s, ok := valueString(atv.Value); ok {
					cn = s
				}
			}
		}
	}
	return cn
}

// valueString extracts the text of an attribute value: a string (what crypto/x509 parses into)
// or a RawValue of a character-string type (what ParseSubject builds).
func valueString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case asn1.RawValue:
		if v.Class != asn1.ClassUniversal || v.IsCompound {
			return "", false
		}
		switch v.Tag {
		case asn1.TagUTF8String, asn1.TagPrintableString, asn1.TagIA5String, asn1.TagNumericString:
			if utf8.Valid(v.Bytes) {
				return string(v.Bytes), true
			}
		case asn1.TagT61String: // in practice Latin-1
			r := make([]rune, len(v.Bytes))
			for i, c := range v.Bytes {
				r[i] = rune(c)
			}
			return string(r), true
		case asn1.TagBMPString: // UTF-16BE
			if len(v.Bytes)%2 != 0 {
				return "", false
			}
			u := make([]uint16, len(v.Bytes)/2)
			for i := range u {
				u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
			}
			return string(utf16.Decode(u)), true
		}
	}
	return "", false
}

// escapeValue applies RFC 4514 §2.4: special characters get a backslash, a leading '#' or space
// and a trailing space are escaped, and control characters become hex pairs.
func escapeValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, "\\%02X", s[i])
		case strings.ContainsRune(`,+"\<>;=`, r),
			r == '#' && i == 0,
			r == ' ' && (i == 0 || i == len(s)-1):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
