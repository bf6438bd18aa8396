package crl

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// algorithm is how one issuer key signs: the AlgorithmIdentifier written twice in the CRL
// (RFC 5280 §5.1.1.2 and §5.1.2.2 must match) and the hash the signer expects.
type algorithm struct {
	name string
	hash crypto.Hash // 0 for Ed25519, which signs the whole message (RFC 8032 §5.1.6)
	id   []byte      // DER AlgorithmIdentifier
}

// The algorithms x509.CreateRevocationList chooses for each key, so that a CRL from this package
// and one from the standard library carry the same identifiers. The ECDSA and Ed25519
// identifiers have absent parameters (RFC 5758 §3.2, RFC 8410 §3); the RSA one has NULL
// (RFC 4055 §5).
var (
	ecdsaSHA256 = algorithm{"ecdsa-with-SHA256", crypto.SHA256,
		[]byte{tagSequence, 10, tagOID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02}}
	ecdsaSHA384 = algorithm{"ecdsa-with-SHA384", crypto.SHA384,
		[]byte{tagSequence, 10, tagOID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03}}
	ecdsaSHA512 = algorithm{"ecdsa-with-SHA512", crypto.SHA512,
		[]byte{tagSequence, 10, tagOID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04}}
	rsaSHA256 = algorithm{"sha256WithRSAEncryption", crypto.SHA256,
		[]byte{tagSequence, 13, tagOID, 9, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00}}
	pureEd25519 = algorithm{"Ed25519", 0,
		[]byte{tagSequence, 5, tagOID, 3, 0x2b, 0x65, 0x70}}
)

// algorithmFor picks the signature algorithm from the issuer's public key.
func algorithmFor(pub crypto.PublicKey) (algorithm, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P224(), elliptic.P256():
			return ecdsaSHA256, nil
		case elliptic.P384():
			return ecdsaSHA384, nil
		case elliptic.P521():
			return ecdsaSHA512, nil
		}
		return algorithm{}, fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, k.Curve.Params().Name)
	case *rsa.PublicKey:
		return rsaSHA256, nil
	case ed25519.PublicKey:
		return pureEd25519, nil
	}
	return algorithm{}, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
}

// verify checks a signature the signer returned before it is published: a faulty HSM or a
// signer for the wrong key must not produce a CRL relying parties reject (x509.CreateCertificate
// checks the same way). signed is the digest, or the whole TBS for Ed25519.
func (a algorithm) verify(pub crypto.PublicKey, signed, sig []byte) error {
	ok := false
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, signed, sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, a.hash, signed, sig) == nil
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, signed, sig)
	}
	if !ok {
		return fmt.Errorf("%w (%s)", ErrBadSignature, a.name)
	}
	return nil
}
