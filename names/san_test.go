package names_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/names"
)

func TestParseSANs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		in                  []string
		want                []string // Strings()
		dns, ip, email, uri int
	}{
		{"none", nil, []string{}, 0, 0, 0, 0},
		{"dns lower-cased", []string{"WWW.Example.COM"}, []string{"www.example.com"}, 1, 0, 0, 0},
		{"ipv4", []string{"10.0.0.1"}, []string{"10.0.0.1"}, 0, 1, 0, 0},
		{"ipv6", []string{"2001:DB8::1"}, []string{"2001:db8::1"}, 0, 1, 0, 0},
		{"ipv4-mapped unmapped", []string{"::ffff:10.0.0.1"}, []string{"10.0.0.1"}, 0, 1, 0, 0},
		{"email", []string{"Admin@Example.COM"}, []string{"Admin@example.com"}, 0, 0, 1, 0},
		{"spiffe uri", []string{"spiffe://example.org/ns/x/sa/y"}, []string{"spiffe://example.org/ns/x/sa/y"}, 0, 0, 0, 1},
		{"urn", []string{"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"}, []string{"urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"}, 0, 0, 0, 1},
		{"uri scheme lower-cased", []string{"HTTPS://example.com/x"}, []string{"https://example.com/x"}, 0, 0, 0, 1},
		{"idn", []string{"Bücher.example"}, []string{"xn--bcher-kva.example"}, 1, 0, 0, 0},
		{"idn 2008 sharp s", []string{"faß.de"}, []string{"xn--fa-hia.de"}, 1, 0, 0, 0},
		{"wildcard", []string{"*.example.com"}, []string{"*.example.com"}, 1, 0, 0, 0},
		{"idn wildcard", []string{"*.bücher.example"}, []string{"*.xn--bcher-kva.example"}, 1, 0, 0, 0},
		{"idn email domain", []string{"a@bücher.example"}, []string{"a@xn--bcher-kva.example"}, 0, 0, 1, 0},
		{"single label", []string{"localhost"}, []string{"localhost"}, 1, 0, 0, 0},
		{"spaces trimmed", []string{"  a.example \t"}, []string{"a.example"}, 1, 0, 0, 0},
		{"prefixes", []string{"DNS:a.example", "IP:10.0.0.1", "email:a@b.example", "URI:spiffe://x/y"},
			[]string{"a.example", "10.0.0.1", "a@b.example", "spiffe://x/y"}, 1, 1, 1, 1},
		{"prefixes any case", []string{"dns:a.example", "ip:::1", "EMAIL:a@b.example", "uri:urn:x:y"},
			[]string{"a.example", "::1", "a@b.example", "urn:x:y"}, 1, 1, 1, 1},
		{"prefix overrides guess", []string{"URI:mailto:a@b.example"}, []string{"mailto:a@b.example"}, 0, 0, 0, 1},
		{"grouped by kind", []string{"spiffe://x/y", "a@b.example", "10.0.0.1", "a.example"},
			[]string{"a.example", "10.0.0.1", "a@b.example", "spiffe://x/y"}, 1, 1, 1, 1},
		{"duplicates dropped", []string{"a.example", "A.EXAMPLE", "DNS:a.example", "10.0.0.1", "::ffff:10.0.0.1", "b.example", "a@x.example", "a@X.example"},
			[]string{"a.example", "b.example", "10.0.0.1", "a@x.example"}, 2, 1, 1, 0},
		{"local part case kept", []string{"A@x.example", "a@x.example"}, []string{"A@x.example", "a@x.example"}, 0, 0, 2, 0},
		{"atext local part", []string{"a.b+c!#$%&'*/=?^_`{|}~-@x.example"}, []string{"a.b+c!#$%&'*/=?^_`{|}~-@x.example"}, 0, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := names.ParseSANs(tc.in)
			if err != nil {
				t.Fatalf("ParseSANs(%q): %v", tc.in, err)
			}
			if got := s.Strings(); !slices.Equal(got, tc.want) {
				t.Errorf("ParseSANs(%q).Strings() = %q; want %q", tc.in, got, tc.want)
			}
			if len(s.DNS) != tc.dns || len(s.IP) != tc.ip || len(s.Email) != tc.email || len(s.URI) != tc.uri {
				t.Errorf("ParseSANs(%q) = %d DNS, %d IP, %d email, %d URI; want %d, %d, %d, %d", tc.in,
					len(s.DNS), len(s.IP), len(s.Email), len(s.URI), tc.dns, tc.ip, tc.email, tc.uri)
			}
			if s.Len() != len(tc.want) {
				t.Errorf("Len() = %d; want %d", s.Len(), len(tc.want))
			}
		})
	}
}

func TestParseSANsIPLength(t *testing.T) {
	t.Parallel()
	s, err := names.ParseSANs([]string{"10.0.0.1", "::1", "::ffff:10.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	// crypto/x509 writes the slice as it is: an IPv4 address must be 4 bytes (RFC 5280 §4.2.1.6).
	for i, want := range []int{4, 16, 4} {
		if len(s.IP[i]) != want {
			t.Errorf("IP %v has %d bytes; want %d", s.IP[i], len(s.IP[i]), want)
		}
	}
}

func TestParseSANsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"space", "foo bar", `names: "foo bar" is not a DNS name, IP address, email address or URI: label "foo bar" contains ' ' (only letters, digits and hyphens are allowed)`},
		{"empty", "", `names: empty name`},
		{"empty after prefix", "DNS:", `names: empty DNS name`},
		{"underscore", "_acme.example", `names: "_acme.example" is not a DNS name, IP address, email address or URI: label "_acme" contains '_' (only letters, digits and hyphens are allowed)`},
		{"bad ip", "10.0.0.256", `names: "10.0.0.256" is not a DNS name, IP address, email address or URI: the last label is all-numeric (a mistyped IP address?)`},
		{"explicit bad ip", "IP:10.0.0", `names: "10.0.0" is not an IP address`},
		{"ip with zone", "fe80::1%eth0", `names: IP address "fe80::1%eth0" has a zone, which no certificate can carry`},
		{"explicit bad dns", "DNS:a..b", `names: DNS name "a..b": empty label`},
		{"trailing dot", "example.com.", `names: "example.com." is not a DNS name, IP address, email address or URI: trailing dot (write the name without it)`},
		{"bare wildcard tld", "*.com", `names: "*.com" is not a DNS name, IP address, email address or URI: a wildcard needs at least two labels after it`},
		{"partial wildcard", "a*.example.com", `names: "a*.example.com" is not a DNS name, IP address, email address or URI: a wildcard may only be the entire leftmost label`},
		{"idn disallowed", "a☃\u200d.example", `names: "a☃\u200d.example" is not a DNS name, IP address, email address or URI: not a valid internationalised domain name: idna: invalid label "a☃\u200d"`},
		{"email no local", "@x.example", `names: email address "@x.example": empty local part`},
		{"email no domain", "a@", `names: email address "a@": empty domain`},
		{"email double dot", "a..b@x.example", `names: email address "a..b@x.example": local part has a leading, trailing or doubled dot (RFC 5321 §4.1.2 Dot-string)`},
		{"email bad char", "a,b@x.example", `names: email address "a,b@x.example": ',' is not allowed in a local part (RFC 5322 §3.2.3 atext)`},
		{"email quoted", `"a b"@x.example`, `names: email address "\"a b\"@x.example": quoted local parts are not supported`},
		{"email utf8 local", "é@x.example", `names: email address "é@x.example": non-ASCII local part (needs SmtpUTF8Mailbox, RFC 9598, not supported)`},
		{"email bad domain", "a@x..example", `names: email address "a@x..example": empty label`},
		{"email wildcard domain", "a@*.example.com", `names: email address "a@*.example.com": wildcard domain`},
		{"email literal", "a@[10.0.0.1]", `names: email address "a@[10.0.0.1]": address literals are not supported`},
		{"email long local", strings.Repeat("a", 65) + "@x.example", `names: email address "` + strings.Repeat("a", 65) + `@x.example": local part is 65 octets, over the limit of 64 (RFC 5321 §4.5.3.1.1)`},
		{"uri relative", "URI:/just/a/path", `names: URI "/just/a/path": no scheme (RFC 5280 §4.2.1.6 requires an absolute URI)`},
		{"uri empty after scheme", "URI:https:", `names: URI "https:": nothing after the scheme`},
		{"uri non-ascii", "https://bücher.example/", `names: URI "https://bücher.example/": contains non-ASCII characters (percent-encode them; RFC 3987 §3.1)`},
		{"uri bad host", "https://a..example/", `names: URI "https://a..example/": host "a..example" has an empty label or a trailing dot`},
		{"uri not normal", "https://x.example/a b", `names: URI "https://x.example/a b": is not in normal form (did you mean "https://x.example/a%20b"?)`},
		{"uri unparsable", "https://x.example:port/", `names: URI "https://x.example:port/": invalid port ":port" after host`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := names.ParseSANs([]string{"ok.example", tc.in})
			if err == nil {
				t.Fatalf("ParseSANs(%q) = %q; want an error", tc.in, s.Strings())
			}
			if !errors.Is(err, names.ErrInvalidName) {
				t.Errorf("ParseSANs(%q) error %v does not wrap ErrInvalidName", tc.in, err)
			}
			if err.Error() != tc.want {
				t.Errorf("ParseSANs(%q) error:\n got %s\nwant %s", tc.in, err, tc.want)
			}
			if s.Len() != 0 {
				t.Errorf("ParseSANs(%q) returned %d names with its error", tc.in, s.Len())
			}
		})
	}
}

// FuzzParseSANs checks that no input panics, every error wraps ErrInvalidName, and the
// normalised output parses back to itself.
func FuzzParseSANs(f *testing.F) {
	for _, s := range []string{
		"example.com", "*.example.com", "10.0.0.1", "::1", "a@b.example", "spiffe://x/y",
		"urn:uuid:1", "DNS:x", "IP:::ffff:1.2.3.4", "email:a@b", "URI:https://x/", "bücher.example",
		"xn--bcher-kva.example", "foo bar", "a@[1.2.3.4]", "*.xn--zz.com", "HTTPS://X/%41",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		s, err := names.ParseSANs([]string{v})
		if err != nil {
			if !errors.Is(err, names.ErrInvalidName) {
				t.Fatalf("ParseSANs(%q): error %v does not wrap ErrInvalidName", v, err)
			}
			return
		}
		out := s.Strings()
		// Re-parse with explicit prefixes: "URI:mailto:a@b" has no other unambiguous spelling.
		var prefixed []string
		for _, d := range s.DNS {
			prefixed = append(prefixed, "DNS:"+d)
		}
		for _, ip := range s.IP {
			prefixed = append(prefixed, "IP:"+ip.String())
		}
		for _, e := range s.Email {
			prefixed = append(prefixed, "email:"+e)
		}
		for _, u := range s.URI {
			prefixed = append(prefixed, "URI:"+u.String())
		}
		again, err := names.ParseSANs(prefixed)
		if err != nil {
			t.Fatalf("ParseSANs(%q) gave %q, which does not parse: %v", v, out, err)
		}
		if got := again.Strings(); !slices.Equal(got, out) {
			t.Fatalf("ParseSANs(%q) gave %q, which parses as %q", v, out, got)
		}
		for _, d := range s.DNS {
			if err := names.ValidateDNSName(d); err != nil {
				t.Fatalf("ParseSANs(%q) returned DNS name %q that fails validation: %v", v, d, err)
			}
		}
	})
}

func TestPrefixedRoundTrips(t *testing.T) {
	in := []string{"DNS:example.com", "IP:10.0.0.1", "IP:2001:db8::1", "email:a@example.com", "URI:spiffe://example.org/svc"}
	s, err := names.ParseSANs(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Prefixed(); !slices.Equal(got, in) {
		t.Fatalf("Prefixed() = %v, want %v", got, in)
	}
	if got := (names.SANs{}).Prefixed(); got == nil || len(got) != 0 {
		t.Fatalf("empty SANs: %#v, want an empty, non-nil list", got)
	}
}
