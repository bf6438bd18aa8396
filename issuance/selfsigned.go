package issuance

import (
	"crypto"
	"crypto/x509"
	"errors"
)

// NewSelfSigned returns an Issuer whose issuer name is each request's subject and whose key is the
// subject key. Requests must carry Signer.Public() as their PublicKey.
func NewSelfSigned(signer crypto.Signer, o Options) (*Issuer, error) {
	if signer == nil {
		return nil, errors.New("issuance: a signer is required")
	}
	alg, err := sigAlgFor(signer.Public())
	if err != nil {
		return nil, err
	}
	o.Signer = signer
	return &Issuer{signer: signer, alg: alg, o: withDefaults(o)}, nil
}

// Parse is x509.ParseCertificate, here so that callers of Sign need not import crypto/x509 only
// to read back what they were given.
func Parse(der []byte) (*x509.Certificate, error) { return x509.ParseCertificate(der) }
