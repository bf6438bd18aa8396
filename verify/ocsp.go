package verify

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// checkOCSP asks the certificate's OCSP responder (RFC 6960) and accepts only an answer
// signed by the issuer or by a delegated responder the issuer certified for OCSPSigning
// (§4.2.2.2), current at the verification time, for this serial. "unknown" and any network or
// protocol error fail the check: soft-fail would let an attacker who blocks the responder
// pass a revoked certificate.
func (p *pathCheck) checkOCSP(d int) {
	ci, issuer := p.chain[d], p.chain[d+1]
	var urls []string
	for _, u := range ci.c.OCSPServer {
		if strings.HasPrefix(u, "http://") {
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		p.addTail(d, CheckRevocationOCSP, Skip, "no http:// OCSP responder in authorityInfoAccess")
		return
	}
	a := p.v.queryOCSP(ci, issuer, urls)
	if a.err != nil {
		p.addTail(d, CheckRevocationOCSP, Fail, "%v", a.err)
		return
	}
	r := a.resp
	at := p.cfg.at
	switch {
	case r.ThisUpdate.After(at):
		p.addTail(d, CheckRevocationOCSP, Fail, "response from %s has thisUpdate %s, after the verification time", a.url, r.ThisUpdate.UTC().Format(time.RFC3339))
	case !r.NextUpdate.IsZero() && r.NextUpdate.Before(at):
		p.addTail(d, CheckRevocationOCSP, Fail, "response from %s is stale: nextUpdate %s passed %s before the verification time", a.url, r.NextUpdate.UTC().Format(time.RFC3339), span(at.Sub(r.NextUpdate)))
	case r.Status == ocsp.Revoked:
		p.addTail(d, CheckRevocationOCSP, Fail, "revoked on %s, reason %s, says %s", r.RevokedAt.UTC().Format(time.RFC3339), reasonName(r.RevocationReason), a.url)
	case r.Status == ocsp.Unknown:
		p.addTail(d, CheckRevocationOCSP, Fail, "%s answers \"unknown\": the responder does not know this certificate (RFC 6960 §2.2), so its status is undetermined", a.url)
	case r.Status == ocsp.Good:
		p.addTail(d, CheckRevocationOCSP, Pass, "%s answers \"good\" (thisUpdate %s)", a.url, r.ThisUpdate.UTC().Format(time.RFC3339))
	default:
		p.addTail(d, CheckRevocationOCSP, Fail, "%s answers with status %d", a.url, r.Status)
	}
}

// queryOCSP POSTs a request to each responder in turn until one gives a verified answer.
func (v *verifier) queryOCSP(ci, issuer *certInfo, urls []string) ocspAnswer {
	k := [2]*certInfo{ci, issuer}
	if a, ok := v.rev.ocsp[k]; ok {
		return a
	}
	var errs []error
	a := ocspAnswer{}
	for _, u := range urls {
		resp, err := v.askOCSP(ci, issuer, u)
		if err == nil {
			a = ocspAnswer{resp: resp, url: u}
			break
		}
		errs = append(errs, err)
	}
	if a.resp == nil {
		a.err = errors.Join(errs...)
	}
	v.rev.ocsp[k] = a
	return a
}

func (v *verifier) askOCSP(ci, issuer *certInfo, url string) (*ocsp.Response, error) {
	req, err := ocsp.CreateRequest(ci.c, issuer.c, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("OCSP request for %s: %w", url, err)
	}
	body, err := v.httpDo("POST", url, "application/ocsp-request", req)
	if err != nil {
		return nil, fmt.Errorf("OCSP %w", err)
	}
	// Parse without an issuer and verify the signer here: x/crypto would check an embedded
	// responder certificate against the issuer even when it is the issuer itself.
	resp, err := ocsp.ParseResponseForCert(body, ci.c, nil)
	if err != nil {
		return nil, fmt.Errorf("OCSP response from %s: %w", url, err)
	}
	if err := v.ocspSigner(resp, issuer); err != nil {
		return nil, fmt.Errorf("OCSP response from %s: %w", url, err)
	}
	return resp, nil
}

// ocspSigner applies CheckOCSPSigner at the verification time.
func (v *verifier) ocspSigner(resp *ocsp.Response, issuer *certInfo) error {
	return CheckOCSPSigner(resp, issuer.c, v.cfg.at)
}

// CheckOCSPSigner applies RFC 6960 §4.2.2.2 to a response about a certificate of issuer: the
// issuer signs it, or a certificate the issuer issued with the id-kp-OCSPSigning purpose,
// valid at at. A response parsed with ocsp.ParseResponseForCert has already been verified
// with the key of its embedded certificate; this decides whether that key may speak.
func CheckOCSPSigner(resp *ocsp.Response, issuer *x509.Certificate, at time.Time) error {
	iname := nameString(issuer.Subject.String())
	rc := resp.Certificate
	if rc == nil {
		if err := resp.CheckSignatureFrom(issuer); err != nil {
			return fmt.Errorf("signature does not verify with the key of %s: %w", iname, err)
		}
		return nil
	}
	if bytes.Equal(rc.RawSubjectPublicKeyInfo, issuer.RawSubjectPublicKeyInfo) {
		return nil
	}
	if err := issuer.CheckSignature(rc.SignatureAlgorithm, rc.RawTBSCertificate, rc.Signature); err != nil {
		return fmt.Errorf("responder certificate %s was not issued by %s: %w", nameString(rc.Subject.String()), iname, err)
	}
	ok := false
	for _, u := range rc.ExtKeyUsage {
		ok = ok || u == x509.ExtKeyUsageOCSPSigning
	}
	if !ok {
		return fmt.Errorf("responder certificate %s lacks id-kp-OCSPSigning (RFC 6960 §4.2.2.2)", nameString(rc.Subject.String()))
	}
	if at.Before(rc.NotBefore) || at.After(rc.NotAfter) {
		return fmt.Errorf("responder certificate %s is not valid at the verification time", nameString(rc.Subject.String()))
	}
	return nil
}
