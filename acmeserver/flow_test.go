package acmeserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"slices"
	"testing"

	"github.com/anchorpki/anchor/store"
	xacme "golang.org/x/crypto/acme"
)

// verifyChain checks that a downloaded chain is leaf then intermediate, chains to the root,
// and names exactly names.
func (f *fixture) verifyChain(chain [][]byte, names ...string) *x509.Certificate {
	f.t.Helper()
	if len(chain) != 2 {
		f.t.Fatalf("chain has %d certificates, want leaf and intermediate", len(chain))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		f.t.Fatal(err)
	}
	if string(chain[1]) != string(f.h.Intermediate.Raw) {
		f.t.Fatal("the second certificate is not the intermediate")
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(f.h.Root)
	inter.AddCert(f.h.Intermediate)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter}); err != nil {
		f.t.Fatalf("issued certificate does not verify: %v", err)
	}
	var got []string
	got = append(got, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		got = append(got, ip.String())
	}
	slices.Sort(got)
	want := slices.Clone(names)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		f.t.Fatalf("certificate names %v, want %v", got, want)
	}
	return leaf
}

func TestHTTP01IssueRecordsTheAccount(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	acct := f.register(c)
	chain, _, _ := f.obtain(c, "http-01", "a.test", "b.test")
	leaf := f.verifyChain(chain, "a.test", "b.test")

	rec, err := f.db.Get(context.Background(), f.h.Intermediate.SubjectKeyId, leaf.SerialNumber)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Requester != "acme:"+acct.URI || rec.Status != store.StatusValid || rec.Profile != "server" {
		t.Fatalf("inventory row: requester %q, status %s, profile %s; want acme:%s, valid, server", rec.Requester, rec.Status, rec.Profile, acct.URI)
	}
	// Registering again with the same key returns the same account.
	if _, err := c.Register(context.Background(), &xacme.Account{}, xacme.AcceptTOS); !errors.Is(err, xacme.ErrAccountAlreadyExists) {
		t.Fatalf("second Register: %v, want ErrAccountAlreadyExists", err)
	}
	if again, err := c.GetReg(context.Background(), ""); err != nil || again.URI != acct.URI || again.Status != "valid" {
		t.Fatalf("GetReg: %+v, %v", again, err)
	}
}

func TestIPIdentifierWithHTTP01AndTLSALPN01(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	f.register(c)
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.IPIDs("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	z, err := c.GetAuthorization(ctx, o.AuthzURLs[0])
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, ch := range z.Challenges {
		types = append(types, ch.Type)
	}
	if slices.Contains(types, "dns-01") || !slices.Contains(types, "http-01") || !slices.Contains(types, "tls-alpn-01") {
		t.Fatalf("an IP authorization offers %v; RFC 8738 allows http-01 and tls-alpn-01, not dns-01", types)
	}
	if err := f.solve(c, o, "tls-alpn-01"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitOrder(ctx, o.URI); err != nil {
		t.Fatal(err)
	}
	_, csr := newCSR(t, "127.0.0.1")
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	if err != nil {
		t.Fatal(err)
	}
	f.verifyChain(chain, "127.0.0.1")
}

func TestTLSALPN01(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	f.register(c)
	chain, _, _ := f.obtain(c, "tls-alpn-01", "alpn.test")
	f.verifyChain(chain, "alpn.test")
}

func TestDNS01Wildcard(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	f.register(c)
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("*.w.test"))
	if err != nil {
		t.Fatal(err)
	}
	// A wildcard is never validated over http-01 or tls-alpn-01: they are not even offered.
	for _, typ := range []string{"http-01", "tls-alpn-01"} {
		var nc *noChallenge
		if err := f.solve(c, o, typ); !errors.As(err, &nc) {
			t.Fatalf("a wildcard authorization offered %s: %v", typ, err)
		}
	}
	z, _ := c.GetAuthorization(ctx, o.AuthzURLs[0])
	if !z.Wildcard || z.Identifier.Value != "w.test" {
		t.Fatalf("wildcard authorization: %+v", z)
	}
	chain, _, _ := f.obtain(c, "dns-01", "*.w.test", "w.test")
	f.verifyChain(chain, "*.w.test", "w.test")
}

func TestFailedValidationInvalidatesOrder(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	f.register(c)
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("fail.test"))
	if err != nil {
		t.Fatal(err)
	}
	z, _ := c.GetAuthorization(ctx, o.AuthzURLs[0])
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			f.mu.Lock()
			f.http01[ch.Token] = "wrong"
			f.mu.Unlock()
			if _, err := c.Accept(ctx, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err = c.WaitAuthorization(ctx, z.URI)
	var ae *xacme.AuthorizationError
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		t.Fatalf("WaitAuthorization: %v, want an authorization error", err)
	}
	acmeError(t, ae.Errors[0], "incorrectResponse")
	if _, err := c.WaitOrder(ctx, o.URI); err == nil {
		t.Fatal("the order did not become invalid")
	}
}

func TestCAAForbiddingThisCA(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.dns.Add(t, `caa.test. 60 IN CAA 0 issue "other-ca.example"`)
	c := f.client()
	f.register(c)
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("caa.test"))
	if err != nil {
		t.Fatal(err)
	}
	err = f.solve(c, o, "http-01")
	var ae *xacme.AuthorizationError
	if !errors.As(err, &ae) || len(ae.Errors) == 0 {
		t.Fatalf("solve: %v, want an authorization error", err)
	}
	acmeError(t, ae.Errors[0], "caa")

	// Naming this CA and this account passes (RFC 8657 accounturi).
	c2 := f.client()
	a2 := f.register(c2)
	f.dns.Add(t, `ari.test. 60 IN CAA 0 issue "anchor.test; accounturi=`+a2.URI+`"`)
	chain, _, _ := f.obtain(c2, "http-01", "ari.test")
	f.verifyChain(chain, "ari.test")
	// Another account is refused by the same record.
	c3 := f.client()
	f.register(c3)
	o3, err := c3.AuthorizeOrder(ctx, xacme.DomainIDs("ari.test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.solve(c3, o3, "http-01"); !errors.As(err, &ae) {
		t.Fatalf("another account passed an accounturi CAA record: %v", err)
	}
	acmeError(t, ae.Errors[0], "caa")
}

func TestRevokeByAccountAndByKey(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	c := f.client()
	f.register(c)
	ctx := context.Background()
	chain, _, key := f.obtain(c, "http-01", "a.test")
	if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
		t.Fatalf("revoke by account: %v", err)
	}
	leaf, _ := x509.ParseCertificate(chain[0])
	rec, _ := f.db.Get(ctx, f.h.Intermediate.SubjectKeyId, leaf.SerialNumber)
	if rec.Status != store.StatusRevoked || rec.RevocationReason != 1 {
		t.Fatalf("inventory after revocation: %s reason %d", rec.Status, rec.RevocationReason)
	}
	// x/crypto/acme hides alreadyRevoked from its caller; ask by hand.
	acct, _ := c.GetReg(ctx, "")
	resp, body := raw{f: f, key: c.Key, kid: acct.URI}.post(f.srv.URL+"/acme/revoke-cert",
		map[string]any{"certificate": b64(chain[0]), "reason": 1}, f.nonce())
	problem(t, resp, body, "alreadyRevoked", 400)

	// By the certificate's own key, with no account.
	chain2, _, key2 := f.obtain(c, "http-01", "b.test")
	stranger := f.client()
	if err := stranger.RevokeCert(ctx, key2, chain2[0], xacme.CRLReasonSuperseded); err != nil {
		t.Fatalf("revoke by certificate key: %v", err)
	}
	// A stranger's account may not revoke another's certificate.
	chain3, _, _ := f.obtain(c, "http-01", "other.test")
	f.register(stranger)
	acmeError(t, stranger.RevokeCert(ctx, nil, chain3[0], xacme.CRLReasonUnspecified), "unauthorized")
	// certificateHold is the CA's, not the subscriber's.
	acmeError(t, c.RevokeCert(ctx, nil, chain3[0], xacme.CRLReasonCertificateHold), "badRevocationReason")
	_ = key
	// A certificate this CA never issued.
	foreign := f.h.Root.Raw
	resp, body = raw{f: f, key: c.Key, kid: acct.URI}.post(f.srv.URL+"/acme/revoke-cert",
		map[string]any{"certificate": b64(foreign)}, f.nonce())
	problem(t, resp, body, "malformed", 404)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.revoked) != 2 || f.revoked[0] != hex.EncodeToString(leaf.SerialNumber.Bytes()) {
		t.Fatalf("authority saw revocations %v", f.revoked)
	}
}

// TestValidationProblemTypes checks that each way a validation fails reaches the client as its
// RFC 8555 §6.7 type.
func TestValidationProblemTypes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	f.dns.Add(t, "down.test. 60 IN A 127.0.0.2") // nothing listens there
	ctx := context.Background()
	c := f.client()
	f.register(c)
	for _, tc := range []struct{ name, typ, want string }{
		{"down.test", "http-01", "connection"},
		{"b.test", "dns-01", "dns"},         // no TXT record published
		{"alpn.test", "tls-alpn-01", "tls"}, // the responder has no certificate for it
		{"nxdomain.test", "http-01", "dns"},
	} {
		o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(tc.name))
		if err != nil {
			t.Fatal(err)
		}
		z, _ := c.GetAuthorization(ctx, o.AuthzURLs[0])
		for _, ch := range z.Challenges {
			if ch.Type == tc.typ {
				if _, err := c.Accept(ctx, ch); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, err = c.WaitAuthorization(ctx, z.URI)
		var ae *xacme.AuthorizationError
		if !errors.As(err, &ae) || len(ae.Errors) == 0 {
			t.Fatalf("%s %s: %v, want an authorization error", tc.name, tc.typ, err)
		}
		acmeError(t, ae.Errors[0], tc.want)
	}
}

// Nothing of a CSR's subject beyond the validated common name reaches the certificate: an O or
// UID there was proven by nobody, and mTLS systems grant access by them.
func TestFinalizeKeepsOnlyTheCommonName(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	o := f.authorized(c, "http-01", "a.test")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.CertificateRequest{DNSNames: []string{"a.test"}, Subject: pkix.Name{CommonName: "a.test",
		Organization: []string{"system:masters"}, OrganizationalUnit: []string{"admins"}}}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, der, true)
	if err != nil {
		t.Fatal(err)
	}
	leaf := f.verifyChain(chain, "a.test")
	if got := leaf.Subject.String(); got != "CN=a.test" {
		t.Fatalf("certificate subject %q, want only CN=a.test", got)
	}
	// Without a common name in the CSR, the first DNS identifier becomes it.
	chain2, _, _ := f.obtainNoCN(c, "b.test")
	if leaf2, _ := x509.ParseCertificate(chain2[0]); leaf2.Subject.String() != "CN=b.test" {
		t.Fatalf("subject without a CSR common name: %q", leaf2.Subject.String())
	}
}

// obtainNoCN is obtain with a CSR that has SANs only.
func (f *fixture) obtainNoCN(c *xacme.Client, name string) ([][]byte, *xacme.Order, error) {
	ctx := context.Background()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(name))
	if err != nil {
		return nil, nil, err
	}
	if err := f.solve(c, o, "http-01"); err != nil {
		return nil, nil, err
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, key)
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, der, true)
	return chain, o, err
}
