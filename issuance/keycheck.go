package issuance

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
)

// keyCheckPrefix starts every message CheckKey signs. With 32 random bytes after it, the message
// is neither DER nor a digest anyone chose, so the signature can never stand for a certificate,
// a CRL or an OCSP response.
const keyCheckPrefix = "anchor CA key check\x00"

// ErrKeyUnusable is returned by CheckKey when the CA key signs, but not what its certificate
// verifies.
var ErrKeyUnusable = errors.New("issuance: the CA key's signature does not verify with the CA certificate")

// CheckKey signs a random message with the CA key, as issuance signs (same algorithm and hash,
// so a KMS key limited to one algorithm passes exactly when issuance works), and verifies the
// signature against the CA certificate's public key: can this issuer sign right now (a key on
// an HSM that went away, a key file swapped under a running server)? Health checks call it, so
// that only this package ever asks a CA key for a signature. A self-signing issuer has no
// certificate yet and is checked against its own public key.
func (i *Issuer) CheckKey() error {
	msg := make([]byte, len(keyCheckPrefix), len(keyCheckPrefix)+32)
	copy(msg, keyCheckPrefix)
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	msg = append(msg, nonce...)
	sig, err := i.alg.sign(i.signer, rand.Reader, msg)
	if err != nil {
		return fmt.Errorf("issuance: the CA key does not sign: %w", err)
	}
	cert := i.cert
	if cert == nil {
		cert = &x509.Certificate{PublicKey: i.signer.Public()}
	}
	if err := cert.CheckSignature(i.alg.std, msg, sig); err != nil {
		return fmt.Errorf("%w (%v)", ErrKeyUnusable, err)
	}
	return nil
}
