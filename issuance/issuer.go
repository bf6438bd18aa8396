package issuance

import (
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Linter checks a certificate before its real signature exists. It receives the TBS wrapped with a
// placeholder signature, so zlint (which parses whole certificates) sees exactly what will be
// signed. An error refuses issuance. Package lint provides the implementation.
type Linter interface {
	Lint(certDER []byte) error
}

// ErrKeyMismatch is returned when a CA certificate and the signer handed in do not belong together.
var ErrKeyMismatch = errors.New("issuance: signer does not match the CA certificate's public key")

// Options configure an Issuer.
type Options struct {
	Cert   *x509.Certificate // the CA certificate; required
	Signer crypto.Signer     // the CA key; required, must match Cert
	Linter Linter            // nil: no linting (tests of this package only; package ca always sets one)
	// Revocation pointers written into certificates that this issuer signs with a Revocable
	// profile (RFC 5280 §4.2.1.13, §4.2.2.1). Empty: the extension is omitted.
	CRLURL       string
	OCSPURL      string
	CAIssuersURL string
	Rand         io.Reader        // nil: crypto/rand
	Now          func() time.Time // nil: time.Now
}

// Issuer signs certificates with one CA key.
type Issuer struct {
	cert     *x509.Certificate // nil for a self-signing issuer
	signer   crypto.Signer
	alg      *sigAlg
	name     []byte // issuer Name DER
	keyID    []byte
	notAfter time.Time // zero: unbounded (self-signed)
	o        Options
}

// New returns an Issuer for a CA certificate and its key.
func New(o Options) (*Issuer, error) {
	if o.Cert == nil || o.Signer == nil {
		return nil, errors.New("issuance: Options.Cert and Options.Signer are required")
	}
	if !o.Cert.IsCA || !o.Cert.BasicConstraintsValid {
		return nil, fmt.Errorf("issuance: %q is not a CA certificate", o.Cert.Subject)
	}
	pub, ok := o.Signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(o.Cert.PublicKey) {
		return nil, ErrKeyMismatch
	}
	alg, err := sigAlgFor(o.Signer.Public())
	if err != nil {
		return nil, err
	}
	keyID := o.Cert.SubjectKeyId
	if len(keyID) == 0 {
		if keyID, err = subjectKeyID(o.Cert.RawSubjectPublicKeyInfo); err != nil {
			return nil, err
		}
	}
	return &Issuer{cert: o.Cert, signer: o.Signer, alg: alg, name: o.Cert.RawSubject, keyID: keyID, notAfter: o.Cert.NotAfter, o: withDefaults(o)}, nil
}

func withDefaults(o Options) Options {
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Certificate is the CA certificate (nil for a self-signing issuer).
func (i *Issuer) Certificate() *x509.Certificate { return i.cert }

// KeyID is the CA's subject key identifier: the issuer key id of the inventory.
func (i *Issuer) KeyID() []byte { return i.keyID }

// Signer is the CA key as a crypto.Signer, for the CRL and OCSP encoders this package hands it to.
func (i *Issuer) Signer() crypto.Signer { return i.signer }

// LogValue keeps the key out of logs whatever a caller passes to slog.
func (i *Issuer) LogValue() slog.Value {
	subject := "self-signed"
	if i.cert != nil {
		subject = i.cert.Subject.String()
	}
	return slog.GroupValue(slog.String("subject", subject), slog.String("key", "[redacted]"))
}

// Prepared is a linted TBS certificate waiting for its signature.
type Prepared struct {
	TBS       []byte
	Serial    []byte // big-endian serial, for records and logs before signing
	NotBefore time.Time
	NotAfter  time.Time
	issuer    *Issuer
}

// Sign signs a Prepared TBS and returns the certificate DER.
func (i *Issuer) Sign(p *Prepared) ([]byte, error) {
	if p.issuer != i {
		return nil, errors.New("issuance: Prepared by another issuer")
	}
	sig, err := i.alg.sign(i.signer, i.o.Rand, p.TBS)
	if err != nil {
		return nil, fmt.Errorf("issuance: signing: %w", err)
	}
	return assemble(p.TBS, i.alg, sig)
}

// placeholderSignature is a syntactically valid signature value for the algorithm, so that a
// certificate assembled around an unsigned TBS parses everywhere a real one does.
func (i *Issuer) placeholderSignature() []byte {
	switch i.alg.oid[len(i.alg.oid)-1] {
	case 112: // Ed25519
		return make([]byte, 64)
	case 11: // RSA: the modulus length
		return make([]byte, (i.cert0PublicKeyBits()+7)/8)
	default: // ECDSA-Sig-Value{r: 1, s: 1}
		return []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}
	}
}

func (i *Issuer) cert0PublicKeyBits() int {
	if k, ok := i.signer.Public().(interface{ Size() int }); ok {
		return k.Size() * 8
	}
	return 2048
}

// subjectKeyID is RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING, the
// identifier openssl and Go compute, so AKI/SKI chains match across tools.
func subjectKeyID(spki []byte) ([]byte, error) {
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("issuance: parsing public key: %w", err)
	}
	id := sha1.Sum(info.PublicKey.Bytes)
	return id[:], nil
}

// emptyName is the DER of an empty RDNSequence.
var emptyName = func() []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(*cryptobyte.Builder) {})
	return b.BytesOrPanic()
}()
