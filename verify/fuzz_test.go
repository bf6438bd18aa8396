package verify

import (
	"context"
	"crypto/x509"
	"net"
	"testing"
)

// FuzzVerify feeds arbitrary DER as the leaf against a fixed root and intermediate: parsing
// may fail, verification must never panic.
func FuzzVerify(f *testing.F) {
	h := newHierarchy(f)
	nc := issue(f, spec{cn: "NC CA", ca: true, mod: func(c *x509.Certificate) {
		c.PermittedDNSDomainsCritical = true
		c.PermittedDNSDomains = []string{"example.com"}
		c.ExcludedIPRanges = []*net.IPNet{cidr("10.0.0.0/8")}
	}}, h.root)
	f.Add(h.leaf.cert.Raw)
	f.Add(issue(f, spec{cn: "n", dns: []string{"*.example.com"}, ips: []net.IP{net.ParseIP("10.1.2.3")}, emails: []string{"a@example.com"}}, nc).cert.Raw)
	f.Add(h.inter.cert.Raw)
	f.Add(h.root.cert.Raw)
	f.Add([]byte{0x30, 0x00})
	roots := certs(h.root)
	inters := certs(h.inter, nc)
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		for _, p := range []Profile{RFC5280, WebPKI} {
			r := Verify(context.Background(), c, Options{Roots: roots, Intermediates: inters,
				Host: "www.example.com", Email: "a@example.com", At: t0, Profile: p})
			_ = r.Err()
		}
	})
}

// FuzzParsers exercises the DER readers crypto/x509 does not cover.
func FuzzParsers(f *testing.F) {
	h := newHierarchy(f)
	for _, e := range h.leaf.cert.Extensions {
		f.Add(e.Value)
	}
	f.Add(h.leaf.cert.RawSubject)
	f.Fuzz(func(t *testing.T, b []byte) {
		parseGeneralNames(b)
		parseNameConstraints(b)
		parseAKI(b)
		parseCRLDistributionPoints(b)
		parseIDP(b)
		parseDN(b)
		dnKey(b)
		dnString(b)
	})
}
