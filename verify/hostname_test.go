package verify

import (
	"context"
	"crypto/x509/pkix"
	"testing"
)

func TestMatchHostname(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern, host string
		want          bool
	}{
		{"www.example.com", "www.example.com", true},
		{"WWW.Example.COM", "www.example.com", true},
		{"www.example.com.", "www.example.com", true},
		{"www.example.com", "example.com", false},
		{"*.example.com", "foo.example.com", true},
		{"*.example.com", "example.com", false},         // not the bare domain
		{"*.example.com", "foo.bar.example.com", false}, // one label only
		{"f*.example.com", "foo.example.com", false},    // no partial labels
		{"*o.example.com", "foo.example.com", false},
		{"foo.*.example.com", "foo.bar.example.com", false}, // left-most only
		{"*.*.example.com", "a.b.example.com", false},
		{"xn--*-1b3c148a.example.com", "xn--bliss-1b3c148a.example.com", false},
		{"*.com", "example.com", false}, // needs two labels after the wildcard
		{"*", "localhost", false},
		{"", "example.com", false},
		{"*.example.com", "*.example.com", false},
	}
	for _, tc := range tests {
		host := tc.host
		if got := validHostname(host) && matchHostname(tc.pattern, host); got != tc.want {
			t.Errorf("matchHostname(%q, %q) = %v, want %v", tc.pattern, tc.host, got, tc.want)
		}
	}
}

func TestHostnameRules(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	wild := issue(t, spec{cn: "*.example.com", dns: []string{"*.example.com"}}, h.inter)
	cnOnly := issue(t, spec{cn: "cn.example.com", noSAN: true}, h.inter)
	cnAndSAN := issue(t, spec{cn: "cn.example.com", dns: []string{"san.example.com"}}, h.inter)
	tests := []struct {
		name    string
		leaf    *node
		host    string
		profile Profile
		legacy  bool
		want    bool
	}{
		{"wildcard matches one label", wild, "foo.example.com", "", false, true},
		{"wildcard does not match the bare domain", wild, "example.com", "", false, false},
		{"wildcard does not match two labels", wild, "a.b.example.com", "", false, false},
		{"wildcard does not match an IP host", wild, "192.0.2.1", "", false, false},
		{"trailing dot and case are ignored", wild, "FOO.Example.com.", "", false, true},
		{"CN ignored when a SAN exists", cnAndSAN, "cn.example.com", "", true, false},
		{"SAN used when CN differs", cnAndSAN, "san.example.com", "", false, true},
		{"CN never used by default", cnOnly, "cn.example.com", "", false, false},
		{"legacy CN fallback without SAN", cnOnly, "cn.example.com", RFC5280, true, true},
		{"no CN fallback under webpki", cnOnly, "cn.example.com", WebPKI, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := h.opts()
			o.Host, o.Profile, o.LegacyCommonName = tc.host, tc.profile, tc.legacy
			r := Verify(context.Background(), tc.leaf.cert, o)
			_, failed := findCheck(r, CheckHostname, Fail)
			if failed == tc.want {
				t.Fatalf("hostname check failed=%v, want match=%v\n%s", failed, tc.want, dump(r))
			}
		})
	}
}

func TestEmail(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{cn: "Alice", emails: []string{"alice@Example.com"}, eku: nil}, h.inter)
	for _, tc := range []struct {
		email string
		want  bool
	}{
		{"alice@example.com", true}, {"alice@EXAMPLE.COM", true}, {"Alice@example.com", false},
		{"bob@example.com", false}, {"not-a-mailbox", false},
	} {
		o := h.opts()
		o.Host, o.Email = "", tc.email
		r := Verify(context.Background(), leaf.cert, o)
		if r.Valid != tc.want {
			t.Errorf("email %q: Valid = %v, want %v\n%s", tc.email, r.Valid, tc.want, dump(r))
		}
	}
}

func TestEmptySubjectNeedsCriticalSAN(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{subject: &pkix.Name{}}, h.inter) // x509 marks the SAN critical itself
	run(t, leaf, h.opts(), true, "")
}
