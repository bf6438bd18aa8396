package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"fmt"
	"hash"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	"golang.org/x/crypto/scrypt"
)

// PBES2 (RFC 8018 §6.2): a key derivation function turns the passphrase into a cipher key, and a
// CBC cipher encrypts the DER PrivateKeyInfo. This file holds the algorithms and their
// AlgorithmIdentifier encodings; pkcs8.go puts them together.

var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11} // RFC 7914 §7
)

// Limits on the work a key file can demand before we know the passphrase is right. openssl
// writes 2048 PBKDF2 iterations and scrypt N=16384, r=8 (16 MiB); Anchor writes 600,000.
const (
	maxPBKDF2Iterations = 10_000_000
	maxScryptMemory     = 64 << 20 // bytes; openssl's own default limit is 32 MiB
)

// prf is a PBKDF2 pseudo-random function (RFC 8018 Appendix B.1.2).
type prf struct {
	oid  asn1.ObjectIdentifier
	name string
	hash func() hash.Hash
}

var (
	hmacWithSHA1   = &prf{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}, "hmacWithSHA1", sha1.New}
	hmacWithSHA256 = &prf{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, "hmacWithSHA256", sha256.New}
	prfs           = []*prf{
		hmacWithSHA1,
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}, "hmacWithSHA224", sha256.New224},
		hmacWithSHA256,
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}, "hmacWithSHA384", sha512.New384},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}, "hmacWithSHA512", sha512.New},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 12}, "hmacWithSHA512-224", sha512.New512_224},
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 13}, "hmacWithSHA512-256", sha512.New512_256},
	}
)

// cbc is a block cipher in CBC mode with PKCS#7 padding; its parameters are the IV.
type cbc struct {
	oid       asn1.ObjectIdentifier
	name      string
	keyLen    int
	blockSize int // also the IV size
	block     func(key []byte) (cipher.Block, error)
}

var (
	aes256CBC = &cbc{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, "aes-256-cbc", 32, aes.BlockSize, aes.NewCipher}
	ciphers   = []*cbc{
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}, "aes-128-cbc", 16, aes.BlockSize, aes.NewCipher},
		{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}, "aes-192-cbc", 24, aes.BlockSize, aes.NewCipher},
		aes256CBC,
		{asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}, "des-ede3-cbc", 24, des.BlockSize, des.NewTripleDESCipher},
	}
)

// kdf derives a cipher key from a passphrase and can write its own AlgorithmIdentifier.
type kdf interface {
	derive(passphrase []byte, keyLen int) ([]byte, error)
	marshal(b *cryptobyte.Builder)
}

// pbkdf2KDF is PBKDF2-params (RFC 8018 Appendix A.2). keyLength is never written: every
// cipher here has a fixed key size, and openssl omits it too.
type pbkdf2KDF struct {
	salt []byte
	iter int
	prf  *prf
}

func (k *pbkdf2KDF) derive(passphrase []byte, keyLen int) ([]byte, error) {
	return pbkdf2.Key(k.prf.hash, string(passphrase), k.salt, k.iter, keyLen)
}

func (k *pbkdf2KDF) marshal(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidPBKDF2)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(k.salt)
			b.AddASN1Int64(int64(k.iter))
			if k.prf != hmacWithSHA1 { // DEFAULT algid-hmacWithSHA1: DER omits it
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(k.prf.oid)
					b.AddASN1NULL()
				})
			}
		})
	})
}

// scryptKDF is scrypt-params (RFC 7914 §7).
type scryptKDF struct {
	salt    []byte
	n, r, p int
}

func (k *scryptKDF) derive(passphrase []byte, keyLen int) ([]byte, error) {
	return scrypt.Key(passphrase, k.salt, k.n, k.r, k.p, keyLen)
}

func (k *scryptKDF) marshal(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidScrypt)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1OctetString(k.salt)
			b.AddASN1Int64(int64(k.n))
			b.AddASN1Int64(int64(k.r))
			b.AddASN1Int64(int64(k.p))
		})
	})
}

// pbes2 is a parsed PBES2-params.
type pbes2 struct {
	kdf    kdf
	cipher *cbc
	iv     []byte
}

// marshal writes the AlgorithmIdentifier {id-PBES2, PBES2-params}.
func (p *pbes2) marshal(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(oidPBES2)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			p.kdf.marshal(b)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(p.cipher.oid)
				b.AddASN1OctetString(p.iv)
			})
		})
	})
}

// parsePBES2 reads PBES2-params ::= SEQUENCE { keyDerivationFunc, encryptionScheme }.
func parsePBES2(params cryptobyte.String) (*pbes2, error) {
	var seq, kdfAlg, encAlg cryptobyte.String
	var kdfOID, encOID asn1.ObjectIdentifier
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() ||
		!seq.ReadASN1(&kdfAlg, cbasn1.SEQUENCE) || !kdfAlg.ReadASN1ObjectIdentifier(&kdfOID) ||
		!seq.ReadASN1(&encAlg, cbasn1.SEQUENCE) || !encAlg.ReadASN1ObjectIdentifier(&encOID) || !seq.Empty() {
		return nil, malformed("PBES2 parameters are not a {keyDerivationFunc, encryptionScheme} sequence")
	}
	var p pbes2
	for _, c := range ciphers {
		if c.oid.Equal(encOID) {
			p.cipher = c
		}
	}
	if p.cipher == nil {
		return nil, unsupportedOID("PBES2 encryption scheme", encOID)
	}
	if !encAlg.ReadASN1Bytes(&p.iv, cbasn1.OCTET_STRING) || !encAlg.Empty() || len(p.iv) != p.cipher.blockSize {
		return nil, malformed(fmt.Sprintf("%s parameters are not a %d-byte IV", p.cipher.name, p.cipher.blockSize))
	}
	var err error
	switch {
	case kdfOID.Equal(oidPBKDF2):
		p.kdf, err = parsePBKDF2(kdfAlg, p.cipher)
	case kdfOID.Equal(oidScrypt):
		p.kdf, err = parseScrypt(kdfAlg, p.cipher)
	default:
		return nil, unsupportedOID("PBES2 key derivation function", kdfOID)
	}
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// parsePBKDF2 reads PBKDF2-params ::= SEQUENCE { salt CHOICE { specified OCTET STRING,
// otherSource AlgorithmIdentifier }, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
// prf AlgorithmIdentifier DEFAULT algid-hmacWithSHA1 }.
func parsePBKDF2(params cryptobyte.String, c *cbc) (kdf, error) {
	var seq cryptobyte.String
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() {
		return nil, malformed("PBKDF2 parameters are not a sequence")
	}
	k := &pbkdf2KDF{prf: hmacWithSHA1}
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		return nil, fmt.Errorf("%w: PBKDF2 salt from another source (only a specified salt is supported)", ErrUnsupported)
	}
	var keyLen int
	if !seq.ReadASN1Bytes(&k.salt, cbasn1.OCTET_STRING) || !seq.ReadASN1Integer(&k.iter) ||
		!seq.ReadOptionalASN1Integer(&keyLen, cbasn1.INTEGER, 0) {
		return nil, malformed("PBKDF2 parameters: salt, iteration count or key length missing or not DER")
	}
	if k.iter < 1 || k.iter > maxPBKDF2Iterations {
		return nil, fmt.Errorf("%w: %d PBKDF2 iterations (at most %d are accepted)", ErrUnsupported, k.iter, maxPBKDF2Iterations)
	}
	if keyLen != 0 && keyLen != c.keyLen {
		return nil, malformed(fmt.Sprintf("PBKDF2 key length %d does not fit %s (%d bytes)", keyLen, c.name, c.keyLen))
	}
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		var alg cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !seq.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&oid) {
			return nil, malformed("PBKDF2 pseudo-random function is not an AlgorithmIdentifier")
		}
		k.prf = nil
		for _, p := range prfs {
			if p.oid.Equal(oid) {
				k.prf = p
			}
		}
		if k.prf == nil {
			return nil, unsupportedOID("PBKDF2 pseudo-random function", oid)
		}
		if !alg.Empty() && (!alg.SkipASN1(cbasn1.NULL) || !alg.Empty()) {
			return nil, malformed(k.prf.name + " parameters are not NULL")
		}
	}
	if !seq.Empty() {
		return nil, malformed("trailing data in PBKDF2 parameters")
	}
	return k, nil
}

// parseScrypt reads scrypt-params ::= SEQUENCE { salt OCTET STRING, costParameter INTEGER,
// blockSize INTEGER, parallelizationParameter INTEGER, keyLength INTEGER OPTIONAL }.
func parseScrypt(params cryptobyte.String, c *cbc) (kdf, error) {
	var seq cryptobyte.String
	k := &scryptKDF{}
	var keyLen int
	if !params.ReadASN1(&seq, cbasn1.SEQUENCE) || !params.Empty() ||
		!seq.ReadASN1Bytes(&k.salt, cbasn1.OCTET_STRING) || !seq.ReadASN1Integer(&k.n) ||
		!seq.ReadASN1Integer(&k.r) || !seq.ReadASN1Integer(&k.p) ||
		!seq.ReadOptionalASN1Integer(&keyLen, cbasn1.INTEGER, 0) || !seq.Empty() {
		return nil, malformed("scrypt parameters are not {salt, N, r, p[, keyLength]}")
	}
	if k.n < 2 || k.n&(k.n-1) != 0 || k.r < 1 || k.p < 1 {
		return nil, malformed(fmt.Sprintf("scrypt parameters N=%d r=%d p=%d are invalid", k.n, k.r, k.p))
	}
	// Memory is 128·r·(N+p) bytes; time grows with 128·N·r·p, limited here to 16 passes over the
	// memory limit. Dividing first keeps the products from overflowing.
	if k.r > maxScryptMemory/128 || k.n > maxScryptMemory/128/k.r || k.p > 16*maxScryptMemory/128/k.n/k.r ||
		128*k.r*(k.n+k.p) > maxScryptMemory {
		return nil, fmt.Errorf("%w: scrypt parameters N=%d r=%d p=%d need more than %d MiB or 16 passes over it",
			ErrUnsupported, k.n, k.r, k.p, maxScryptMemory>>20)
	}
	if keyLen != 0 && keyLen != c.keyLen {
		return nil, malformed(fmt.Sprintf("scrypt key length %d does not fit %s (%d bytes)", keyLen, c.name, c.keyLen))
	}
	return k, nil
}

// encrypt derives the key and CBC-encrypts plaintext with PKCS#7 padding.
func (p *pbes2) encrypt(passphrase, plaintext []byte) ([]byte, error) {
	block, err := p.block(passphrase)
	if err != nil {
		return nil, err
	}
	bs := p.cipher.blockSize
	pad := bs - len(plaintext)%bs
	out := make([]byte, len(plaintext)+pad)
	copy(out, plaintext)
	for i := len(plaintext); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, p.iv).CryptBlocks(out, out)
	return out, nil
}

// decrypt checks the ciphertext length, then derives the key, decrypts and removes the padding,
// so that a damaged file is reported as such even without a passphrase. Bad padding is ErrWrongPassphrase:
// with a wrong key the last block decrypts to noise, which is valid padding only by chance
// (about 1 in 256), so callers also check that the plaintext parses.
func (p *pbes2) decrypt(passphrase, ciphertext []byte) ([]byte, error) {
	bs := p.cipher.blockSize
	if len(ciphertext) == 0 || len(ciphertext)%bs != 0 {
		return nil, malformed(fmt.Sprintf("encrypted data is %d bytes, not a positive multiple of the %s block size", len(ciphertext), p.cipher.name))
	}
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	block, err := p.block(passphrase)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, p.iv).CryptBlocks(out, ciphertext)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs {
		clear(out)
		return nil, ErrWrongPassphrase
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			clear(out)
			return nil, ErrWrongPassphrase
		}
	}
	return out[:len(out)-pad], nil
}

func (p *pbes2) block(passphrase []byte) (cipher.Block, error) {
	key, err := p.kdf.derive(passphrase, p.cipher.keyLen)
	if err != nil {
		return nil, fmt.Errorf("%w: deriving the %s key: %v", ErrUnsupported, p.cipher.name, err)
	}
	defer clear(key)
	return p.cipher.block(key)
}
