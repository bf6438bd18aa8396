package verify

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type crlSpec struct {
	revoked    []x509.RevocationListEntry
	thisUpdate time.Time
	nextUpdate time.Time
	extra      []pkix.Extension
	aki        []byte // claim this authorityKeyIdentifier instead of the signer's
}

func makeCRL(t testing.TB, issuer *node, s crlSpec) *x509.RevocationList {
	t.Helper()
	if s.thisUpdate.IsZero() {
		s.thisUpdate = t0.Add(-time.Hour)
	}
	if s.nextUpdate.IsZero() {
		s.nextUpdate = t0.AddDate(0, 0, 7)
	}
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(42),
		ThisUpdate:                s.thisUpdate,
		NextUpdate:                s.nextUpdate,
		RevokedCertificateEntries: s.revoked,
		ExtraExtensions:           s.extra,
	}
	signer := *issuer.cert
	signer.KeyUsage |= x509.KeyUsageCRLSign // x509 refuses to sign otherwise; the verifier checks the real one
	if s.aki != nil {
		signer.SubjectKeyId = s.aki
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &signer, issuer.key)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func revokedEntry(c *node, reason int) x509.RevocationListEntry {
	return x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: t0.AddDate(0, 0, -2), ReasonCode: reason}
}

func TestCRL(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	impostor := issue(t, spec{cn: "Test Intermediate", ca: true}, nil) // same name, other key
	noCRLSign := issue(t, spec{cn: "No CRL CA", ca: true, ku: x509.KeyUsageCertSign}, h.root)
	leafNoCRLSign := issue(t, spec{cn: "leaf"}, noCRLSign)
	rootCRL := makeCRL(t, h.root, crlSpec{})
	idpCAOnly, _ := asn1.Marshal(struct {
		OnlyCA bool `asn1:"tag:2,optional"`
	}{true})
	deltaInd, _ := asn1.Marshal(big.NewInt(41))
	tests := []struct {
		name       string
		leaf       *node
		crls       []*x509.RevocationList
		want       bool
		wantDetail string
	}{
		{"not revoked", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{}), rootCRL}, true, "is not on CRL"},
		{"leaf revoked", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(h.leaf, 1)}}), rootCRL}, false, "keyCompromise (1)"},
		{"intermediate revoked", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{}), makeCRL(t, h.root, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(h.inter, 2)}})}, false, "cACompromise (2)"},
		{"revocation date in the future still revokes", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{revoked: []x509.RevocationListEntry{{SerialNumber: h.leaf.cert.SerialNumber, RevocationTime: t0.AddDate(0, 0, 3)}}}), rootCRL}, false, "revoked on"},
		{"CRL signed by the wrong key is not used", h.leaf, []*x509.RevocationList{makeCRL(t, impostor, crlSpec{aki: h.inter.cert.SubjectKeyId, revoked: []x509.RevocationListEntry{revokedEntry(h.leaf, 1)}}), makeCRL(t, h.inter, crlSpec{}), rootCRL}, true, "does not verify with the key of CN=Test Intermediate"},
		{"CRL naming another key is not used", h.leaf, []*x509.RevocationList{makeCRL(t, impostor, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(h.leaf, 1)}}), makeCRL(t, h.inter, crlSpec{}), rootCRL}, true, "authorityKeyIdentifier"},
		{"only a forged CRL: status undetermined, not revoked", h.leaf, []*x509.RevocationList{makeCRL(t, impostor, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(h.leaf, 1)}}), rootCRL}, false, "no usable CRL, revocation status undetermined"},
		{"stale CRL", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{thisUpdate: t0.AddDate(0, 0, -30), nextUpdate: t0.AddDate(0, 0, -3)}), rootCRL}, false, "stale: nextUpdate"},
		{"CRL from the future", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{thisUpdate: t0.Add(time.Hour), nextUpdate: t0.AddDate(0, 0, 7)}), rootCRL}, false, "not yet issued"},
		{"no CRL for the intermediate", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{})}, false, "no CRL from CN=Test Root"},
		{"issuer without cRLSign", leafNoCRLSign, []*x509.RevocationList{makeCRL(t, noCRLSign, crlSpec{}), rootCRL}, false, "lacks cRLSign"},
		{"CRL scoped to CA certificates", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{extra: []pkix.Extension{{Id: oidIDP, Critical: true, Value: idpCAOnly}}}), rootCRL}, false, "CA certificates only"},
		{"delta CRL is not complete", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{extra: []pkix.Extension{{Id: oidDeltaCRLIndicator, Critical: true, Value: deltaInd}}}), rootCRL}, false, "delta CRL"},
		{"unknown critical CRL extension", h.leaf, []*x509.RevocationList{makeCRL(t, h.inter, crlSpec{extra: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55738, 666, 1}, Critical: true, Value: []byte{5, 0}}}}), rootCRL}, false, "unknown critical extension"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := h.opts()
			o.Intermediates = certs(h.inter, noCRLSign)
			o.Host = ""
			o.CRLs = tc.crls
			r := run(t, tc.leaf, o, tc.want, "")
			found := false
			for _, c := range r.Checks {
				if c.Name == CheckRevocationCRL && strings.Contains(c.Detail, tc.wantDetail) {
					found = true
				}
			}
			if !found {
				t.Fatalf("no revocation_crl check mentions %q\n%s", tc.wantDetail, dump(r))
			}
			if !tc.want {
				if rej, _ := r.Err().(*Rejection); !rej.Has(CheckRevocationCRL) {
					t.Fatalf("revocation_crl did not fail\n%s", dump(r))
				}
			}
		})
	}
}

// crlServer serves CRLs by path on 127.0.0.1 and counts requests.
func crlServer(t *testing.T, byPath map[string][]byte) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, ok := byPath[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchCRL(t *testing.T) {
	t.Parallel()
	byPath := map[string][]byte{}
	srv, hits := crlServer(t, byPath)
	cdp := func(p string) func(*x509.Certificate) {
		return func(c *x509.Certificate) { c.CRLDistributionPoints = []string{srv.URL + p} }
	}
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Inter", ca: true, mod: cdp("/root.crl")}, root)
	good := issue(t, spec{cn: "good", mod: cdp("/inter.crl")}, inter)
	revoked := issue(t, spec{cn: "revoked", mod: cdp("/inter.crl")}, inter)
	missing := issue(t, spec{cn: "missing", mod: cdp("/nowhere.crl")}, inter)
	byPath["/root.crl"] = makeCRL(t, root, crlSpec{}).Raw
	byPath["/inter.crl"] = makeCRL(t, inter, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(revoked, 4)}}).Raw
	o := Options{Roots: certs(root), Intermediates: certs(inter), At: t0, FetchCRL: true, HTTPClient: srv.Client()}

	r := run(t, good, o, true, "")
	if n := hits.Load(); n != 2 {
		t.Errorf("%d fetches, want 2 (one per distribution point)", n)
	}
	if c, ok := findCheck(r, CheckRevocationCRL, Pass); !ok || c.Depth != 0 {
		t.Errorf("no passing CRL check for the leaf\n%s", dump(r))
	}
	r = run(t, revoked, o, false, CheckRevocationCRL)
	if c, _ := findCheck(r, CheckRevocationCRL, Fail); !strings.Contains(c.Detail, "superseded (4)") {
		t.Errorf("detail %q", c.Detail)
	}
	r = run(t, missing, o, false, CheckRevocationCRL)
	if c, _ := findCheck(r, CheckRevocationCRL, Fail); !strings.Contains(c.Detail, "404") {
		t.Errorf("detail %q does not give the cause", c.Detail)
	}
}

func TestRevocationSkippedForInvalidPath(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	o := h.opts()
	o.Host = "other.example"
	o.OCSP = true
	o.HTTPClient = &http.Client{Transport: failingTransport{}}
	r := run(t, h.leaf, o, false, CheckHostname)
	if _, ok := findCheck(r, CheckRevocationOCSP, Fail); ok {
		t.Fatalf("revocation should not be attempted on an invalid path\n%s", dump(r))
	}
	// The skip names the method asked for: OCSP only, so no word of CRLs.
	if _, ok := findCheck(r, CheckRevocationOCSP, Skip); !ok {
		t.Fatalf("no revocation_ocsp skip\n%s", dump(r))
	}
	if _, ok := findCheck(r, CheckRevocationCRL, Skip); ok {
		t.Fatalf("a revocation_crl skip when only OCSP was asked for\n%s", dump(r))
	}
}

type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	panic("no network expected")
}

func TestMalformedCRLDropped(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	crl := makeCRL(t, h.inter, crlSpec{revoked: []x509.RevocationListEntry{revokedEntry(h.leaf, 1)}})
	crl.NextUpdate = time.Time{} // as parsed from a CRL without nextUpdate
	o := h.opts()
	o.CRLs = []*x509.RevocationList{crl}
	r := Verify(context.Background(), h.leaf.cert, o)
	if !r.Valid {
		t.Fatalf("a malformed CRL is dropped, not used\n%s", dump(r))
	}
	if c, ok := findCheck(r, CheckRevocationCRL, Warn); !ok || !strings.Contains(c.Detail, "nextUpdate") {
		t.Fatalf("no warning about the dropped CRL\n%s", dump(r))
	}
}
