package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"
)

func TestQueryOCSP(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Inter", ca: true}, root)
	delegate := issue(t, spec{cn: "OCSP Responder", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}, noSAN: true}, inter)
	impostor := issue(t, spec{cn: "Impostor", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, noSAN: true}, inter)
	answer := func(string) ocsp.Response {
		return ocsp.Response{Status: ocsp.Revoked, RevokedAt: t0.AddDate(0, 0, -1), RevocationReason: ocsp.Superseded}
	}
	good := httptest.NewServer(&responder{issuer: inter, signer: delegate, answer: answer})
	defer good.Close()
	bad := httptest.NewServer(&responder{issuer: inter, signer: impostor, answer: answer})
	defer bad.Close()
	leaf := issue(t, spec{cn: "leaf", mod: func(c *x509.Certificate) { c.OCSPServer = []string{good.URL} }}, inter)

	ctx := context.Background()
	resp, url, err := QueryOCSP(ctx, OCSPQuery{Cert: leaf.cert, Issuer: inter.cert, At: t0})
	if err != nil || url != good.URL {
		t.Fatalf("QueryOCSP via AIA: %v (url %q)", err, url)
	}
	if resp.Status != ocsp.Revoked || resp.RevocationReason != ocsp.Superseded || resp.SerialNumber.Cmp(leaf.cert.SerialNumber) != 0 {
		t.Fatalf("response = %+v", resp)
	}
	if _, _, err := QueryOCSP(ctx, OCSPQuery{Cert: leaf.cert, Issuer: inter.cert, URL: bad.URL, At: t0}); err == nil ||
		!strings.Contains(err.Error(), "lacks id-kp-OCSPSigning") {
		t.Fatalf("impostor responder accepted: %v", err)
	}
	noAIA := issue(t, spec{cn: "no aia"}, inter)
	if _, _, err := QueryOCSP(ctx, OCSPQuery{Cert: noAIA.cert, Issuer: inter.cert, At: t0}); !errors.Is(err, ErrNoOCSPResponder) {
		t.Fatalf("no responder: %v", err)
	}
}
