package ca_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// ocspFixture keeps the data directory, because the responder persists there.
func ocspFixture(t *testing.T, now *clock) (*ca.Authority, ca.Layout, *store.DB, *lint.Linter) {
	t.Helper()
	f := newFixture(t, ca.Options{})
	layout := ca.Layout{Dir: t.TempDir()}
	if err := layout.Save(f.h, nil); err != nil {
		t.Fatal(err)
	}
	// The issuer signs with the same clock as the authority, so certificates are dated as the
	// authority believes the time to be.
	loaded, err := layout.Load(ca.LoadOptions{Linter: f.lint, Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.New(ca.Options{Inventory: f.db, Issuer: loaded.Issuer, Now: now.Now})
	if err != nil {
		t.Fatal(err)
	}
	return a, layout, f.db, f.lint
}

func TestOCSPSignerIssuesPersistsAndRotates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := &clock{t: time.Now()}
	a, layout, db, l := ocspFixture(t, now)
	s, err := a.NewOCSPSigner(ctx, ca.OCSPSignerOptions{Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := s.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inter := a.Issuer().Certificate()
	if err := cert.CheckSignatureFrom(inter); err != nil {
		t.Fatalf("responder not issued by the intermediate: %v", err)
	}
	if !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) || cert.IsCA {
		t.Fatalf("EKU %v, CA %v", cert.ExtKeyUsage, cert.IsCA)
	}
	if !hasExtension(cert, "1.3.6.1.5.5.7.48.1.5") {
		t.Fatal("responder lacks id-pkix-ocsp-nocheck")
	}
	if err := l.Lint(cert.Raw); err != nil {
		t.Fatalf("responder certificate lint: %v", err)
	}
	// Recorded in the inventory like every certificate the CA signs.
	rec, err := db.Get(ctx, a.Issuer().KeyID(), cert.SerialNumber)
	if err != nil || rec.Profile != "ocsp" || rec.Status != store.StatusValid {
		t.Fatalf("inventory: %+v %v", rec, err)
	}
	// Key 0600 on disk; a restart reuses the pair.
	if fi, err := os.Stat(layout.OCSPKey()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ocsp key mode: %v %v", fi, err)
	}
	s2, err := a.NewOCSPSigner(ctx, ca.OCSPSignerOptions{Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	if c2, _, _ := s2.Current(ctx); !c2.Equal(cert) {
		t.Fatal("restart issued a new responder although the old one was fresh")
	}
	// The pair signs a response that verifies as a delegated responder's.
	resp, err := ocsp.CreateResponse(inter, cert, ocsp.Response{Status: ocsp.Good, SerialNumber: cert.SerialNumber,
		ThisUpdate: now.Now(), NextUpdate: now.Now().Add(time.Hour), Certificate: cert}, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ocsp.ParseResponse(resp, inter); err != nil {
		t.Fatalf("response does not verify: %v", err)
	}

	// Past two thirds of its life, the responder is replaced, and the replacement persists.
	now.Add(cert.NotAfter.Sub(cert.NotBefore) * 2 / 3)
	rotated, _, err := s.ForIssuer(inter)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Equal(cert) || !rotated.NotAfter.After(cert.NotAfter) {
		t.Fatal("responder not rotated after two thirds of its lifetime")
	}
	onDisk, err := os.ReadFile(layout.OCSPCert())
	if err != nil || !containsDER(onDisk, rotated.Raw) {
		t.Fatal("rotated responder not persisted")
	}
	if _, _, err := s.ForIssuer(a.Issuer().Certificate()); err != nil {
		t.Fatal(err)
	}
}

func TestOCSPSignerRefusesOtherIssuer(t *testing.T) {
	t.Parallel()
	now := &clock{t: time.Now()}
	a, _, _, _ := ocspFixture(t, now)
	s, err := a.NewOCSPSigner(context.Background(), ca.OCSPSignerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	other := newFixture(t, ca.Options{})
	if _, _, err := s.ForIssuer(other.auth.Issuer().Certificate()); err == nil {
		t.Fatal("signed for a foreign issuer")
	}
}

func TestOCSPSignerReplacesDamagedFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := &clock{t: time.Now()}
	a, layout, _, _ := ocspFixture(t, now)
	if err := os.WriteFile(layout.OCSPCert(), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(layout.OCSPKey()), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := a.NewOCSPSigner(ctx, ca.OCSPSignerOptions{Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	cert, _, _ := s.Current(ctx)
	onDisk, _ := os.ReadFile(layout.OCSPCert())
	if !containsDER(onDisk, cert.Raw) {
		t.Fatal("damaged responder file not replaced")
	}
}

func hasExtension(c *x509.Certificate, oid string) bool {
	return slices.ContainsFunc(c.Extensions, func(e pkix.Extension) bool { return e.Id.String() == oid })
}

func containsDER(pemData, der []byte) bool {
	certs, err := pemfile.ParseCertificates(mustDecode(pemData))
	return err == nil && len(certs) == 1 && bytes.Equal(certs[0].Raw, der)
}

func mustDecode(b []byte) []pemfile.Block {
	blocks, _ := pemfile.Decode(b)
	return blocks
}
