package tlsinspect

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/anchorpki/anchor/verify"
	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/revocation"
)

// Staple is a stapled OCSP response (RFC 6066 §8, status_request) as the server sent it, and
// whether it can be believed.
type Staple struct {
	Status     string     `json:"status"` // "good", "revoked", "unknown"; "" when it does not parse
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Reason     string     `json:"revocation_reason,omitempty"`
	ProducedAt time.Time  `json:"produced_at"`
	ThisUpdate time.Time  `json:"this_update"`
	NextUpdate *time.Time `json:"next_update,omitempty"` // nil: the responder gave none
	Responder  string     `json:"responder"`             // who signed it
	// Verified is true when the response is about the leaf, signed by its issuer or by a
	// responder the issuer certified for OCSPSigning (RFC 6960 §4.2.2.2), and current at the
	// verification time. Problem says why not.
	Verified bool   `json:"verified"`
	Problem  string `json:"problem,omitempty"`
	Size     int    `json:"size"` // bytes
}

// describeStaple parses and checks a stapled response about leaf. issuer may be nil when no
// certificate in the chain or the roots issued the leaf; the response then cannot be verified.
func describeStaple(raw []byte, leaf, issuer *x509.Certificate, at time.Time) *Staple {
	s := &Staple{Size: len(raw)}
	// Parse without an issuer and check the signer below: x/crypto would check an embedded
	// responder certificate against the issuer even when it is the issuer itself.
	r, err := ocsp.ParseResponseForCert(raw, leaf, nil)
	if err != nil {
		s.Problem = fmt.Sprintf("does not parse as an OCSP response about this leaf: %v", err)
		return s
	}
	s.Status = statusName(r.Status)
	if r.Status == ocsp.Revoked {
		t := r.RevokedAt.UTC()
		s.RevokedAt = &t
		s.Reason = revocation.Reason(r.RevocationReason).String()
	}
	s.ProducedAt, s.ThisUpdate = r.ProducedAt.UTC(), r.ThisUpdate.UTC()
	if !r.NextUpdate.IsZero() {
		t := r.NextUpdate.UTC()
		s.NextUpdate = &t
	}
	s.Responder = responderName(r)
	var signerErr error
	if issuer != nil {
		signerErr = verify.CheckOCSPSigner(r, issuer, at)
	}
	switch {
	case issuer == nil:
		s.Problem = "the leaf's issuer is neither in the chain sent nor among the roots, so the signature cannot be checked"
	case signerErr != nil:
		s.Problem = signerErr.Error()
	case r.ThisUpdate.After(at):
		s.Problem = "thisUpdate is after the verification time"
	case s.NextUpdate != nil && r.NextUpdate.Before(at):
		s.Problem = "stale: nextUpdate has passed"
	default:
		s.Verified = true
	}
	return s
}

func responderName(r *ocsp.Response) string {
	if r.Certificate != nil {
		return r.Certificate.Subject.String()
	}
	if len(r.RawResponderName) > 0 {
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(r.RawResponderName, &rdn); err == nil && len(rest) == 0 {
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			return n.String()
		}
	}
	return "key hash " + hex.EncodeToString(r.ResponderKeyHash)
}

func statusName(s int) string {
	switch s {
	case ocsp.Good:
		return "good"
	case ocsp.Revoked:
		return "revoked"
	case ocsp.Unknown:
		return "unknown"
	}
	return fmt.Sprintf("status %d", s)
}

// findIssuer picks the leaf's issuer: from the verified path when there is one, else the
// first certificate sent or trusted whose name and key match.
func findIssuer(leaf *x509.Certificate, path, sent, roots []*x509.Certificate) *x509.Certificate {
	if len(path) > 1 && leaf.CheckSignatureFrom(path[1]) == nil {
		return path[1]
	}
	for _, set := range [][]*x509.Certificate{sent, roots} {
		for _, c := range set {
			if bytes.Equal(c.RawSubject, leaf.RawIssuer) &&
				c.CheckSignature(leaf.SignatureAlgorithm, leaf.RawTBSCertificate, leaf.Signature) == nil {
				return c
			}
		}
	}
	return nil
}
