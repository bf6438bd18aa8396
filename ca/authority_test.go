package ca_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

// fixture is a real hierarchy on a real SQLite inventory in a temporary directory.
type fixture struct {
	db   *store.DB
	h    *ca.Hierarchy
	auth *ca.Authority
	lint *lint.Linter
}

func newFixture(t testing.TB, o ca.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h, err := ca.NewHierarchy(ctx, ca.HierarchyOptions{Name: "Test", Linter: l, Inventory: db, BaseURL: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	layout := ca.Layout{Dir: dir}
	if err := layout.Save(h, nil); err != nil {
		t.Fatal(err)
	}
	loaded, err := layout.Load(ca.LoadOptions{Linter: l, BaseURL: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	o.Inventory, o.Issuer = db, loaded.Issuer
	a, err := ca.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, h: h, auth: a, lint: l}
}

func serverRequest(t testing.TB, dnsNames ...string) ca.Request {
	t.Helper()
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	sans, err := names.ParseSANs(dnsNames)
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: dnsNames[0]}}})
	return ca.Request{PublicKey: k.Public(), Subject: subj, SANs: sans, Profile: "server", Requester: "test"}
}

func TestIssueRecordsBeforeReturning(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{})
	got, err := f.auth.Issue(context.Background(), serverRequest(t, "a.example.com", "10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.db.Get(context.Background(), f.auth.Issuer().KeyID(), got.Certificate.SerialNumber)
	if err != nil {
		t.Fatalf("issued certificate not in inventory: %v", err)
	}
	if rec.Status != store.StatusValid || !bytes.Equal(rec.DER, got.DER) {
		t.Fatalf("inventory row status %s, DER equal %v", rec.Status, bytes.Equal(rec.DER, got.DER))
	}
	if !slices.Contains(rec.SANs, "a.example.com") || !slices.Contains(rec.SANs, "10.0.0.1") || rec.Requester != "test" {
		t.Fatalf("inventory row = %+v", rec)
	}
	// The certificate chains to the root as a TLS client would check it.
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(f.h.Root)
	inter.AddCert(f.h.Intermediate)
	if _, err := got.Certificate.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "a.example.com"}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got.Certificate.OCSPServer[0] != "http://127.0.0.1:8080/ocsp" || got.Certificate.CRLDistributionPoints[0] != "http://127.0.0.1:8080/crl/intermediate.crl" {
		t.Fatalf("revocation pointers: %v %v", got.Certificate.OCSPServer, got.Certificate.CRLDistributionPoints)
	}
}

// TestProfilesAreLintClean is acceptance point 5: no error or warning from the RFC 5280, RFC 3279
// and community lints on any certificate, and no error from the CA/Browser Forum lints on a
// server certificate except the documented private-CA exemptions.
func TestProfilesAreLintClean(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{})
	server, err := f.auth.Issue(context.Background(), serverRequest(t, "www.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	clientReq := serverRequest(t, "alice@example.com")
	clientReq.Profile = "client"
	client, err := f.auth.Issue(context.Background(), clientReq)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		der  []byte
	}{{"root", f.h.Root.Raw}, {"intermediate", f.h.Intermediate.Raw}, {"server", server.DER}, {"client", client.DER}} {
		findings, err := f.lint.Report(c.der)
		if err != nil {
			t.Fatal(err)
		}
		for _, fd := range findings {
			strict := fd.Source == "RFC5280" || fd.Source == "RFC3279" || fd.Source == "Community"
			if strict && (fd.Status == "warn" || fd.Status == "error" || fd.Status == "fatal") {
				t.Errorf("%s: %s", c.name, fd)
			}
			if fd.Source == "CABF_BR" && (fd.Status == "error" || fd.Status == "fatal") && !fd.Exempt {
				t.Errorf("%s: %s", c.name, fd)
			}
		}
	}
}

func TestIssueRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{Policy: &policy.Policy{AllowedDNS: []string{"svc.internal"}}})
	ctx := context.Background()
	tests := []struct {
		name    string
		req     func() ca.Request
		wantErr error
	}{
		{"outside allowed domain", func() ca.Request { return serverRequest(t, "www.example.com") }, policy.ErrRejected},
		{"root profile", func() ca.Request { r := serverRequest(t, "a.svc.internal"); r.Profile = "root"; return r }, ca.ErrProfileNotIssuable},
		{"too long", func() ca.Request {
			r := serverRequest(t, "a.svc.internal")
			r.NotAfter = time.Now().Add(400 * 24 * time.Hour)
			return r
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.auth.Issue(ctx, tc.req())
			if err == nil {
				t.Fatal("issued; want refusal")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	list, _, err := f.db.List(ctx, store.Filter{Profile: "server"})
	if err != nil || len(list) != 0 {
		t.Fatalf("refused requests left rows: %d, %v", len(list), err)
	}
}

// constReader returns the same byte forever: a broken random source that repeats serials.
type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// TestNeverTwoCertificatesWithOneSerial forces every serial to repeat: the second issuance must
// fail rather than sign a second certificate under the first one's serial.
func TestNeverTwoCertificatesWithOneSerial(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{Rand: constReader(0x42)})
	ctx := context.Background()
	if _, err := f.auth.Issue(ctx, serverRequest(t, "one.example.com")); err != nil {
		t.Fatal(err)
	}
	_, err := f.auth.Issue(ctx, serverRequest(t, "two.example.com"))
	if !errors.Is(err, store.ErrSerialExists) {
		t.Fatalf("second issuance with a repeated serial: err = %v, want ErrSerialExists", err)
	}
	list, _, _ := f.db.List(ctx, store.Filter{Profile: "server"})
	if len(list) != 1 || !slices.Contains(list[0].SANs, "one.example.com") {
		t.Fatalf("inventory after collision: %+v", list)
	}
}

func TestConcurrentIssuanceAllRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{})
	ctx := context.Background()
	const n = 40
	var wg sync.WaitGroup
	serials := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := f.auth.Issue(ctx, serverRequest(t, "c.example.com"))
			if err != nil {
				t.Error(err)
				return
			}
			serials <- got.Serial
		}()
	}
	wg.Wait()
	close(serials)
	seen := map[string]bool{}
	for s := range serials {
		if seen[s] {
			t.Fatalf("serial %s issued twice", s)
		}
		seen[s] = true
	}
	list, _, err := f.db.List(ctx, store.Filter{SAN: "c.example.com"})
	if err != nil || len(list) != n {
		t.Fatalf("inventory has %d rows (err %v), want %d", len(list), err, n)
	}
}

func TestSaveRefusesExistingCA(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{})
	dir := t.TempDir()
	layout := ca.Layout{Dir: dir}
	if err := layout.Save(f.h, nil); err != nil {
		t.Fatal(err)
	}
	err := layout.Save(f.h, nil)
	if !errors.Is(err, ca.ErrExists) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Save: %v", err)
	}
}

// A policy's maximum lifetime applies to the lifetime the certificate would actually get,
// including the profile's default when the request names none.
func TestPolicyMaxValidityCoversDefaults(t *testing.T) {
	t.Parallel()
	f := newFixture(t, ca.Options{Policy: &policy.Policy{MaxValidity: 30 * 24 * time.Hour}})
	_, err := f.auth.Issue(context.Background(), serverRequest(t, "short.example.com")) // default: 90 days
	if rej, ok := errors.AsType[*policy.RejectedError](err); !ok || rej.Kind != policy.KindValidity {
		t.Fatalf("a 90-day default under a 30-day policy: %v", err)
	}
	req := serverRequest(t, "short.example.com")
	req.NotAfter = time.Now().Add(30*24*time.Hour - time.Hour)
	if _, err := f.auth.Issue(context.Background(), req); err != nil {
		t.Fatalf("29 days under a 30-day policy: %v", err)
	}
}
