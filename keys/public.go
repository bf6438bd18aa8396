package keys

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TypeOf returns the Type of a public key. A key of another algorithm, curve or size (RSA-1024,
// RSA-8192, ECDSA P-521, X25519…) is an error wrapping ErrUnsupported: such keys parse, but the
// CA neither signs with them nor certifies them.
func TypeOf(pub crypto.PublicKey) (Type, error) {
	var t Type
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k != nil && k.Curve != nil {
			switch k.Curve.Params().Name {
			case "P-256":
				t = ECP256
			case "P-384":
				t = ECP384
			}
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			t = Ed25519
		}
	case *rsa.PublicKey:
		if k != nil && k.N != nil {
			switch k.N.BitLen() {
			case 2048:
				t = RSA2048
			case 3072:
				t = RSA3072
			case 4096:
				t = RSA4096
			}
		}
	}
	if t == "" {
		return "", fmt.Errorf("%w: %s key (supported: %s)", ErrUnsupported, Describe(pub), typeList())
	}
	return t, nil
}

// Describe names a public key for people: "ECDSA P-256", "RSA 4096", "Ed25519".
func Describe(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return "ECDSA"
		}
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return "RSA"
		}
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		if k != nil && k.Curve() == ecdh.X25519() {
			return "X25519"
		}
		return "ECDH"
	case nil:
		return "no key"
	default:
		return fmt.Sprintf("unknown (%T)", pub)
	}
}

// SubjectKeyID returns the key identifier of RFC 5280 §4.2.1.2 method (1): the SHA-1 hash of
// the value of the subjectPublicKey BIT STRING (without tag, length and unused-bits octet).
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %s public key: %v", ErrUnsupported, Describe(pub), err)
	}
	// SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
	s := cryptobyte.String(der)
	var spki cryptobyte.String
	var bits []byte
	if !s.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.SkipASN1(cbasn1.SEQUENCE) ||
		!spki.ReadASN1BitStringAsBytes(&bits) {
		return nil, fmt.Errorf("keys: encoding %s public key: unexpected SubjectPublicKeyInfo", Describe(pub))
	}
	sum := sha1.Sum(bits)
	return sum[:], nil
}
