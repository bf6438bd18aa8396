package ocspresponder_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/store"
)

// countingSigner is a real key that counts its signatures, so tests can tell a cached response
// from a fresh one.
type countingSigner struct {
	crypto.Signer
	n atomic.Int64
}

func (s *countingSigner) Sign(r io.Reader, digest []byte, o crypto.SignerOpts) ([]byte, error) {
	s.n.Add(1)
	return s.Signer.Sign(r, digest, o)
}

// clock is an adjustable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// pki is a real hierarchy (root → intermediate → leaves, and a delegated OCSP responder
// certificate issued by the intermediate) over a real SQLite inventory in a temporary directory.
type pki struct {
	dir       string
	db        *store.DB
	root      *x509.Certificate
	rootKey   crypto.Signer
	inter     *x509.Certificate
	interKey  *countingSigner
	interIss  *issuance.Issuer
	ocspCert  *x509.Certificate
	ocspKey   *countingSigner
	otherRoot *x509.Certificate // an unrelated CA
	otherLeaf *x509.Certificate // issued by otherRoot
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func subject(t testing.TB, org, cn string) []byte {
	t.Helper()
	b, err := asn1.Marshal(pkix.Name{Organization: []string{org}, CommonName: cn}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	s, err := issuance.NewSerial(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	ctx := context.Background()
	p := &pki{dir: t.TempDir()}
	db, err := store.Open(ctx, filepath.Join(p.dir, "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p.db = db

	rootKey := newKey(t)
	p.rootKey = rootKey
	self, err := issuance.NewSelfSigned(rootKey, issuance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.root = catest.Sign(t, self, issuance.Request{PublicKey: rootKey.Public(), Subject: subject(t, "Test", "Test Root CA"),
		Profile: issuance.Root, Serial: serial(t)})
	rootIss, err := issuance.New(issuance.Options{Cert: p.root, Signer: rootKey})
	if err != nil {
		t.Fatal(err)
	}
	p.interKey = &countingSigner{Signer: newKey(t)}
	p.inter = catest.Sign(t, rootIss, issuance.Request{PublicKey: p.interKey.Public(), Subject: subject(t, "Test", "Test Intermediate CA"),
		Profile: issuance.Intermediate, Serial: serial(t)})
	if p.interIss, err = issuance.New(issuance.Options{Cert: p.inter, Signer: p.interKey.Signer, OCSPURL: "http://127.0.0.1/ocsp"}); err != nil {
		t.Fatal(err)
	}
	p.ocspKey = &countingSigner{Signer: newKey(t)}
	p.ocspCert = catest.Sign(t, p.interIss, issuance.Request{PublicKey: p.ocspKey.Public(), Subject: subject(t, "Test", "Test OCSP Responder"),
		Profile: issuance.OCSPSigning, Serial: serial(t)})

	otherKey := newKey(t)
	otherSelf, err := issuance.NewSelfSigned(otherKey, issuance.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.otherRoot = catest.Sign(t, otherSelf, issuance.Request{PublicKey: otherKey.Public(), Subject: subject(t, "Other", "Other Root CA"),
		Profile: issuance.Root, Serial: serial(t)})
	otherIss, err := issuance.New(issuance.Options{Cert: p.otherRoot, Signer: otherKey})
	if err != nil {
		t.Fatal(err)
	}
	p.otherLeaf = catest.Sign(t, otherIss, issuance.Request{PublicKey: newKey(t).Public(), SANs: names.SANs{DNS: []string{"other.test"}},
		Profile: issuance.Server, Serial: serial(t)})
	return p
}

// reserve records the intent to issue a server certificate for name, as package ca does
// before signing, and returns what Sign needs.
func (p *pki) reserve(t testing.TB, name string) *issuance.Prepared {
	t.Helper()
	s := serial(t)
	prep, err := p.interIss.Prepare(issuance.Request{PublicKey: newKey(t).Public(), SANs: names.SANs{DNS: []string{name}},
		Profile: issuance.Server, Serial: s})
	if err != nil {
		t.Fatal(err)
	}
	err = p.db.Reserve(context.Background(), store.Certificate{IssuerKeyID: p.interIss.KeyID(), Serial: s, SANs: []string{name},
		NotBefore: prep.NotBefore, NotAfter: prep.NotAfter, Profile: issuance.Server.Name, Requester: "test", TBS: prep.TBS})
	if err != nil {
		t.Fatal(err)
	}
	return prep
}

// issueLeaf reserves, signs and records a server certificate: a "valid" inventory row.
func (p *pki) issueLeaf(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	prep := p.reserve(t, name)
	der, err := p.interIss.Sign(prep)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.db.RecordIssued(context.Background(), p.interIss.KeyID(), c.SerialNumber, der); err != nil {
		t.Fatal(err)
	}
	return c
}

func (p *pki) revoke(t testing.TB, c *x509.Certificate, reason int, at time.Time) {
	t.Helper()
	if err := p.db.Revoke(context.Background(), p.interIss.KeyID(), c.SerialNumber, reason, at); err != nil {
		t.Fatal(err)
	}
}

// delegated is an Options.Signer that hands out the delegated responder certificate.
func (p *pki) delegated(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
	return p.ocspCert, p.ocspKey, nil
}

// responder returns a Responder for the intermediate, signing with the delegated certificate,
// after edit has changed its options.
func (p *pki) responder(t testing.TB, edit func(*ocspresponder.Options)) *ocspresponder.Responder {
	t.Helper()
	o := ocspresponder.Options{Source: p.db, Issuers: []*x509.Certificate{p.inter}, Signer: p.delegated}
	if edit != nil {
		edit(&o)
	}
	r, err := ocspresponder.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func request(t testing.TB, cert, issuer *x509.Certificate, h crypto.Hash) []byte {
	t.Helper()
	der, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: h})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// parse parses a successful response for cert and checks its signature chain up to issuer.
func parse(t testing.TB, der []byte, cert, issuer *x509.Certificate) *ocsp.Response {
	t.Helper()
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		t.Fatalf("parsing response: %v", err)
	}
	return resp
}

func writePEM(t testing.TB, dir, name string, c *x509.Certificate) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Hand-built requests, for shapes golang.org/x/crypto/ocsp cannot produce.
type (
	rawRequest struct {
		TBS       rawTBS
		Signature asn1.RawValue `asn1:"explicit,tag:0,optional"`
	}
	rawTBS struct {
		Version    int `asn1:"explicit,tag:0,default:0,optional"`
		List       []rawSingle
		Extensions []pkix.Extension `asn1:"explicit,tag:2,optional"`
	}
	rawSingle struct{ CertID rawCertID }
	rawCertID struct {
		Alg      pkix.AlgorithmIdentifier
		NameHash []byte
		KeyHash  []byte
		Serial   *big.Int
	}
)

// certID extracts the CertID of a well-formed request.
func certID(t testing.TB, der []byte) rawCertID {
	t.Helper()
	var r rawRequest
	if _, err := asn1.Unmarshal(der, &r); err != nil || len(r.TBS.List) != 1 {
		t.Fatalf("test request does not parse: %v", err)
	}
	return r.TBS.List[0].CertID
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// issueLeafWithKey signs a server certificate for key without recording it.
func (p *pki) issueLeafWithKey(t testing.TB, key crypto.Signer) *x509.Certificate {
	t.Helper()
	return catest.Sign(t, p.interIss, issuance.Request{PublicKey: key.Public(), SANs: names.SANs{DNS: []string{"not-a-responder.test"}},
		Profile: issuance.Server, Serial: serial(t)})
}

// otherResponder is a delegated responder certificate issued by the unrelated CA.
func (p *pki) otherResponder(t testing.TB) (*x509.Certificate, crypto.Signer, error) {
	t.Helper()
	otherKey := newKey(t)
	self, err := issuance.NewSelfSigned(otherKey, issuance.Options{})
	if err != nil {
		return nil, nil, err
	}
	ca := catest.Sign(t, self, issuance.Request{PublicKey: otherKey.Public(), Subject: subject(t, "Other", "Another CA"),
		Profile: issuance.Root, Serial: serial(t)})
	iss, err := issuance.New(issuance.Options{Cert: ca, Signer: otherKey})
	if err != nil {
		return nil, nil, err
	}
	key := newKey(t)
	return catest.Sign(t, iss, issuance.Request{PublicKey: key.Public(), Subject: subject(t, "Test", "Test OCSP Responder"),
		Profile: issuance.OCSPSigning, Serial: serial(t)}), key, nil
}

func parseCert(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
