package verify

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
)

func mustName(t *testing.T, rdns pkix.RDNSequence) []byte {
	t.Helper()
	b, err := asn1.Marshal(rdns)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func atvOf(oid asn1.ObjectIdentifier, tag int, s string) pkix.AttributeTypeAndValue {
	return pkix.AttributeTypeAndValue{Type: oid, Value: asn1.RawValue{Tag: tag, Bytes: []byte(s)}}
}

func TestDNComparison(t *testing.T) {
	t.Parallel()
	cn, o := oidAttrCommonName, asn1.ObjectIdentifier{2, 5, 4, 10}
	name := func(atvs ...pkix.AttributeTypeAndValue) []byte {
		var seq pkix.RDNSequence
		for _, a := range atvs {
			seq = append(seq, pkix.RelativeDistinguishedNameSET{a})
		}
		return mustName(t, seq)
	}
	tests := []struct {
		name string
		a, b []byte
		want bool
	}{
		{"identical", name(atvOf(cn, asn1.TagUTF8String, "Root")), name(atvOf(cn, asn1.TagUTF8String, "Root")), true},
		{"case folded", name(atvOf(cn, asn1.TagUTF8String, "Root")), name(atvOf(cn, asn1.TagUTF8String, "rOOT")), true},
		{"string types", name(atvOf(cn, asn1.TagPrintableString, "Root CA")), name(atvOf(cn, asn1.TagUTF8String, "Root CA")), true},
		{"whitespace", name(atvOf(cn, asn1.TagUTF8String, "  Root   CA ")), name(atvOf(cn, asn1.TagUTF8String, "Root CA")), true},
		{"different value", name(atvOf(cn, asn1.TagUTF8String, "Root")), name(atvOf(cn, asn1.TagUTF8String, "Root2")), false},
		{"different attribute", name(atvOf(cn, asn1.TagUTF8String, "Root")), name(atvOf(o, asn1.TagUTF8String, "Root")), false},
		{"different order", name(atvOf(cn, 12, "a"), atvOf(o, 12, "b")), name(atvOf(o, 12, "b"), atvOf(cn, 12, "a")), false},
		{"empty names", mustName(t, pkix.RDNSequence{}), mustName(t, pkix.RDNSequence{}), true},
	}
	for _, tc := range tests {
		if got := dnKey(tc.a) == dnKey(tc.b); got != tc.want {
			t.Errorf("%s: equal = %v, want %v", tc.name, got, tc.want)
		}
	}
	base := name(atvOf(o, 12, "Example"))
	within, ok := dnWithin(name(atvOf(o, 12, "EXAMPLE"), atvOf(cn, 12, "x")), base)
	if !ok || !within {
		t.Errorf("dnWithin prefix = %v, %v", within, ok)
	}
	within, _ = dnWithin(name(atvOf(cn, 12, "x")), base)
	if within {
		t.Error("dnWithin matched a name outside the subtree")
	}
	if !dnEmpty(mustName(t, pkix.RDNSequence{})) || dnEmpty(base) {
		t.Error("dnEmpty")
	}
}

func TestParseNameConstraintsSyntax(t *testing.T) {
	t.Parallel()
	dns := func(s string) []byte { return append([]byte{0x82, byte(len(s))}, s...) }
	subtree := func(body ...byte) []byte { return append([]byte{0x30, byte(len(body))}, body...) }
	wrap := func(tag byte, body []byte) []byte { return append([]byte{tag, byte(len(body))}, body...) }
	tests := []struct {
		name    string
		der     []byte
		wantErr bool
	}{
		{"permitted", wrap(0x30, wrap(0xa0, subtree(dns("example.com")...))), false},
		{"excluded", wrap(0x30, wrap(0xa1, subtree(dns("example.com")...))), false},
		{"empty", wrap(0x30, nil), true},
		{"empty permitted list", wrap(0x30, wrap(0xa0, nil)), true},
		{"minimum", wrap(0x30, wrap(0xa0, subtree(append(dns("example.com"), 0x80, 1, 1)...))), true},
		{"maximum", wrap(0x30, wrap(0xa0, subtree(append(dns("example.com"), 0x81, 1, 2)...))), true},
		{"garbage", []byte{1, 2, 3}, true},
	}
	for _, tc := range tests {
		_, err := parseNameConstraints(tc.der)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
		}
	}
}
