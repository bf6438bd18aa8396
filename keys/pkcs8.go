package keys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// PEM block types written by this package.
const (
	pemPrivateKey          = "PRIVATE KEY"           // RFC 7468 §10: PKCS#8 PrivateKeyInfo
	pemEncryptedPrivateKey = "ENCRYPTED PRIVATE KEY" // RFC 7468 §11: EncryptedPrivateKeyInfo
)

// DefaultIterations is the PBKDF2-HMAC-SHA256 iteration count used when EncryptOptions gives
// none: OWASP's 2023 recommendation for that PRF.
const DefaultIterations = 600_000

// minIterations is RFC 8018 §4.2's recommended minimum.
const minIterations = 1000

// EncryptOptions tune MarshalEncryptedPEM. The zero value is the recommended setting.
type EncryptOptions struct {
	Iterations int       // PBKDF2 iterations; 0: DefaultIterations; otherwise at least 1000
	Rand       io.Reader // for the salt and IV; nil: crypto/rand
}

// MarshalPEM writes key as unencrypted PKCS#8 (RFC 5208), PEM type "PRIVATE KEY".
func MarshalPEM(key crypto.Signer) ([]byte, error) {
	der, err := marshalPKCS8(key)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// MarshalEncryptedPEM writes key as an RFC 5958 EncryptedPrivateKeyInfo, PEM type "ENCRYPTED
// PRIVATE KEY": PBES2 (RFC 8018) with PBKDF2-HMAC-SHA256 over a random 16-byte salt, and
// AES-256-CBC with a random IV — what `openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf
// hmacWithSHA256` writes and what `openssl pkey -passin file:F` reads. The passphrase is used as
// given (bytes, no normalisation), as openssl does; it must not be empty.
func MarshalEncryptedPEM(key crypto.Signer, passphrase []byte, o EncryptOptions) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("%w: refusing to encrypt a key with an empty passphrase", ErrPassphraseRequired)
	}
	iter := o.Iterations
	if iter == 0 {
		iter = DefaultIterations
	}
	if iter < minIterations || iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("keys: %d PBKDF2 iterations is outside %d..%d", o.Iterations, minIterations, maxPBKDF2Iterations)
	}
	rand := o.Rand
	if rand == nil {
		rand = cryptoRand
	}
	salt := make([]byte, 16)
	iv := make([]byte, aes256CBC.blockSize)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return nil, fmt.Errorf("keys: reading random salt: %w", err)
	}
	if _, err := io.ReadFull(rand, iv); err != nil {
		return nil, fmt.Errorf("keys: reading random IV: %w", err)
	}
	p := &pbes2{kdf: &pbkdf2KDF{salt: salt, iter: iter, prf: hmacWithSHA256}, cipher: aes256CBC, iv: iv}
	der, err := marshalPKCS8(key)
	if err != nil {
		return nil, err
	}
	defer clear(der)
	enc, err := encryptPKCS8(p, passphrase, der)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemEncryptedPrivateKey, Bytes: enc}), nil
}

func marshalPKCS8(key crypto.Signer) ([]byte, error) {
	if k, ok := key.(*ed25519.PrivateKey); ok && k != nil {
		key = *k // x509 takes the value type that ed25519.GenerateKey returns
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot export a %T as PKCS#8: %v", ErrUnsupported, key, err)
	}
	return der, nil
}

// encryptPKCS8 writes EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm
// AlgorithmIdentifier, encryptedData OCTET STRING } (RFC 5958 §3).
func encryptPKCS8(p *pbes2, passphrase, pkcs8 []byte) ([]byte, error) {
	ct, err := p.encrypt(passphrase, pkcs8)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		p.marshal(b)
		b.AddASN1OctetString(ct)
	})
	return b.Bytes()
}

// decryptPKCS8 returns the PrivateKeyInfo inside an EncryptedPrivateKeyInfo. The structure and
// algorithms are checked before the passphrase, so a damaged or unsupported file says so even
// when no passphrase was given.
func decryptPKCS8(der, passphrase []byte) ([]byte, error) {
	s := cryptobyte.String(der)
	var epki, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	var data []byte
	if !s.ReadASN1(&epki, cbasn1.SEQUENCE) || !s.Empty() || !epki.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) ||
		!epki.ReadASN1Bytes(&data, cbasn1.OCTET_STRING) || !epki.Empty() {
		return nil, malformed("encrypted PKCS#8 is not {encryptionAlgorithm, encryptedData}")
	}
	if !oid.Equal(oidPBES2) {
		return nil, unsupportedOID("key encryption scheme", oid)
	}
	p, err := parsePBES2(alg)
	if err != nil {
		return nil, err
	}
	plain, err := p.decrypt(passphrase, data)
	if err != nil {
		return nil, err
	}
	// Noise that happens to end in valid padding is not a PrivateKeyInfo.
	if sniff(plain) != formatPKCS8 {
		clear(plain)
		return nil, ErrWrongPassphrase
	}
	return plain, nil
}
