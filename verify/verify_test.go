package verify

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

func TestVerifyChains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		setup     func(t *testing.T) (*node, Options)
		wantValid bool
		wantFail  string
	}{
		{"valid chain", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			return h.leaf, h.opts()
		}, true, ""},
		{"expired leaf", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "old", notBefore: t0.AddDate(0, -3, 0), notAfter: t0.AddDate(0, 0, -12)}, h.inter)
			return leaf, h.opts()
		}, false, CheckValidity},
		{"not yet valid intermediate", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			inter := issue(t, spec{cn: "Future CA", ca: true, notBefore: t0.Add(time.Hour)}, h.root)
			leaf := issue(t, spec{cn: "leaf"}, inter)
			o := h.opts()
			o.Intermediates = certs(inter)
			return leaf, o
		}, false, CheckValidity},
		{"at notAfter is valid", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "edge", notAfter: t0}, h.inter)
			return leaf, h.opts()
		}, true, ""},
		{"one second after notAfter", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "edge", notAfter: t0.Add(-time.Second)}, h.inter)
			return leaf, h.opts()
		}, false, CheckValidity},
		{"at notBefore is valid", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "edge", notBefore: t0}, h.inter)
			return leaf, h.opts()
		}, true, ""},
		{"fraction of a second after notAfter is still that second", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "edge", notAfter: t0}, h.inter)
			o := h.opts()
			o.At = t0.Add(5 * time.Millisecond)
			return leaf, o
		}, true, ""},
		{"expired root", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "Old Root", ca: true, notAfter: t0.AddDate(0, 0, -1)}, nil)
			leaf := issue(t, spec{cn: "leaf", notBefore: t0.AddDate(-2, 0, 0)}, root)
			return leaf, Options{Roots: certs(root), At: t0}
		}, false, CheckValidity},
		{"wrong host", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			o := h.opts()
			o.Host = "mail.example.com"
			return h.leaf, o
		}, false, CheckHostname},
		{"untrusted root", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			other := issue(t, spec{cn: "Other Root", ca: true}, nil)
			o := h.opts()
			o.Roots = certs(other)
			o.Intermediates = certs(h.inter, h.root)
			return h.leaf, o
		}, false, CheckChain},
		{"missing intermediate", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			o := h.opts()
			o.Intermediates = nil
			return h.leaf, o
		}, false, CheckChain},
		{"no roots", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			o := h.opts()
			o.Roots = nil
			return h.leaf, o
		}, false, CheckOptions},
		{"leaf signed by a different key with the issuer's name", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			impostor := issue(t, spec{cn: "Test Intermediate", ca: true}, h.root)
			leaf := issue(t, spec{cn: "leaf", mod: func(c *x509.Certificate) { c.AuthorityKeyId = nil }}, impostor)
			return leaf, h.opts()
		}, false, CheckChain},
		{"path length exceeded", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t) // h.inter has pathLen 0
			sub := issue(t, spec{cn: "Sub CA", ca: true}, h.inter)
			leaf := issue(t, spec{cn: "leaf"}, sub)
			o := h.opts()
			o.Intermediates = certs(h.inter, sub)
			return leaf, o
		}, false, CheckPathLength},
		{"self-issued intermediate not counted for pathLen", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "Root", ca: true}, nil)
			ica := issue(t, spec{cn: "ICA", ca: true, pathLen: intp(1)}, root)
			// x509.CreateCertificate omits the AKI of a self-issued certificate unless asked.
			rollover := issue(t, spec{cn: "ICA", ca: true, pathLen: intp(1),
				mod: func(c *x509.Certificate) { c.AuthorityKeyId = ica.cert.SubjectKeyId }}, ica)
			sub := issue(t, spec{cn: "Sub", ca: true, pathLen: intp(0)}, rollover)
			leaf := issue(t, spec{cn: "leaf"}, sub)
			return leaf, Options{Roots: certs(root), Intermediates: certs(ica, rollover, sub), At: t0}
		}, true, ""},
		{"intermediate without cA", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			notCA := issue(t, spec{cn: "Not a CA", ku: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
				mod: func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }}, h.root)
			leaf := issue(t, spec{cn: "leaf"}, notCA)
			o := h.opts()
			o.Intermediates = certs(notCA)
			return leaf, o
		}, false, CheckBasicConstraints},
		{"intermediate without keyCertSign", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			inter := issue(t, spec{cn: "CRL only CA", ca: true, ku: x509.KeyUsageCRLSign}, h.root)
			leaf := issue(t, spec{cn: "leaf"}, inter)
			o := h.opts()
			o.Intermediates = certs(inter)
			return leaf, o
		}, false, CheckKeyUsage},
		{"unknown critical extension", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "leaf", extra: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55738, 666, 1}, Critical: true, Value: []byte{5, 0}}}}, h.inter)
			return leaf, h.opts()
		}, false, CheckCriticalExtensions},
		{"unknown non-critical extension", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "leaf", extra: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55738, 666, 1}, Value: []byte{5, 0}}}}, h.inter)
			return leaf, h.opts()
		}, true, ""},
		{"leaf without authorityKeyIdentifier", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "Root", ca: true, mod: func(c *x509.Certificate) { c.SubjectKeyId = nil }}, nil)
			// A parent without SKI makes x509.CreateCertificate omit the AKI.
			noSKI := *root.cert
			noSKI.SubjectKeyId = nil
			leaf := issue(t, spec{cn: "leaf"}, &node{cert: &noSKI, key: root.key})
			return leaf, Options{Roots: certs(root), At: t0, Host: "www.example.com"}
		}, false, CheckKeyIdentifiers},
		{"SHA-1 signature refused", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "RSA Root", ca: true, key: rsaKey(t)}, nil)
			leaf := issue(t, spec{cn: "leaf", sigAlg: x509.SHA1WithRSA}, root)
			return leaf, Options{Roots: certs(root), At: t0}
		}, false, CheckSignature},
		{"SHA-1 signature with AllowSHA1", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "RSA Root", ca: true, key: rsaKey(t)}, nil)
			leaf := issue(t, spec{cn: "leaf", sigAlg: x509.SHA1WithRSA}, root)
			return leaf, Options{Roots: certs(root), At: t0, AllowSHA1: true}
		}, true, ""},
		{"leaf is itself a trust anchor", func(t *testing.T) (*node, Options) {
			self := issue(t, spec{cn: "pinned", dns: []string{"pinned.example"}}, nil)
			return self, Options{Roots: certs(self), At: t0, Host: "pinned.example"}
		}, true, ""},
		{"trust anchor in the middle is used: root and intermediate swapped", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			return h.leaf, Options{Roots: certs(h.inter), Intermediates: certs(h.root), At: t0, Host: "www.example.com"}
		}, true, ""},
		{"non-critical basicConstraints on a root", func(t *testing.T) (*node, Options) {
			root := issue(t, spec{cn: "Root", ca: true}, nil)
			der := reencodeWithNonCriticalBC(t, root)
			leaf := issue(t, spec{cn: "leaf"}, root)
			return leaf, Options{Roots: []*x509.Certificate{der}, At: t0}
		}, false, CheckBasicConstraints},
		{"pathLenConstraint without cA", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			// BasicConstraints ::= SEQUENCE { pathLenConstraint 2 }, cA defaulting to false.
			bc := pkix.Extension{Id: oidBasicConstraints, Critical: true, Value: []byte{0x30, 3, 2, 1, 2}}
			leaf := issue(t, spec{cn: "leaf", extra: []pkix.Extension{bc},
				mod: func(c *x509.Certificate) { c.BasicConstraintsValid = false }}, h.inter)
			return leaf, h.opts()
		}, false, CheckBasicConstraints},
		{"precertificate", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "leaf", extra: []pkix.Extension{{Id: oidPrecertPoison, Critical: true, Value: []byte{5, 0}}}}, h.inter)
			return leaf, h.opts()
		}, false, CheckCriticalExtensions},
		{"serial number zero", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			leaf := issue(t, spec{cn: "leaf", mod: func(c *x509.Certificate) { c.SerialNumber = new(big.Int) }}, h.inter)
			return leaf, h.opts()
		}, false, CheckSerialNumber},
		{"unknown profile", func(t *testing.T) (*node, Options) {
			h := newHierarchy(t)
			o := h.opts()
			o.Profile = "strict"
			return h.leaf, o
		}, false, CheckOptions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			leaf, o := tc.setup(t)
			run(t, leaf, o, tc.wantValid, tc.wantFail)
		})
	}
}

// reencodeWithNonCriticalBC returns root re-signed with its basicConstraints not critical.
func reencodeWithNonCriticalBC(t *testing.T, root *node) *x509.Certificate {
	t.Helper()
	bc, err := asn1.Marshal(struct {
		IsCA bool `asn1:"optional"`
	}{true})
	if err != nil {
		t.Fatal(err)
	}
	n := issue(t, spec{cn: root.cert.Subject.CommonName, key: root.key, mod: func(c *x509.Certificate) {
		c.BasicConstraintsValid = false
		c.IsCA = false
		c.ExtKeyUsage = nil
		c.DNSNames = nil
		c.KeyUsage = x509.KeyUsageCertSign
		c.SubjectKeyId = root.cert.SubjectKeyId
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: oidBasicConstraints, Value: bc})
	}}, nil)
	return n.cert
}

func TestResultJSONAndError(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	o := h.opts()
	o.Host = "other.example.com"
	r := Verify(context.Background(), h.leaf.cert, o)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Valid  bool          `json:"valid"`
		Chain  []CertSummary `json:"chain"`
		Checks []Check       `json:"checks"`
		Paths  int           `json:"paths_tried"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Valid || len(back.Chain) != 3 || back.Paths != 1 || len(back.Checks) == 0 {
		t.Fatalf("JSON = %s", b)
	}
	if back.Chain[2].Subject != "CN=Test Root" || len(back.Chain[0].SHA256) != 64 {
		t.Fatalf("chain summary = %+v", back.Chain)
	}
	err = r.Err()
	rej, ok := errors.AsType[*Rejection](err)
	if !ok || len(rej.Failed) != 1 || rej.Failed[0].Name != CheckHostname {
		t.Fatalf("Err() = %v", err)
	}
	if !strings.Contains(err.Error(), "other.example.com") {
		t.Fatalf("error text %q does not name the host", err)
	}
}

func TestExpiredDetail(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{cn: "old", notBefore: t0.AddDate(0, -3, 0), notAfter: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, h.inter)
	r := run(t, leaf, h.opts(), false, CheckValidity)
	c, _ := findCheck(r, CheckValidity, Fail)
	want := "certificate expired 2026-01-02T00:00:00Z, 13 days before the verification time 2026-01-15T12:00:00Z"
	if c.Detail != want || c.Depth != 0 || c.Subject != "CN=old" {
		t.Fatalf("check = %+v\nwant detail %q", c, want)
	}
}

func TestIPHost(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{cn: "10.0.0.1", ips: []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("2001:db8::1")}, dns: []string{"10.0.0.2"}}, h.inter)
	tests := []struct {
		host string
		ok   bool
	}{
		{"10.0.0.1", true}, {"2001:db8::1", true}, {"[2001:db8::1]", true},
		{"10.0.0.2", false}, // a dNSName spelling an address is not an iPAddress
		{"10.0.0.3", false},
	}
	for _, tc := range tests {
		o := h.opts()
		o.Host = tc.host
		r := Verify(context.Background(), leaf.cert, o)
		if r.Valid != tc.ok {
			t.Errorf("host %s: Valid = %v, want %v\n%s", tc.host, r.Valid, tc.ok, dump(r))
		}
	}
}
