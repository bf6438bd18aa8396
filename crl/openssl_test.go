package crl_test

import (
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/store"
)

// TestOpenSSLAcceptsCRL has openssl parse, print and verify the CRLs, then use one to reject a
// revoked certificate while accepting an unrevoked one.
func TestOpenSSLAcceptsCRL(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	few := []store.Revocation{
		{Serial: big.NewInt(1), RevokedAt: revokedAt, Reason: 1},
		{Serial: hexInt(t, "ffffffffffffffffffffffffffffffffffffffff"), RevokedAt: revokedAt, Reason: 4},
		{Serial: big.NewInt(3), RevokedAt: revokedAt},
	}
	tests := []struct {
		name string
		kind string
		rows []store.Revocation
		want []string // in the -text output
	}{
		{"empty", "P-256", nil, []string{"No Revoked Certificates."}},
		{"few P-256", "P-256", few, []string{"Key Compromise", "Superseded", "FFFFFFFFFFFFFFFF"}},
		{"few P-384", "P-384", few, []string{"ecdsa-with-SHA384"}},
		{"few RSA", "RSA-2048", few, []string{"sha256WithRSAEncryption"}},
		{"few Ed25519", "Ed25519", few, []string{"ED25519"}},
		{"1k P-256", "P-256", randomRows(1000, 9), []string{"Revoked Certificates:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := testCA(t, tc.kind)
			der, err := crl.Create(t.Context(), &source{rows: tc.rows}, opts(c, 4660))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			write(t, dir, "crl.der", der)
			write(t, dir, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))

			text := testkit.Run(t, dir, openssl, "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-text").Stdout
			for _, s := range append([]string{"Version 2 (0x1)", "X509v3 CRL Number:", "4660", "X509v3 Authority Key Identifier:", "Next Update: Mar  8 12:00:00 2026 GMT"}, tc.want...) {
				if !strings.Contains(text, s) {
					t.Errorf("openssl crl -text lacks %q:\n%s", s, text)
				}
			}
			if got := strings.Count(text, "Serial Number:"); got != len(tc.rows) {
				t.Errorf("openssl lists %d serials; want %d", got, len(tc.rows))
			}
			if r := testkit.Run(t, dir, openssl, "crl", "-inform", "DER", "-in", "crl.der", "-noout", "-verify", "-CAfile", "ca.pem"); !strings.Contains(r.Combined(), "verify OK") {
				t.Errorf("openssl crl -verify: %s", r.Combined())
			}
			// Control: openssl does check the signature; one flipped signature bit fails it.
			der[len(der)-1] ^= 1
			write(t, dir, "bad.der", der)
			if r := testkit.Exec(t, dir, nil, openssl, "crl", "-inform", "DER", "-in", "bad.der", "-noout", "-verify", "-CAfile", "ca.pem"); strings.Contains(r.Combined(), "verify OK") {
				t.Errorf("openssl accepted a corrupted signature: %s", r.Combined())
			}
		})
	}
}

func TestOpenSSLVerifyUsesCRL(t *testing.T) {
	t.Parallel()
	openssl := testkit.OpenSSL(t)
	c := testCA(t, "P-256")
	revoked := newLeaf(t, c, hexInt(t, "8badf00d8badf00d8badf00d8badf00d"))
	good := newLeaf(t, c, hexInt(t, "600d600d600d600d"))
	rows := append(randomRows(100, 10), store.Revocation{Serial: revoked.SerialNumber, RevokedAt: revokedAt, Reason: 1})
	der, err := crl.Create(t.Context(), &source{rows: rows}, opts(c, 1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, dir, "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw}))
	write(t, dir, "crl.pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
	write(t, dir, "revoked.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: revoked.Raw}))
	write(t, dir, "good.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: good.Raw}))

	// -attime: the fixed thisUpdate, so the CRL is current whenever the test runs.
	args := []string{"verify", "-crl_check", "-attime", "1772370000", "-CAfile", "ca.pem", "-CRLfile", "crl.pem"}
	if r := testkit.Exec(t, dir, nil, openssl, append(args, "good.pem")...); r.ExitCode != 0 {
		t.Errorf("openssl verify of the unrevoked certificate: %s", r.Combined())
	}
	if r := testkit.Exec(t, dir, nil, openssl, append(args, "revoked.pem")...); r.ExitCode == 0 || !strings.Contains(r.Combined(), "certificate revoked") {
		t.Errorf("openssl verify of the revoked certificate: exit %d: %s", r.ExitCode, r.Combined())
	}
}

func write(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
