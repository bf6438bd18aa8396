package verify

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPQuery says which responder to ask about which certificate.
type OCSPQuery struct {
	Cert, Issuer *x509.Certificate
	URL          string       // "": the certificate's first http:// AIA OCSP responder
	Client       *http.Client // nil: a client with a 10 s timeout
	At           time.Time    // when the responder certificate must be valid; zero: now
}

// ErrNoOCSPResponder is returned when no URL was given and the certificate names none.
var ErrNoOCSPResponder = errors.New("verify: the certificate names no http:// OCSP responder")

// QueryOCSP POSTs an OCSP request (RFC 6960, SHA-1 CertID as RFC 5019 requires) and returns the
// response only once it is shown to come from the issuer or a delegated responder the issuer
// certified for OCSPSigning (§4.2.2.2), about this serial. It does not judge the status or the
// freshness: that is the caller's decision, which Verify makes with Options.OCSP.
func QueryOCSP(ctx context.Context, q OCSPQuery) (*ocsp.Response, string, error) {
	cfg, err := newConfig(Options{At: q.At, HTTPClient: q.Client})
	if err != nil {
		return nil, "", err
	}
	url := q.URL
	if url == "" {
		for _, u := range q.Cert.OCSPServer {
			if strings.HasPrefix(u, "http://") {
				url = u
				break
			}
		}
		if url == "" {
			return nil, "", ErrNoOCSPResponder
		}
	}
	v := &verifier{ctx: ctx, cfg: cfg, rev: newRevocationCache()}
	resp, err := v.askOCSP(newCertInfo(q.Cert, false), newCertInfo(q.Issuer, true), url)
	return resp, url, err
}
