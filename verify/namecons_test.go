package verify

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"testing"
)

func cidr(s string) *net.IPNet {
	_, n, err := net.ParseCIDR(s)
	if err != nil {
		panic(err)
	}
	return n
}

func TestNameConstraints(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	constrained := func(mod func(*x509.Certificate)) *node {
		return issue(t, spec{cn: "Constrained CA", ca: true, mod: func(c *x509.Certificate) {
			c.PermittedDNSDomainsCritical = true
			mod(c)
		}}, root)
	}
	permitDNS := constrained(func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} })
	excludeDNS := constrained(func(c *x509.Certificate) { c.ExcludedDNSDomains = []string{"secret.example.com"} })
	permitIP := constrained(func(c *x509.Certificate) { c.PermittedIPRanges = []*net.IPNet{cidr("192.0.2.0/24")} })
	excludeIP := constrained(func(c *x509.Certificate) { c.ExcludedIPRanges = []*net.IPNet{cidr("2001:db8::/32")} })
	permitEmail := constrained(func(c *x509.Certificate) { c.PermittedEmailAddresses = []string{"example.com"} })
	excludeEmail := constrained(func(c *x509.Certificate) { c.ExcludedEmailAddresses = []string{"boss@example.com"} })
	permitURI := constrained(func(c *x509.Certificate) { c.PermittedURIDomains = []string{".example.com"} })
	leadingDot := constrained(func(c *x509.Certificate) { c.PermittedDNSDomains = []string{".example.com"} })
	nonCritical := issue(t, spec{cn: "Lax CA", ca: true, mod: func(c *x509.Certificate) {
		c.PermittedDNSDomains = []string{"example.com"}
	}}, root)
	uri := func(s string) []*url.URL { u, _ := url.Parse(s); return []*url.URL{u} }
	tests := []struct {
		name    string
		ca      *node
		leaf    spec
		profile Profile
		want    bool
	}{
		{"permitted DNS", permitDNS, spec{dns: []string{"www.example.com", "example.com"}}, "", true},
		{"outside permitted DNS", permitDNS, spec{dns: []string{"www.example.com", "www.example.org"}}, "", false},
		{"label boundary: notexample.com", permitDNS, spec{dns: []string{"notexample.com"}}, "", false},
		{"permitted wildcard", permitDNS, spec{dns: []string{"*.example.com"}}, "", true},
		{"excluded DNS", excludeDNS, spec{dns: []string{"a.secret.example.com"}}, "", false},
		{"wildcard covering an excluded name", excludeDNS, spec{dns: []string{"*.example.com"}}, "", false},
		{"next to an excluded name", excludeDNS, spec{dns: []string{"public.example.com"}}, "", true},
		{"permitted IP", permitIP, spec{ips: []net.IP{net.ParseIP("192.0.2.7")}}, "", true},
		{"outside permitted IP", permitIP, spec{ips: []net.IP{net.ParseIP("198.51.100.7")}}, "", false},
		{"IPv6 is another form than an IPv4 range", permitIP, spec{ips: []net.IP{net.ParseIP("2001:db8::1")}}, "", false},
		{"IP constraint does not restrict DNS names", permitIP, spec{dns: []string{"www.example.org"}}, "", true},
		{"excluded IPv6", excludeIP, spec{ips: []net.IP{net.ParseIP("2001:db8::5")}}, "", false},
		{"permitted email domain", permitEmail, spec{emails: []string{"alice@example.com"}}, "", true},
		{"outside permitted email domain", permitEmail, spec{emails: []string{"alice@example.org"}}, "", false},
		{"excluded mailbox", excludeEmail, spec{emails: []string{"boss@example.com"}}, "", false},
		{"other mailbox", excludeEmail, spec{emails: []string{"intern@example.com"}}, "", true},
		{"permitted URI domain", permitURI, spec{dns: []string{"www.example.com"}, mod: func(c *x509.Certificate) { c.URIs = uri("https://api.example.com/x") }}, "", true},
		{"outside permitted URI domain", permitURI, spec{mod: func(c *x509.Certificate) { c.URIs = uri("https://api.example.org/x") }}, "", false},
		{"leading-period dNSName constraint is malformed", leadingDot, spec{dns: []string{"www.example.com"}}, "", false},
		{"non-critical constraints under rfc5280", nonCritical, spec{dns: []string{"www.example.com"}}, RFC5280, false},
		{"non-critical constraints under webpki", nonCritical, spec{cn: "www.example.com", dns: []string{"www.example.com"}}, WebPKI, true},
		{"CN is not constrained when a SAN exists", permitDNS, spec{cn: "www.example.org", dns: []string{"www.example.com"}}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.leaf
			if s.cn == "" {
				s.cn = "leaf"
			}
			leaf := issue(t, s, tc.ca)
			o := Options{Roots: certs(root), Intermediates: certs(tc.ca), At: t0, Profile: tc.profile}
			var wantFail string
			if !tc.want && tc.name != "non-critical constraints under rfc5280" {
				wantFail = CheckNameConstraints
			}
			run(t, leaf, o, tc.want, wantFail)
		})
	}
}

func TestNameConstraintsOnTrustAnchorAndSelfIssued(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true, mod: func(c *x509.Certificate) {
		c.PermittedDNSDomainsCritical = true
		c.PermittedDNSDomains = []string{"example.com"}
	}}, nil)
	// A self-issued intermediate is exempt (RFC 5280 §6.1.4(g)); its SAN is outside the
	// constraint.
	selfIssued := issue(t, spec{cn: "Root", ca: true, dns: []string{"root.example.org"},
		mod: func(c *x509.Certificate) { c.AuthorityKeyId = root.cert.SubjectKeyId }}, root)
	good := issue(t, spec{cn: "leaf", dns: []string{"www.example.com"}}, selfIssued)
	bad := issue(t, spec{cn: "leaf", dns: []string{"www.example.org"}}, selfIssued)
	o := Options{Roots: certs(root), Intermediates: certs(selfIssued), At: t0}
	run(t, good, o, true, "")
	run(t, bad, o, false, CheckNameConstraints)
}

func TestDirectoryNameConstraints(t *testing.T) {
	t.Parallel()
	permitted, _ := asn1.Marshal(pkix.Name{Organization: []string{"Example"}}.ToRDNSequence())
	nc := encodeNC(t, permitted)
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	ca := issue(t, spec{subject: &pkix.Name{Organization: []string{"Example"}, CommonName: "CA"}, ca: true,
		extra: []pkix.Extension{{Id: oidNameConstraints, Critical: true, Value: nc}}}, root)
	in := issue(t, spec{subject: &pkix.Name{Organization: []string{"EXAMPLE"}, CommonName: "in"}}, ca)
	out := issue(t, spec{subject: &pkix.Name{Organization: []string{"Other"}, CommonName: "out"}}, ca)
	o := Options{Roots: certs(root), Intermediates: certs(ca), At: t0}
	run(t, in, o, true, "")
	run(t, out, o, false, CheckNameConstraints)
}

// encodeNC builds NameConstraints with one permitted directoryName subtree.
func encodeNC(t *testing.T, name []byte) []byte {
	t.Helper()
	subtree, err := asn1.Marshal(struct {
		Base asn1.RawValue
	}{asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name}})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := asn1.Marshal(struct {
		Permitted asn1.RawValue `asn1:"tag:0"`
	}{asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: subtree}})
	if err != nil {
		t.Fatal(err)
	}
	return nc
}

func TestNameConstraintsInLeaf(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{cn: "leaf", mod: func(c *x509.Certificate) {
		c.PermittedDNSDomainsCritical = true
		c.PermittedDNSDomains = []string{"example.com"}
	}}, h.inter)
	r := Verify(context.Background(), leaf.cert, h.opts())
	if r.Valid {
		t.Fatalf("name constraints in an end-entity certificate must fail\n%s", dump(r))
	}
}
