package names_test

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/names"
)

// mustHex decodes expected DER written by hand (spaces allowed), so the expected encodings do
// not come from the code under test.
func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseSubjectEncoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		der  string // hex of the Name
	}{
		{"empty", "", "3000"},
		{"openssl empty", "/", "3000"},
		{"cn utf8", "CN=a", "300c 310a 3008 0603550403 0c0161"},
		{"country printable", "C=US", "300d 310b 3009 0603550406 13025553"},
		{"country upper-cased", "c=us", "300d 310b 3009 0603550406 13025553"},
		{"serial printable", "serialNumber=12", "300d 310b 3009 0603550405 13023132"},
		{"email ia5", "emailAddress=a@b", "3014 3112 3010 06092a864886f70d010901 1603614062"},
		{"dc ia5", "DC=com", "3015 3113 3011 060a0992268993f22c640119 1603636f6d"},
		{"uid utf8", "UID=u", "3013 3111 300f 060a0992268993f22c640101 0c0175"},
		{"dotted oid utf8", "1.2.3=x", "300b 3109 3007 06022a03 0c0178"},
		{"known oid keeps its type", "2.5.4.6=DE", "300d 310b 3009 0603550406 13024445"},
		{"written order kept", "O=b,CN=a", "3018 310a 3008 060355040a 0c0162 310a 3008 0603550403 0c0161"},
		{"slash order kept", "/O=b/CN=a", "3018 310a 3008 060355040a 0c0162 310a 3008 0603550403 0c0161"},
		{"multi-valued rdn sorted as DER set", "OU=c+O=b", "3016 3114 3008 060355040a 0c0162 3008 060355040b 0c0163"},
		{"printable text still utf8", "O=Acme", "300f 310d 300b 060355040a 0c0441636d65"},
		{"utf8 text", "CN=é", "300d 310b 3009 0603550403 0c02c3a9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdn, err := names.ParseSubject(tc.in)
			if err != nil {
				t.Fatalf("ParseSubject(%q): %v", tc.in, err)
			}
			got, err := asn1.Marshal(rdn)
			if err != nil {
				t.Fatalf("asn1.Marshal: %v", err)
			}
			if want := mustHex(t, tc.der); !bytes.Equal(got, want) {
				t.Fatalf("ParseSubject(%q) encodes as %x; want %x", tc.in, got, want)
			}
		})
	}
}

func TestParseSubjectSyntax(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // FormatSubject of the result
	}{
		{"rfc 4514", "CN=a,O=b", "CN=a,O=b"},
		{"openssl", "/CN=a/O=b", "CN=a,O=b"},
		{"spaces trimmed", "  CN = a b ,  O = c  ", "CN=a b,O=c"},
		{"openssl spaces trimmed", "/ CN = a b / O = c ", "CN=a b,O=c"},
		{"escaped comma", `O=Acme\, Inc.`, `O=Acme\, Inc.`},
		{"escaped plus", `CN=a\+b`, `CN=a\+b`},
		{"escaped trailing space kept", `CN=a\ `, `CN=a\ `},
		{"escaped leading space kept", `CN=\ a`, `CN=\ a`},
		{"hex pairs", `CN=caf\C3\A9`, "CN=café"},
		{"escaped hash", `CN=\#1`, `CN=\#1`},
		{"hash inside", `CN=a#1`, `CN=a#1`},
		{"quoted", `O="Acme, Inc.", CN=x`, `O=Acme\, Inc.,CN=x`},
		{"quoted escape", `CN="a\"b"`, `CN=a\"b`},
		{"openssl escaped slash", `/O=a\/b/CN=c`, "O=a/b,CN=c"},
		{"openssl escaped plus", `/CN=a\+b`, `CN=a\+b`},
		{"openssl backslash literal", `/CN=a\\b`, `CN=a\\b`},
		{"openssl comma is text", "/O=Acme, Inc./CN=x", `O=Acme\, Inc.,CN=x`},
		{"slash is text in rfc syntax", "CN=a/b", "CN=a/b"},
		{"multi-valued", "OU=x+CN=y,O=z", "OU=x+CN=y,O=z"},
		{"openssl multi-valued", "/DC=org/UID=123+CN=John Doe", "DC=org,UID=123+CN=John Doe"},
		{"equals in value", "CN=a=b", `CN=a\=b`},
		{"keys case-insensitive", "cn=a,o=b,ou=c,l=d,st=e,street=f,postalcode=g,uid=h,dc=i,EMAILADDRESS=j@k", "CN=a,O=b,OU=c,L=d,ST=e,STREET=f,POSTALCODE=g,UID=h,DC=i,emailAddress=j@k"},
		{"long names", "commonName=a,organizationName=b,countryName=FR", "CN=a,O=b,C=FR"},
		{"unknown oid", "1.3.6.1.4.1.99999.1=v", "1.3.6.1.4.1.99999.1=v"},
		{"max cn", "CN=" + strings.Repeat("é", 64), "CN=" + strings.Repeat("é", 64)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdn, err := names.ParseSubject(tc.in)
			if err != nil {
				t.Fatalf("ParseSubject(%q): %v", tc.in, err)
			}
			if got := names.FormatSubject(rdn); got != tc.want {
				t.Fatalf("FormatSubject(ParseSubject(%q)) = %q; want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseSubjectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string // the whole message
	}{
		{"unknown attribute", "CN=a,X=b", `names: subject "CN=a,X=b": unknown attribute "X"`},
		{"no equals", "CN", `names: subject "CN": attribute "CN" has no '='`},
		{"no equals before comma", "CN,O=b", `names: subject "CN,O=b": attribute "CN" has no '='`},
		{"empty key", "=a", `names: subject "=a": missing attribute name before '=' at offset 0`},
		{"empty value", "CN=", `names: subject "CN=": CN has an empty value (RFC 5280 requires at least one character)`},
		{"double comma", "CN=a,,O=b", `names: subject "CN=a,,O=b": empty attribute at offset 5`},
		{"trailing comma", "CN=a,", `names: subject "CN=a,": trailing ',' with no attribute after it`},
		{"trailing slash", "/CN=a/", `names: subject "/CN=a/": trailing '/' with no attribute after it`},
		{"trailing plus", "CN=a+", `names: subject "CN=a+": trailing '+' with no attribute after it`},
		{"lone backslash", `CN=a\`, `names: subject "CN=a\\": CN: value ends with a lone backslash`},
		{"unclosed quote", `CN="a`, `names: subject "CN=\"a": CN: quote at offset 3 is never closed`},
		{"text after quote", `CN="a"b`, `names: subject "CN=\"a\"b": CN: unexpected 'b' after the closing quote`},
		{"ber value", "CN=#0403", `names: subject "CN=#0403": CN: hex-encoded (#) values are not supported; write \# for a literal '#'`},
		{"country too long", "C=USA", `names: subject "C=USA": C "USA": must be exactly 2 characters`},
		{"country digits", "C=12", `names: subject "C=12": C "12": must be an ISO 3166 two-letter country code`},
		{"country not printable", "C=É1", `names: subject "C=É1": C "É1": 'É' is not allowed in a PrintableString (X.680 §41.4)`},
		{"serial not printable", "serialNumber=a_b", `names: subject "serialNumber=a_b": SERIALNUMBER "a_b": '_' is not allowed in a PrintableString (X.680 §41.4)`},
		{"email not ascii", "emailAddress=é@x", `names: subject "emailAddress=é@x": emailAddress "é@x": 'é' is not allowed in an IA5String (ASCII only)`},
		{"cn too long", "CN=" + strings.Repeat("a", 65), `names: subject "CN=` + strings.Repeat("a", 65) + `": CN is 65 characters long, over the limit of 64 (RFC 5280 Appendix A)`},
		{"o too long", "O=" + strings.Repeat("a", 65), `names: subject "O=` + strings.Repeat("a", 65) + `": O is 65 characters long, over the limit of 64 (RFC 5280 Appendix A)`},
		{"nul", "CN=a\x00b", `names: subject "CN=a\x00b": CN contains the control character U+0000`},
		{"hex nul", `CN=a\00b`, `names: subject "CN=a\\00b": CN contains the control character U+0000`},
		{"bad utf8 from hex", `CN=\C3`, `names: subject "CN=\\C3": CN is not valid UTF-8`},
		{"bad oid first arc", "3.1=x", `names: subject "3.1=x": attribute "3.1": not a valid OID (X.690 §8.19.4)`},
		{"bad oid arc", "1.2.x=y", `names: subject "1.2.x=y": attribute "1.2.x": "x" is not a decimal OID arc`},
		{"one-arc oid", "1=y", `names: subject "1=y": attribute "1": an OID needs at least two arcs`},
		{"huge oid arc", "1.2.99999999999=y", `names: subject "1.2.99999999999=y": attribute "1.2.99999999999": arc 99999999999 is too large`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdn, err := names.ParseSubject(tc.in)
			if err == nil {
				t.Fatalf("ParseSubject(%q) = %v; want an error", tc.in, rdn)
			}
			if !errors.Is(err, names.ErrInvalidSubject) {
				t.Errorf("ParseSubject(%q) error %v does not wrap ErrInvalidSubject", tc.in, err)
			}
			if err.Error() != tc.want {
				t.Errorf("ParseSubject(%q) error:\n got %s\nwant %s", tc.in, err, tc.want)
			}
		})
	}
}

func TestFormatSubjectOfParsedValues(t *testing.T) {
	t.Parallel()
	// crypto/x509 parses attribute values into strings; FormatSubject must take those too, and
	// anything that is not a string is written as RFC 4514 hex.
	rdn := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: " a,b "}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: asn1.RawValue{Tag: asn1.TagBMPString, Bytes: []byte{0, 'h', 0, 'i'}}}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: asn1.RawValue{Tag: asn1.TagT61String, Bytes: []byte{'c', 0xe9}}}},
		{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: 5}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "#\tx"}},
	}
	want := `CN=\ a\,b\ ,O=hi,O=cé,1.2.3=#020105,CN=\#\09x`
	if got := names.FormatSubject(rdn); got != want {
		t.Fatalf("FormatSubject = %q; want %q", got, want)
	}
}

func TestCommonName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"O=a", ""},
		{"CN=a,O=b", "a"},
		{"CN=first,CN=last", "last"},
		{"/O=x/CN=a\\/b", "a/b"},
	}
	for _, tc := range tests {
		rdn, err := names.ParseSubject(tc.in)
		if err != nil {
			t.Fatalf("ParseSubject(%q): %v", tc.in, err)
		}
		if got := names.CommonName(rdn); got != tc.want {
			t.Errorf("CommonName(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
	parsed := pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "plain"}}}
	if got := names.CommonName(parsed); got != "plain" {
		t.Errorf("CommonName of a string value = %q; want %q", got, "plain")
	}
}

// FuzzParseSubject checks that no input panics and that whatever parses survives a round trip
// through FormatSubject with the same DER.
func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"", "/", "CN=a,O=b", "/CN=a/O=b", `O=Acme\, Inc.,CN=x`, `CN="a, b"`, `CN=caf\C3\A9`,
		"/DC=org/UID=123+CN=John Doe", "C=US,ST=CA,L=SF,O=o,OU=u,CN=c,emailAddress=a@b",
		"1.2.3.4=x", `CN=\ a\ `, "serialNumber=12+2.5.4.6=de", `/CN=a\/b\+c`, "CN=#00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rdn, err := names.ParseSubject(s)
		if err != nil {
			if !errors.Is(err, names.ErrInvalidSubject) {
				t.Fatalf("ParseSubject(%q): error %v does not wrap ErrInvalidSubject", s, err)
			}
			return
		}
		der, err := asn1.Marshal(rdn)
		if err != nil {
			t.Fatalf("ParseSubject(%q) does not marshal: %v", s, err)
		}
		formatted := names.FormatSubject(rdn)
		again, err := names.ParseSubject(formatted)
		if err != nil {
			t.Fatalf("ParseSubject(FormatSubject(ParseSubject(%q)) = %q): %v", s, formatted, err)
		}
		der2, _ := asn1.Marshal(again)
		if !bytes.Equal(der, der2) {
			t.Fatalf("round trip of %q via %q changed the DER:\n%x\n%x", s, formatted, der, der2)
		}
	})
}
