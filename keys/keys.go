// Package keys is the only code in Anchor that generates, parses or serialises private keys.
// It names the key types the CA issues for (Type), generates them, writes them as PKCS#8 PEM —
// plain, or encrypted with PBES2 so that `openssl pkey -passin file:F` reads them — and reads
// back what Anchor and openssl write: PKCS#8 (plain and encrypted), PKCS#1, SEC1 and legacy
// encrypted PEM, as PEM or DER.
//
// Parsing is deliberately wider than issuing: ParsePrivateKey returns any usable signing key
// (RSA-1024, ECDSA P-521…), while TypeOf reports ErrUnsupported for keys outside Types, which is
// what policy checks before the CA signs for or with such a key.
//
// Errors never contain key material; they wrap one of the sentinels below.
package keys

import (
	"errors"
	"fmt"
	"strings"
)

// Type is a kind of key Anchor generates and issues certificates for.
type Type string

// The key types, as written on the command line and in CA metadata.
const (
	ECP256  Type = "ec-p256"
	ECP384  Type = "ec-p384"
	Ed25519 Type = "ed25519"
	RSA2048 Type = "rsa-2048"
	RSA3072 Type = "rsa-3072"
	RSA4096 Type = "rsa-4096"
)

// DefaultType is the type used when none is given: fast, small, and accepted everywhere.
const DefaultType = ECP256

var allTypes = []Type{ECP256, ECP384, Ed25519, RSA2048, RSA3072, RSA4096}

var (
	// ErrUnknownType is a type name that is not one of Types.
	ErrUnknownType = errors.New("keys: unknown key type")
	// ErrUnsupported is a key, curve, size or encryption algorithm this package does not handle.
	// The message names it, with its OID when it has one.
	ErrUnsupported = errors.New("keys: unsupported")
	// ErrMalformed is input that is not a well-formed private key; the message says what is wrong.
	ErrMalformed = errors.New("keys: malformed private key")
	// ErrPassphraseRequired is an encrypted key read without a passphrase.
	ErrPassphraseRequired = errors.New("keys: the private key is encrypted and no passphrase was given")
	// ErrWrongPassphrase is an encrypted key that does not decrypt with the passphrase given (or
	// whose ciphertext is corrupted: the two cannot be told apart).
	ErrWrongPassphrase = errors.New("keys: wrong passphrase")
)

// Types returns every Type, in the order help texts list them.
func Types() []Type { return append([]Type(nil), allTypes...) }

// ParseType returns the Type named s (case-insensitive). An unknown name is an error wrapping
// ErrUnknownType that lists the valid ones.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToLower(s))
	if t.valid() {
		return t, nil
	}
	return "", fmt.Errorf("%w %q (valid: %s)", ErrUnknownType, s, typeList())
}

func (t Type) valid() bool {
	for _, v := range allTypes {
		if t == v {
			return true
		}
	}
	return false
}

func typeList() string {
	names := make([]string, len(allTypes))
	for i, t := range allTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}
