package apitoken_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/anchorpki/anchor/apitoken"
)

func TestNameAllowed(t *testing.T) {
	t.Parallel()
	svc := []string{"*.svc.internal"}
	tests := []struct {
		name     string
		patterns []string
		in       string
		want     bool
	}{
		{"no patterns allow anything", nil, "www.example.com", true},
		{"wildcard: one label below", svc, "a.svc.internal", true},
		{"wildcard: any depth", svc, "a.b.c.svc.internal", true},
		{"wildcard: the wildcard itself", svc, "*.svc.internal", true},
		{"wildcard: a deeper wildcard", svc, "*.a.svc.internal", true},
		{"wildcard: not the apex", svc, "svc.internal", false},
		{"wildcard: not a look-alike", svc, "evilsvc.internal", false},
		{"wildcard: not a suffix trick", svc, "a.svc.internal.evil.com", false},
		{"wildcard: case-insensitive", svc, "A.SVC.Internal", true},
		{"wildcard: trailing dot", svc, "a.svc.internal.", true},
		{"wildcard: elsewhere", svc, "www.example.com", false},
		{"exact DNS", []string{"api.example.com"}, "api.example.com", true},
		{"exact DNS: case", []string{"API.example.com"}, "api.EXAMPLE.com", true},
		{"exact DNS: trailing dots", []string{"api.example.com."}, "api.example.com", true},
		{"exact DNS: not below", []string{"example.com"}, "a.example.com", false},
		{"exact DNS: not the wildcard", []string{"example.com"}, "*.example.com", false},
		{"exact pattern does not match a wildcard below it", []string{"a.example.com"}, "*.a.example.com", false},
		{"CIDR v4 inside", []string{"10.0.0.0/8"}, "10.1.2.3", true},
		{"CIDR v4 outside", []string{"10.0.0.0/8"}, "11.0.0.1", false},
		{"CIDR v4 mapped name", []string{"10.0.0.0/8"}, "::ffff:10.0.0.1", true},
		{"CIDR v4 in mapped form", []string{"::ffff:10.0.0.0/104"}, "10.0.0.1", true},
		{"CIDR v6 inside", []string{"fd00::/8"}, "fd12::1", true},
		{"CIDR v6 outside", []string{"fd00::/8"}, "2001:db8::1", false},
		{"CIDR does not match v4 for v6", []string{"::/0"}, "10.0.0.1", false},
		{"exact IP", []string{"192.0.2.7"}, "192.0.2.7", true},
		{"exact IP: other", []string{"192.0.2.7"}, "192.0.2.8", false},
		{"exact IPv6: other spelling", []string{"2001:db8::1"}, "2001:0db8:0:0::1", true},
		{"IP never matches a DNS pattern", []string{"*.0.0.1"}, "10.0.0.1", false},
		{"DNS name never matches a CIDR", []string{"10.0.0.0/8"}, "10.example", false},
		{"email exact", []string{"ops@svc.internal"}, "ops@svc.internal", true},
		{"email not via a DNS wildcard", svc, "ops@a.svc.internal", false},
		{"email not via its domain", []string{"svc.internal"}, "ops@svc.internal", false},
		{"email case is exact", []string{"ops@svc.internal"}, "OPS@svc.internal", false},
		{"URI exact", []string{"spiffe://svc.internal/api"}, "spiffe://svc.internal/api", true},
		{"URI not via a DNS wildcard", []string{"*.svc.internal"}, "spiffe://a.svc.internal/api", false},
		{"URI other path", []string{"spiffe://svc.internal/api"}, "spiffe://svc.internal/db", false},
		{"one of several", []string{"10.0.0.0/8", "*.svc.internal", "ops@x"}, "db.svc.internal", true},
		{"empty name", svc, "", false},
		{"garbage pattern", []string{"10.0.0.0/99", ""}, "10.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := apitoken.NameAllowed(tc.patterns, tc.in); got != tc.want {
				t.Fatalf("NameAllowed(%q, %q) = %v; want %v", tc.patterns, tc.in, got, tc.want)
			}
		})
	}
}

func TestParsePatterns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"*.svc.internal", "*.svc.internal", false},
		{"*.SVC.Internal.", "*.svc.internal", false},
		{"*.internal", "*.internal", false},
		{" api.example.com ", "api.example.com", false},
		{"*.bücher.example", "*.xn--bcher-kva.example", false},
		{"10.1.2.3/8", "10.0.0.0/8", false},
		{"fd00::1/8", "fd00::/8", false},
		{"::ffff:10.0.0.1", "10.0.0.1", false},
		{"ops@svc.internal", "ops@svc.internal", false},
		{"spiffe://svc.internal/api", "spiffe://svc.internal/api", false},
		{"", "", true},
		{"*", "", true},
		{"a.*.example", "", true},
		{"*.*.example", "", true},
		{"foo*.example", "", true},
		{"-bad.example", "", true},
		{"10.0.0.0/33", "", true},
		{"fe80::1%eth0", "", true},
		{"a b@example", "", true},
	}
	for _, tc := range tests {
		got, err := apitoken.ParsePatterns([]string{tc.in})
		if tc.wantErr {
			if !errors.Is(err, apitoken.ErrBadPattern) {
				t.Errorf("ParsePatterns(%q) = %q, %v; want ErrBadPattern", tc.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, []string{tc.want}) {
			t.Errorf("ParsePatterns(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// A normalised pattern still matches what the operator meant.
func TestParsedPatternsMatch(t *testing.T) {
	t.Parallel()
	p, err := apitoken.ParsePatterns([]string{"*.Bücher.example", "10.9.8.7/16"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"shop.xn--bcher-kva.example", "10.9.200.1"} {
		if !apitoken.NameAllowed(p, n) {
			t.Errorf("%q does not allow %q", p, n)
		}
	}
}
