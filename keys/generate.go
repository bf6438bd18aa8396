package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
)

// Generate makes a new private key of type t. A nil rand means crypto/rand.
//
// Since Go 1.26 the standard library ignores rand for ECDSA and RSA and always uses a secure
// source (deterministic tests use testing/cryptotest.SetGlobalRandom); Ed25519 still reads its
// 32-byte seed from rand.
func Generate(t Type, rand io.Reader) (crypto.Signer, error) {
	if rand == nil {
		rand = cryptoRand
	}
	var (
		k   crypto.Signer
		err error
	)
	switch t {
	case ECP256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand)
	case ECP384:
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand)
	case Ed25519:
		_, k, err = ed25519.GenerateKey(rand)
	case RSA2048:
		k, err = rsa.GenerateKey(rand, 2048)
	case RSA3072:
		k, err = rsa.GenerateKey(rand, 3072)
	case RSA4096:
		k, err = rsa.GenerateKey(rand, 4096)
	default:
		return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownType, string(t), typeList())
	}
	if err != nil {
		return nil, fmt.Errorf("keys: generating %s key: %w", t, err)
	}
	return k, nil
}

// cryptoRand is crypto/rand.Reader under a name the io.Reader parameters do not shadow.
var cryptoRand = rand.Reader
