package verify

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

func TestWebPKIRules(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Inter", ca: true}, root)
	rootWithEKU := issue(t, spec{cn: "EKU Root", ca: true, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, nil)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(s spec) *node {
		if s.cn == "" {
			s.cn = "www.example.com"
		}
		return issue(t, s, inter)
	}
	tests := []struct {
		name string
		leaf *node
		rule string // "" = valid
	}{
		{"conforming", leaf(spec{}), ""},
		{"no SAN", leaf(spec{noSAN: true}), "webpki:leaf_san"},
		{"398 days is the limit", leaf(spec{notBefore: t0.AddDate(0, 0, -30), notAfter: t0.AddDate(0, 0, -30).Add(398*24*time.Hour - time.Second)}), ""},
		{"399 days", leaf(spec{notBefore: t0.AddDate(0, 0, -30), notAfter: t0.AddDate(0, 0, 369)}), "webpki:validity_period"},
		{"201 days issued after SC-081", leaf(spec{notBefore: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), notAfter: time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)}), "webpki:validity_period"},
		{"no EKU", leaf(spec{mod: func(c *x509.Certificate) { c.ExtKeyUsage = nil }}), "webpki:leaf_eku"},
		{"anyExtendedKeyUsage", leaf(spec{eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageAny}}), "webpki:leaf_eku"},
		{"codeSigning with serverAuth", leaf(spec{eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageCodeSigning}}), "webpki:leaf_eku"},
		{"serverAuth and clientAuth", leaf(spec{eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}), ""},
		{"CA as leaf", leaf(spec{ca: true, dns: []string{"www.example.com"}}), "webpki:leaf_not_ca"},
		{"CN not in SAN", leaf(spec{cn: "other.example.com"}), "webpki:common_name"},
		{"CN copy of IP SAN", leaf(spec{cn: "192.0.2.1", ips: []net.IP{net.ParseIP("192.0.2.1")}, dns: []string{"www.example.com"}}), ""},
		{"CN IP not canonical", leaf(spec{cn: "192.000.2.1", ips: []net.IP{net.ParseIP("192.0.2.1")}, dns: []string{"www.example.com"}}), "webpki:common_name"},
		{"RSA-1024 leaf", leaf(spec{key: weak}), "webpki:public_key"},
		{"ECDSA leaf with keyEncipherment", leaf(spec{ku: x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment}), "webpki:leaf_key_usage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Roots: certs(root), Intermediates: certs(inter), At: t0, Profile: WebPKI, Host: "www.example.com"}
			run(t, tc.leaf, o, tc.rule == "", tc.rule)
		})
	}
	t.Run("root with EKU", func(t *testing.T) {
		t.Parallel()
		l := issue(t, spec{cn: "www.example.com"}, rootWithEKU)
		run(t, l, Options{Roots: certs(rootWithEKU), At: t0, Profile: WebPKI}, false, "webpki:root")
		run(t, l, Options{Roots: certs(rootWithEKU), At: t0}, true, "") // fine under rfc5280
	})
	t.Run("SHA-1 refused even with AllowSHA1", func(t *testing.T) {
		t.Parallel()
		rsaRoot := issue(t, spec{cn: "RSA Root", ca: true, key: rsaKey(t)}, nil)
		l := issue(t, spec{cn: "www.example.com", sigAlg: x509.SHA1WithRSA}, rsaRoot)
		run(t, l, Options{Roots: certs(rsaRoot), At: t0, Profile: WebPKI, AllowSHA1: true}, false, CheckSignature)
	})
}

func TestPolicyConstraints(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	explicit := issue(t, spec{cn: "Explicit CA", ca: true, mod: func(c *x509.Certificate) {
		c.Policies = policyOIDs("2.23.140.1.2.1")
		c.ExtraExtensions = append(c.ExtraExtensions, policyConstraintsExt(true))
	}}, root)
	lax := issue(t, spec{cn: "Lax PC CA", ca: true, mod: func(c *x509.Certificate) {
		c.ExtraExtensions = append(c.ExtraExtensions, policyConstraintsExt(false))
	}}, root)
	withPolicy := issue(t, spec{cn: "with policy", mod: func(c *x509.Certificate) { c.Policies = policyOIDs("2.23.140.1.2.1") }}, explicit)
	otherPolicy := issue(t, spec{cn: "other policy", mod: func(c *x509.Certificate) { c.Policies = policyOIDs("1.2.3.4") }}, explicit)
	noPolicy := issue(t, spec{cn: "no policy"}, explicit)
	underLax := issue(t, spec{cn: "under lax"}, lax)
	o := Options{Roots: certs(root), Intermediates: certs(explicit, lax), At: t0}
	run(t, withPolicy, o, true, "")
	run(t, otherPolicy, o, false, CheckPolicy)
	run(t, noPolicy, o, false, CheckPolicy)
	run(t, underLax, o, false, CheckCriticalExtensions)
}
