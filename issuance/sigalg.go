package issuance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrUnsupportedKey is returned for a signing key this CA cannot use.
var ErrUnsupportedKey = errors.New("issuance: unsupported signing key")

// sigAlg is a signature algorithm: its AlgorithmIdentifier DER and how to sign with it.
type sigAlg struct {
	name string
	oid  asn1.ObjectIdentifier
	null bool        // RSA PKCS#1 v1.5 identifiers carry explicit NULL parameters (RFC 4055 §5)
	hash crypto.Hash // 0 for Ed25519, which signs the message itself
	der  []byte      // AlgorithmIdentifier, encoded once
	std  x509.SignatureAlgorithm
}

var (
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidEd25519         = asn1.ObjectIdentifier{1, 3, 101, 112}
)

// sigAlgFor picks the algorithm for a CA key the way the Web PKI does: the hash matches the curve
// strength for ECDSA (RFC 5758 §3.2), SHA-256 for RSA, pure Ed25519 (RFC 8410).
func sigAlgFor(pub crypto.PublicKey) (*sigAlg, error) {
	var a sigAlg
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			a = sigAlg{name: "ECDSA-SHA256", oid: oidECDSAWithSHA256, hash: crypto.SHA256, std: x509.ECDSAWithSHA256}
		case elliptic.P384():
			a = sigAlg{name: "ECDSA-SHA384", oid: oidECDSAWithSHA384, hash: crypto.SHA384, std: x509.ECDSAWithSHA384}
		default:
			return nil, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA %d bits (minimum 2048)", ErrUnsupportedKey, k.N.BitLen())
		}
		a = sigAlg{name: "SHA256-RSA", oid: oidSHA256WithRSA, null: true, hash: crypto.SHA256, std: x509.SHA256WithRSA}
	case ed25519.PublicKey:
		a = sigAlg{name: "Ed25519", oid: oidEd25519, std: x509.PureEd25519}
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	var b cryptobyte.Builder
	a.marshal(&b)
	a.der = b.BytesOrPanic()
	return &a, nil
}

func (a *sigAlg) marshal(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(a.oid)
		if a.null {
			b.AddASN1NULL()
		}
	})
}

// sign signs message (a TBS) with signer according to a.
func (a *sigAlg) sign(signer crypto.Signer, rand interface{ Read([]byte) (int, error) }, message []byte) ([]byte, error) {
	if a.hash == 0 {
		return signer.Sign(rand, message, crypto.Hash(0))
	}
	h := a.hash.New()
	h.Write(message)
	return signer.Sign(rand, h.Sum(nil), a.hash)
}
