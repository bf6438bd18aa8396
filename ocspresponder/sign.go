package ocspresponder

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"math/big"
	"slices"
	"time"

	"golang.org/x/crypto/ocsp"
)

// sign produces a new response asserting st for serial.
func (r *Responder) sign(iss *issuer, h crypto.Hash, serial *big.Int, st certState, now time.Time) (*entry, error) {
	cert, key, err := r.o.Signer(iss.cert)
	if err != nil {
		return nil, fmt.Errorf("getting the responder key for %s: %w", iss.cert.Subject, err)
	}
	if err := iss.checkResponder(cert, key, now); err != nil {
		return nil, err
	}
	// Whole minutes, as golang.org/x/crypto/ocsp sets producedAt: thisUpdate then never follows
	// producedAt, a client whose clock is a little behind still accepts the response, and
	// Last-Modified and the reuse window match the encoded value exactly.
	thisUpdate := now.UTC().Truncate(time.Minute)
	nextUpdate := thisUpdate.Add(r.o.Validity)
	responder := iss.cert
	if cert != nil {
		responder = cert
		// A response is verifiable only while its signer is valid: never promise longer.
		if na := cert.NotAfter.UTC().Truncate(time.Second); nextUpdate.After(na) {
			nextUpdate = na
		}
	}
	tmpl := ocsp.Response{
		Status:       st.status,
		SerialNumber: serial,
		ThisUpdate:   thisUpdate,
		NextUpdate:   nextUpdate,
		IssuerHash:   h, // RFC 6960 §4.2.1: the response repeats the request's CertID
		// RFC 6960 §4.2.1: revocationTime always; revocationReason is OPTIONAL, and encoding/asn1
		// omits the zero value, so unspecified (0) is left out as RFC 5280 §5.3.1 recommends.
		RevokedAt:        st.revokedAt,
		RevocationReason: st.reason,
		// RFC 6960 §4.2.2.2: a delegated responder's certificate travels in the response so
		// the client can check it was issued by the CA.
		Certificate: cert,
	}
	der, err := ocsp.CreateResponse(iss.cert, responder, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("signing response for serial %x: %w", serial, err)
	}
	sum := sha256.Sum256(der)
	return &entry{
		der:        der,
		state:      st,
		thisUpdate: thisUpdate,
		nextUpdate: nextUpdate,
		reuseUntil: thisUpdate.Add(nextUpdate.Sub(thisUpdate) / 2),
		etag:       `"` + hex.EncodeToString(sum[:16]) + `"`,
	}, nil
}

// checkResponder refuses a key that would produce responses clients reject: RFC 6960 §4.2.2.2
// accepts a signature by the CA itself, or by a certificate the CA issued directly with the
// id-kp-OCSPSigning extended key usage.
func (iss *issuer) checkResponder(cert *x509.Certificate, key crypto.Signer, now time.Time) error {
	if key == nil {
		return fmt.Errorf("%w: no key for %s", ErrResponderCert, iss.cert.Subject)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return fmt.Errorf("%w: key type %T", ErrResponderCert, key.Public())
	}
	if cert == nil {
		if !pub.Equal(iss.cert.PublicKey) {
			return fmt.Errorf("%w: no certificate given and the key is not the key of %s", ErrResponderCert, iss.cert.Subject)
		}
		return nil
	}
	switch {
	case !pub.Equal(cert.PublicKey):
		return fmt.Errorf("%w: key does not match %s", ErrResponderCert, cert.Subject)
	case !slices.Contains(cert.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning):
		return fmt.Errorf("%w: %s lacks the OCSPSigning extended key usage", ErrResponderCert, cert.Subject)
	case now.Before(cert.NotBefore) || now.After(cert.NotAfter):
		return fmt.Errorf("%w: %s is valid from %s to %s, not at %s", ErrResponderCert, cert.Subject,
			cert.NotBefore.UTC().Format(time.RFC3339), cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if v := iss.verified.Load(); v != nil && bytes.Equal(*v, cert.Raw) {
		return nil
	}
	if err := cert.CheckSignatureFrom(iss.cert); err != nil {
		return fmt.Errorf("%w: %s was not issued by %s: %v", ErrResponderCert, cert.Subject, iss.cert.Subject, err)
	}
	raw := cert.Raw
	iss.verified.Store(&raw)
	return nil
}
