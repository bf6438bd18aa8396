// Package csr builds, parses and verifies PKCS#10 certificate signing requests (RFC 2986). It
// writes the subject exactly as package names encodes it and the subject alternative names in
// an extensionRequest attribute (RFC 2985 §5.4.2). It does not decide whether a request may be
// signed (package policy) and never sees a CA key.
package csr

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/anchorpki/anchor/names"
)

// Sentinel errors.
var (
	// ErrMalformed means the input is not a PKCS#10 request; the message gives the parser's reason.
	ErrMalformed = errors.New("csr: malformed certificate request")
	// ErrBadSignature means the request parses but its self-signature does not verify, so it
	// does not prove possession of the private key (RFC 2986 §3).
	ErrBadSignature = errors.New("csr: signature does not verify")
	// ErrUnsupportedKey is returned by Create for a key type or curve it does not sign with.
	ErrUnsupportedKey = errors.New("csr: unsupported key")
	// ErrEmpty is returned by Create for a request with neither a subject nor any SAN: nothing
	// could be certified from it.
	ErrEmpty = errors.New("csr: request has neither a subject nor a subject alternative name")
)

// Request is what a certificate signing request asks for, signed by Key.
type Request struct {
	Key     crypto.Signer    // the subject's private key; only its Sign and Public are used
	Subject pkix.RDNSequence // as names.ParseSubject returns it; may be empty if SANs is not
	SANs    names.SANs
}

// Create returns a DER PKCS#10 request signed by r.Key. The signature algorithm follows the key:
// ECDSA with SHA-256, SHA-384 or SHA-512 for P-256, P-384 or P-521 (RFC 5758 §3.2 pairs each curve
// with the hash of matching strength), RSA PKCS#1 v1.5 with SHA-256, and Ed25519 (RFC 8410).
func Create(r Request) ([]byte, error) {
	if r.Key == nil {
		return nil, fmt.Errorf("%w: no key", ErrUnsupportedKey)
	}
	alg, err := signatureAlgorithm(r.Key.Public())
	if err != nil {
		return nil, err
	}
	if len(r.Subject) == 0 && r.SANs.Len() == 0 {
		return nil, ErrEmpty
	}
	subject := r.Subject
	if subject == nil {
		subject = pkix.RDNSequence{}
	}
	// RawSubject keeps the string types names.ParseSubject chose; x509 would otherwise rebuild
	// the subject from pkix.Name and pick PrintableString where it can.
	rawSubject, err := asn1.Marshal(subject)
	if err != nil {
		return nil, fmt.Errorf("csr: encoding subject: %w", err)
	}
	tmpl := &x509.CertificateRequest{
		SignatureAlgorithm: alg,
		RawSubject:         rawSubject,
		DNSNames:           r.SANs.DNS,
		IPAddresses:        r.SANs.IP,
		EmailAddresses:     r.SANs.Email,
		URIs:               r.SANs.URI,
	}
	// x509 verifies the signature it was handed, so a Signer (HSM, agent) that signs with a
	// key other than its Public() fails here rather than at the CA.
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, r.Key)
	if err != nil {
		return nil, fmt.Errorf("csr: creating request: %w", err)
	}
	return der, nil
}

func signatureAlgorithm(pub crypto.PublicKey) (x509.SignatureAlgorithm, error) {
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		switch pub.Curve {
		case elliptic.P256():
			return x509.ECDSAWithSHA256, nil
		case elliptic.P384():
			return x509.ECDSAWithSHA384, nil
		case elliptic.P521():
			return x509.ECDSAWithSHA512, nil
		}
		return 0, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, pub.Curve.Params().Name)
	case *rsa.PublicKey:
		return x509.SHA256WithRSA, nil
	case ed25519.PublicKey:
		return x509.PureEd25519, nil
	}
	return 0, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}
