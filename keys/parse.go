package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/anchorpki/anchor/pemfile"
)

// ParsePrivateKey reads one private key from PEM or DER (detected from the content, not the
// PEM label) in any of these forms:
//
//   - PKCS#8 PrivateKeyInfo ("PRIVATE KEY"), as MarshalPEM and `openssl genpkey` write;
//   - PKCS#8 EncryptedPrivateKeyInfo ("ENCRYPTED PRIVATE KEY") with PBES2: PBKDF2
//     (hmacWithSHA1/224/256/384/512) or scrypt, and AES-128/192/256-CBC or DES-EDE3-CBC;
//   - PKCS#1 ("RSA PRIVATE KEY") and SEC1 ("EC PRIVATE KEY"), skipping the "EC PARAMETERS"
//     block `openssl ecparam -genkey` writes first;
//   - legacy OpenSSL encryption of those (Proc-Type: 4,ENCRYPTED and DEK-Info headers).
//
// In PEM input the first private key block counts and other blocks (certificates…) are
// skipped, but a block that does not decode is an error (package pemfile reads the PEM).
// A passphrase is needed only for encrypted keys, and an empty one counts as none. Errors wrap
// ErrPassphraseRequired, ErrWrongPassphrase, ErrUnsupported (naming the algorithm and its OID)
// or ErrMalformed (saying what is wrong).
//
// The key returned can sign: RSA keys are validated and precomputed, and RSA keys below 1024
// bits, which Go refuses to sign with, are ErrUnsupported. It may still be a key the CA does not
// use (RSA-1024, P-521): TypeOf tells, and policy refuses it.
func ParsePrivateKey(data, passphrase []byte) (crypto.Signer, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, malformed("empty input")
	}
	// One DER SEQUENCE spanning the input is DER even if its bytes happen to contain a BEGIN line.
	s := cryptobyte.String(data)
	if !bytes.Contains(data, []byte("-----BEGIN")) || s.SkipASN1(cbasn1.SEQUENCE) && s.Empty() {
		return parseDER(data, passphrase)
	}
	blocks, err := pemfile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return parsePEM(blocks, passphrase)
}

// PEM labels that hold a private key; parseDER decides from the DER what it really is.
var keyPEMTypes = map[string]bool{
	pemPrivateKey: true, pemEncryptedPrivateKey: true, "RSA PRIVATE KEY": true, "EC PRIVATE KEY": true,
}

// parsePEM parses the first block that holds a private key, skipping others ("EC PARAMETERS",
// "CERTIFICATE"…).
func parsePEM(blocks []pemfile.Block, passphrase []byte) (crypto.Signer, error) {
	var seen []string
	for _, b := range blocks {
		switch {
		case keyPEMTypes[b.Type]:
			if b.Headers["Proc-Type"] != "" || b.Headers["DEK-Info"] != "" {
				return parseLegacyEncrypted(&pem.Block{Type: b.Type, Headers: b.Headers, Bytes: b.Bytes}, passphrase)
			}
			return parseDER(b.Bytes, passphrase)
		case strings.HasSuffix(b.Type, "PRIVATE KEY"): // DSA, OPENSSH…
			return nil, fmt.Errorf("%w: PEM type %q", ErrUnsupported, b.Type)
		}
		seen = append(seen, b.Type)
	}
	if len(seen) == 0 {
		return nil, malformed("no PEM block")
	}
	return nil, malformed(fmt.Sprintf("no private key in the PEM data (found: %s)", strings.Join(seen, ", ")))
}

// legacyCiphers are the DEK-Info modes x509.DecryptPEMBlock implements.
var legacyCiphers = map[string]bool{
	"DES-CBC": true, "DES-EDE3-CBC": true, "AES-128-CBC": true, "AES-192-CBC": true, "AES-256-CBC": true,
}

// parseLegacyEncrypted reads OpenSSL's pre-PKCS#8 encryption (RFC 1423 headers, MD5-based key
// derivation). Anchor never writes it; reading it lets old keys be converted.
func parseLegacyEncrypted(block *pem.Block, passphrase []byte) (crypto.Signer, error) {
	mode, _, ok := strings.Cut(block.Headers["DEK-Info"], ",")
	if !ok {
		return nil, malformed("legacy encrypted PEM without a DEK-Info header naming cipher and IV")
	}
	if !legacyCiphers[mode] {
		return nil, fmt.Errorf("%w: legacy PEM encryption %q", ErrUnsupported, mode)
	}
	if len(passphrase) == 0 {
		return nil, ErrPassphraseRequired
	}
	der, err := x509.DecryptPEMBlock(block, passphrase) //nolint:staticcheck // SA1019: reading old keys is the point
	if errors.Is(err, x509.IncorrectPasswordError) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, malformed("legacy encrypted PEM: " + err.Error())
	}
	defer clear(der)
	if f := sniff(der); f == formatUnknown || f == formatEncryptedPKCS8 {
		return nil, ErrWrongPassphrase // noise with valid padding by chance
	}
	return parseDER(der, nil)
}

// format is what a DER private key structure looks like from its first two elements.
type format int

const (
	formatUnknown        format = iota
	formatPKCS8                 // SEQUENCE { INTEGER, SEQUENCE, OCTET STRING … }
	formatEncryptedPKCS8        // SEQUENCE { SEQUENCE, OCTET STRING }
	formatPKCS1                 // SEQUENCE { INTEGER, INTEGER … }
	formatSEC1                  // SEQUENCE { INTEGER, OCTET STRING … }
)

func sniff(der []byte) format {
	s := cryptobyte.String(der)
	var seq, skip cryptobyte.String
	var first, second cbasn1.Tag
	if !s.ReadASN1(&seq, cbasn1.SEQUENCE) || !s.Empty() ||
		!seq.ReadAnyASN1(&skip, &first) || !seq.ReadAnyASN1(&skip, &second) {
		return formatUnknown
	}
	switch {
	case first == cbasn1.SEQUENCE && second == cbasn1.OCTET_STRING:
		return formatEncryptedPKCS8
	case first != cbasn1.INTEGER:
		return formatUnknown
	case second == cbasn1.SEQUENCE:
		return formatPKCS8
	case second == cbasn1.INTEGER:
		return formatPKCS1
	case second == cbasn1.OCTET_STRING:
		return formatSEC1
	}
	return formatUnknown
}

func parseDER(der, passphrase []byte) (crypto.Signer, error) {
	switch sniff(der) {
	case formatEncryptedPKCS8:
		plain, err := decryptPKCS8(der, passphrase)
		if err != nil {
			return nil, err
		}
		defer clear(plain)
		return parsePKCS8(plain)
	case formatPKCS8:
		return parsePKCS8(der)
	case formatPKCS1:
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil {
			return nil, malformed("PKCS#1 RSA key: " + err.Error())
		}
		return usable(k)
	case formatSEC1:
		k, err := x509.ParseECPrivateKey(der)
		if err != nil {
			return nil, sec1Error(der, err)
		}
		return usable(k)
	}
	return nil, notAKey(der)
}

// notAKey says why der is none of the formats.
func notAKey(der []byte) error {
	s := cryptobyte.String(der)
	var seq cryptobyte.String
	switch {
	case len(der) == 0:
		return malformed("the key data is empty")
	case der[0] != 0x30:
		return malformed("neither PEM nor DER (DER starts with a SEQUENCE)")
	case !s.ReadASN1(&seq, cbasn1.SEQUENCE):
		return malformed("truncated DER (the outer SEQUENCE is shorter than its length says)")
	case !s.Empty():
		return malformed(fmt.Sprintf("%d bytes of trailing data after the DER key", len(s)))
	}
	return malformed("the DER SEQUENCE is not a PKCS#8, PKCS#1 or SEC1 private key")
}

func parsePKCS8(der []byte) (crypto.Signer, error) {
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, pkcs8Error(der, err)
	}
	return usable(k)
}

// usable checks that a parsed key can sign and prepares RSA keys for it.
func usable(k any) (crypto.Signer, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 1024 {
			return nil, fmt.Errorf("%w: RSA %d key (Go refuses to sign with RSA keys below 1024 bits)", ErrUnsupported, k.N.BitLen())
		}
		k.Precompute()
		if err := k.Validate(); err != nil {
			return nil, malformed("inconsistent RSA key: " + err.Error())
		}
		return k, nil
	case *ecdsa.PrivateKey:
		return k, nil
	case ed25519.PrivateKey:
		return k, nil
	case *ecdh.PrivateKey:
		return nil, fmt.Errorf("%w: X25519 key (key agreement only; it cannot sign)", ErrUnsupported)
	}
	return nil, fmt.Errorf("%w: private key of type %T", ErrUnsupported, k)
}

var (
	oidRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidEC      = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidX25519  = asn1.ObjectIdentifier{1, 3, 101, 110}
	curveOIDs  = []asn1.ObjectIdentifier{
		{1, 3, 132, 0, 33},          // P-224
		{1, 2, 840, 10045, 3, 1, 7}, // P-256
		{1, 3, 132, 0, 34},          // P-384
		{1, 3, 132, 0, 35},          // P-521
	}
	tagSEC1Params = cbasn1.Tag(0).Constructed().ContextSpecific()
)

// pkcs8Error explains why x509 refused a PrivateKeyInfo: an algorithm or curve it does not
// implement, or else a malformed structure.
func pkcs8Error(der []byte, err error) error {
	// PrivateKeyInfo ::= SEQUENCE { version, privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING, … }
	s := cryptobyte.String(der)
	var pki, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if s.ReadASN1(&pki, cbasn1.SEQUENCE) && pki.SkipASN1(cbasn1.INTEGER) &&
		pki.ReadASN1(&alg, cbasn1.SEQUENCE) && alg.ReadASN1ObjectIdentifier(&oid) {
		switch {
		case oid.Equal(oidEC):
			if e := curveError(alg); e != nil {
				return e
			}
		case oid.Equal(oidRSA), oid.Equal(oidEd25519), oid.Equal(oidX25519):
		default:
			return unsupportedOID("private key algorithm", oid)
		}
	}
	return malformed("PKCS#8: " + err.Error())
}

// sec1Error explains why x509 refused an ECPrivateKey (RFC 5915).
func sec1Error(der []byte, err error) error {
	// ECPrivateKey ::= SEQUENCE { version, privateKey OCTET STRING, parameters [0] ECParameters OPTIONAL, … }
	s := cryptobyte.String(der)
	var seq, params cryptobyte.String
	var present bool
	if s.ReadASN1(&seq, cbasn1.SEQUENCE) && seq.SkipASN1(cbasn1.INTEGER) && seq.SkipASN1(cbasn1.OCTET_STRING) &&
		seq.ReadOptionalASN1(&params, &present, tagSEC1Params) && present {
		if e := curveError(params); e != nil {
			return e
		}
	}
	return malformed("SEC1 EC key: " + err.Error())
}

// curveError reports ECParameters other than a named curve Go implements.
func curveError(params cryptobyte.String) error {
	var curve asn1.ObjectIdentifier
	switch {
	case params.PeekASN1Tag(cbasn1.SEQUENCE):
		return fmt.Errorf("%w: EC key with explicit curve parameters (only named curves are supported)", ErrUnsupported)
	case params.ReadASN1ObjectIdentifier(&curve):
		for _, c := range curveOIDs {
			if c.Equal(curve) {
				return nil
			}
		}
		return unsupportedOID("elliptic curve", curve)
	}
	return nil
}

func malformed(what string) error { return fmt.Errorf("%w: %s", ErrMalformed, what) }

// Names for OIDs people meet in key files, so that errors say more than dotted numbers.
var oidNames = map[string]string{
	"1.2.840.113549.1.5.3":    "PBES1 pbeWithMD5AndDES-CBC",
	"1.2.840.113549.1.5.6":    "PBES1 pbeWithMD5AndRC2-CBC",
	"1.2.840.113549.1.5.10":   "PBES1 pbeWithSHA1AndDES-CBC",
	"1.2.840.113549.1.5.11":   "PBES1 pbeWithSHA1AndRC2-CBC",
	"1.2.840.113549.1.12.1.1": "PKCS#12 pbeWithSHAAnd128BitRC4",
	"1.2.840.113549.1.12.1.2": "PKCS#12 pbeWithSHAAnd40BitRC4",
	"1.2.840.113549.1.12.1.3": "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.4": "PKCS#12 pbeWithSHAAnd2-KeyTripleDES-CBC",
	"1.2.840.113549.1.12.1.5": "PKCS#12 pbeWithSHAAnd128BitRC2-CBC",
	"1.2.840.113549.1.12.1.6": "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
	"1.2.840.113549.3.2":      "rc2-cbc",
	"1.3.14.3.2.7":            "des-cbc",
	"1.2.156.10197.1.104.2":   "sm4-cbc",
	"2.16.840.1.101.3.4.1.6":  "aes-128-gcm",
	"2.16.840.1.101.3.4.1.46": "aes-256-gcm",
	"1.2.840.113549.2.5":      "hmacWithMD5",
	"1.2.840.10040.4.1":       "DSA",
	"1.2.840.113549.1.1.10":   "RSASSA-PSS",
	"1.2.840.10046.2.1":       "DH",
	"1.3.101.111":             "X448",
	"1.3.101.113":             "Ed448",
	"1.2.156.10197.1.301":     "SM2",
	"1.3.132.0.10":            "secp256k1",
	"1.3.36.3.3.2.8.1.1.7":    "brainpoolP256r1",
	"1.3.36.3.3.2.8.1.1.11":   "brainpoolP384r1",
	"1.3.36.3.3.2.8.1.1.13":   "brainpoolP512r1",
	"1.2.840.10045.3.1.1":     "P-192",
}

func unsupportedOID(what string, oid asn1.ObjectIdentifier) error {
	if name, ok := oidNames[oid.String()]; ok {
		return fmt.Errorf("%w: %s %s (OID %s)", ErrUnsupported, what, name, oid)
	}
	return fmt.Errorf("%w: %s with OID %s", ErrUnsupported, what, oid)
}
