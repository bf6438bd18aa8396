package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
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

// CheckKey signs a random message with the CA key and verifies the signature against the CA
// certificate's public key: can this issuer sign right now (a key on an HSM that went away, a
// key file swapped under a running server)? Health checks call it, so that only this package
// ever asks a CA key for a signature.
func (i *Issuer) CheckKey() error {
	msg := make([]byte, len(keyCheckPrefix), len(keyCheckPrefix)+32)
	copy(msg, keyCheckPrefix)
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	msg = append(msg, nonce...)
	pub := i.signer.Public()
	if i.cert != nil {
		pub = i.cert.PublicKey
	}
	if pub, ok := pub.(ed25519.PublicKey); ok {
		sig, err := i.signer.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			return fmt.Errorf("issuance: the CA key does not sign: %w", err)
		}
		if !ed25519.Verify(pub, msg, sig) {
			return ErrKeyUnusable
		}
		return nil
	}
	digest := sha256.Sum256(msg)
	sig, err := i.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("issuance: the CA key does not sign: %w", err)
	}
	var ok bool
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, digest[:], sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	default:
		return fmt.Errorf("issuance: unsupported CA key type %T", pub)
	}
	if !ok {
		return ErrKeyUnusable
	}
	return nil
}
