package acme_test

import (
	"strings"
	"testing"

	"github.com/anchorpki/anchor/acme"
)

func TestParseIdentifier(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		typ     string
		value   string
		wantErr acme.ProblemType
		detail  string // substring of the detail when wantErr is set
	}{
		{"dns", "dns", "www.example.org", "", ""},
		{"dns wildcard", "dns", "*.example.org", "", ""},
		{"dns A-label", "dns", "xn--mnchen-3ya.de", "", ""},
		{"dns single label", "dns", "localhost", "", ""},
		{"ipv4", "ip", "192.0.2.1", "", ""},
		{"ipv6 RFC 5952", "ip", "2001:db8::1", "", ""},
		{"unknown type", "email", "a@example.org", acme.ProblemUnsupportedIdentifier, `"email"`},
		{"type is case-sensitive", "DNS", "example.org", acme.ProblemUnsupportedIdentifier, `"DNS"`},
		{"dns empty", "dns", "", acme.ProblemMalformed, "empty"},
		{"dns upper case", "dns", "WWW.Example.org", acme.ProblemMalformed, `send "www.example.org"`},
		{"dns trailing dot", "dns", "example.org.", acme.ProblemMalformed, `send "example.org"`},
		{"dns U-label", "dns", "münchen.de", acme.ProblemMalformed, `send "xn--mnchen-3ya.de"`},
		{"dns underscore", "dns", "_example.org", acme.ProblemRejectedIdentifier, `"_example.org"`},
		{"dns inner wildcard", "dns", "a.*.example.org", acme.ProblemRejectedIdentifier, "wildcard"},
		{"dns partial wildcard", "dns", "a*.example.org", acme.ProblemRejectedIdentifier, "wildcard"},
		{"dns wildcard on tld", "dns", "*.org", acme.ProblemRejectedIdentifier, "wildcard"},
		{"dns bad A-label", "dns", "xn--zz.example", acme.ProblemRejectedIdentifier, "A-label"},
		{"dns empty label", "dns", "a..example", acme.ProblemRejectedIdentifier, "empty label"},
		{"dns that is an address", "dns", "192.0.2.1", acme.ProblemRejectedIdentifier, "all-numeric"},
		{"dns just a dot", "dns", ".", acme.ProblemRejectedIdentifier, `"."`},
		{"ip empty", "ip", "", acme.ProblemMalformed, "empty"},
		{"ip not an address", "ip", "example.org", acme.ProblemRejectedIdentifier, `"example.org"`},
		{"ip with port", "ip", "192.0.2.1:443", acme.ProblemRejectedIdentifier, `"192.0.2.1:443"`},
		{"ip wildcard", "ip", "*.0.2.1", acme.ProblemRejectedIdentifier, `"*.0.2.1"`},
		{"ip brackets", "ip", "[2001:db8::1]", acme.ProblemRejectedIdentifier, `"[2001:db8::1]"`},
		{"ipv6 upper case", "ip", "2001:DB8::1", acme.ProblemMalformed, `send "2001:db8::1"`},
		{"ipv6 uncompressed", "ip", "2001:db8:0:0:0:0:0:1", acme.ProblemMalformed, `send "2001:db8::1"`},
		{"ipv6 leading zeros", "ip", "2001:0db8::1", acme.ProblemMalformed, `send "2001:db8::1"`},
		{"ipv6 zone", "ip", "fe80::1%eth0", acme.ProblemRejectedIdentifier, "zone"},
		{"ipv4-mapped", "ip", "::ffff:192.0.2.1", acme.ProblemRejectedIdentifier, `request "192.0.2.1"`},
		{"ipv4 leading zero", "ip", "192.0.2.01", acme.ProblemRejectedIdentifier, `"192.0.2.01"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := acme.ParseIdentifier(tc.typ, tc.value)
			if problemType(err) != tc.wantErr {
				t.Fatalf("ParseIdentifier(%q, %q) = %v, %v; want error type %q", tc.typ, tc.value, got, err, tc.wantErr)
			}
			if tc.wantErr == "" {
				if got != (acme.Identifier{Type: tc.typ, Value: tc.value}) {
					t.Fatalf("ParseIdentifier(%q, %q) = %v", tc.typ, tc.value, got)
				}
				return
			}
			p := acme.ProblemFrom(err)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q does not contain %q", p.Detail, tc.detail)
			}
			if p.Identifier == nil || *p.Identifier != (acme.Identifier{Type: tc.typ, Value: tc.value}) {
				t.Fatalf("problem names identifier %v, want %s %q", p.Identifier, tc.typ, tc.value)
			}
		})
	}
}

func TestIdentifierFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    acme.Identifier
		wantErr acme.ProblemType
	}{
		{"Example.ORG.", acme.Identifier{Type: "dns", Value: "example.org"}, ""},
		{"*.Example.org", acme.Identifier{Type: "dns", Value: "*.example.org"}, ""},
		{"München.de", acme.Identifier{Type: "dns", Value: "xn--mnchen-3ya.de"}, ""},
		{"2001:DB8:0::1", acme.Identifier{Type: "ip", Value: "2001:db8::1"}, ""},
		{"::ffff:192.0.2.1", acme.Identifier{Type: "ip", Value: "192.0.2.1"}, ""},
		{"192.0.2.1", acme.Identifier{Type: "ip", Value: "192.0.2.1"}, ""},
		{"fe80::1%eth0", acme.Identifier{}, acme.ProblemRejectedIdentifier},
		{"a_b.example", acme.Identifier{}, acme.ProblemRejectedIdentifier},
		{"", acme.Identifier{}, acme.ProblemRejectedIdentifier},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := acme.IdentifierFor(tc.in)
			if got != tc.want || problemType(err) != tc.wantErr {
				t.Fatalf("IdentifierFor(%q) = %v, %v; want %v, %q", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err == nil {
				if err := got.Validate(); err != nil {
					t.Fatalf("the server would reject %v: %v", got, err)
				}
			}
		})
	}
}

func TestIdentifierAuthorization(t *testing.T) {
	t.Parallel()
	base, wild := acme.Identifier{Type: "dns", Value: "*.example.org"}.Authorization()
	if base != (acme.Identifier{Type: "dns", Value: "example.org"}) || !wild {
		t.Fatalf("wildcard authorization = %v, %v", base, wild)
	}
	ip := acme.Identifier{Type: "ip", Value: "192.0.2.1"}
	if got, wild := ip.Authorization(); got != ip || wild {
		t.Fatalf("ip authorization = %v, %v", got, wild)
	}
}

func TestValidateIdentifiers(t *testing.T) {
	t.Parallel()
	dns := func(v string) acme.Identifier { return acme.Identifier{Type: "dns", Value: v} }
	if err := acme.ValidateIdentifiers([]acme.Identifier{dns("example.org"), dns("*.example.org"), {Type: "ip", Value: "::1"}}); err != nil {
		t.Fatalf("valid order: %v", err)
	}
	wantMalformed(t, acme.ValidateIdentifiers(nil))
	if got := problemType(acme.ValidateIdentifiers([]acme.Identifier{dns("_x.example")})); got != acme.ProblemRejectedIdentifier {
		t.Fatalf("one bad identifier: type %q, want it unwrapped as rejectedIdentifier", got)
	}
	err := acme.ValidateIdentifiers([]acme.Identifier{dns("ok.example"), dns("_x.example"), dns("ok.example"), {Type: "uri", Value: "u"}})
	p := acme.ProblemFrom(err)
	if p.Type != acme.ProblemCompound || len(p.Subproblems) != 3 {
		t.Fatalf("three bad identifiers: %+v", p)
	}
	wantSubs := []struct {
		typ   acme.ProblemType
		value string
	}{{acme.ProblemRejectedIdentifier, "_x.example"}, {acme.ProblemMalformed, "ok.example"}, {acme.ProblemUnsupportedIdentifier, "u"}}
	for i, w := range wantSubs {
		s := p.Subproblems[i]
		if s.Type != w.typ || s.Identifier == nil || s.Identifier.Value != w.value {
			t.Errorf("subproblem %d = %+v, want %s for %q", i, s, w.typ, w.value)
		}
	}
}

func FuzzParseIdentifier(f *testing.F) {
	for _, s := range []string{"example.org", "*.Example.org.", "münchen.de", "2001:db8::1", "::ffff:1.2.3.4", "fe80::1%x", "xn--zz"} {
		f.Add("dns", s)
		f.Add("ip", s)
	}
	f.Fuzz(func(t *testing.T, typ, value string) {
		id, err := acme.ParseIdentifier(typ, value)
		if err != nil {
			if p := acme.ProblemFrom(err); p.Type == acme.ProblemServerInternal || p.Identifier == nil {
				t.Fatalf("ParseIdentifier(%q, %q) = %v", typ, value, err)
			}
			return
		}
		// Accepted identifiers are canonical: what a client normalises them to is themselves.
		if norm, err := acme.IdentifierFor(id.Value); err != nil || norm != id {
			t.Fatalf("accepted %v but IdentifierFor gives %v, %v", id, norm, err)
		}
	})
}
