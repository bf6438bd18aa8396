package issuance

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/anchorpki/anchor/duration"
	"github.com/anchorpki/anchor/names"
)

// Errors for requests a profile cannot satisfy.
var (
	ErrValidity      = errors.New("issuance: invalid validity period")
	ErrNoSAN         = errors.New("issuance: a subjectAltName is required for this profile")
	ErrSANNotAllowed = errors.New("issuance: subjectAltName is not allowed for this profile")
	ErrEmptyName     = errors.New("issuance: certificate needs a subject or a subjectAltName")
)

// Backdate is how far NotBefore is set before now by default, so that a client whose clock is
// slightly behind does not reject a certificate issued a moment ago (step-ca does the same).
const Backdate = time.Minute

// Request is one certificate to prepare. Package ca fills it after policy has approved it.
type Request struct {
	PublicKey crypto.PublicKey
	Subject   []byte     // DER Name; nil: empty subject (then the SAN extension is critical)
	SANs      names.SANs // DNS, IP, email, URI
	Profile   *Profile   // required
	Serial    *big.Int   // required: see NewSerial
	NotBefore time.Time  // zero: now - Backdate
	NotAfter  time.Time  // zero: NotBefore + Profile.DefaultValidity, capped at the issuer's NotAfter
	// PermittedDNS adds critical name constraints to a CA certificate.
	PermittedDNS []string
}

// Prepare builds the TBS for req, and lints it. Nothing is signed yet: the caller records the
// intent first (the serial and TBS), then calls Sign.
func (i *Issuer) Prepare(req Request) (*Prepared, error) {
	t, err := i.template(req)
	if err != nil {
		return nil, err
	}
	tbs, err := t.marshalTBS()
	if err != nil {
		return nil, fmt.Errorf("issuance: encoding TBS: %w", err)
	}
	if i.o.Linter != nil {
		placeholder, err := assemble(tbs, i.alg, i.placeholderSignature())
		if err != nil {
			return nil, fmt.Errorf("issuance: encoding lint certificate: %w", err)
		}
		if err := i.o.Linter.Lint(placeholder); err != nil {
			return nil, err
		}
	}
	return &Prepared{TBS: tbs, Serial: req.Serial.Bytes(), NotBefore: t.notBefore, NotAfter: t.notAfter, issuer: i}, nil
}

func (i *Issuer) template(req Request) (*template, error) {
	p := req.Profile
	if p == nil {
		return nil, fmt.Errorf("%w: none given", ErrUnknownProfile)
	}
	if req.Serial == nil || req.Serial.Sign() <= 0 || len(req.Serial.Bytes()) > 20 {
		return nil, errors.New("issuance: serial must be positive and at most 20 octets (RFC 5280 §4.1.2.2)")
	}
	spki, err := x509.MarshalPKIXPublicKey(req.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("issuance: subject public key: %w", err)
	}
	if _, err := sigAlgFor(req.PublicKey); err != nil && p.IsCA {
		return nil, err // a CA key must itself be able to sign here later
	}
	subject := req.Subject
	if len(subject) == 0 {
		subject = emptyName
	}
	emptySubject := bytes.Equal(subject, emptyName)
	switch {
	case p.RequireSAN && req.SANs.Len() == 0:
		return nil, fmt.Errorf("%w (profile %s)", ErrNoSAN, p.Name)
	case !p.AllowSAN && req.SANs.Len() > 0:
		return nil, fmt.Errorf("%w (profile %s)", ErrSANNotAllowed, p.Name)
	case emptySubject && req.SANs.Len() == 0:
		return nil, ErrEmptyName
	}
	notBefore, notAfter, err := i.validity(req)
	if err != nil {
		return nil, err
	}

	t := &template{serial: req.Serial, alg: i.alg, issuer: i.name, subject: subject,
		notBefore: notBefore, notAfter: notAfter, spki: spki}
	if i.cert == nil { // self-signed: the subject is the issuer
		t.issuer = subject
	}
	ski, err := subjectKeyID(spki)
	if err != nil {
		return nil, err
	}
	akid := i.keyID
	if i.cert == nil {
		akid = ski
	}

	// Extension order follows what openssl and Let's Encrypt emit, which makes dumps easy to compare.
	ku := p.KeyUsage
	if _, isRSA := req.PublicKey.(*rsa.PublicKey); isRSA {
		ku |= p.RSAKeyUsage
	}
	t.extensions = append(t.extensions, keyUsageExt(ku))
	if len(p.ExtKeyUsage) > 0 {
		t.extensions = append(t.extensions, extKeyUsageExt(p.ExtKeyUsage))
	}
	t.extensions = append(t.extensions, basicConstraintsExt(p.IsCA, p.MaxPathLen))
	t.extensions = append(t.extensions, subjectKeyIDExt(ski), authorityKeyIDExt(akid))
	if p.Revocable && i.cert != nil && (i.o.OCSPURL != "" || i.o.CAIssuersURL != "") {
		t.extensions = append(t.extensions, authorityInfoExt(i.o.OCSPURL, i.o.CAIssuersURL))
	}
	if req.SANs.Len() > 0 {
		t.extensions = append(t.extensions, subjectAltNameExt(req.SANs.DNS, req.SANs.IP, req.SANs.Email, req.SANs.URI, emptySubject))
	}
	if p.Revocable && i.cert != nil && i.o.CRLURL != "" {
		t.extensions = append(t.extensions, crlDistributionExt(i.o.CRLURL))
	}
	if len(req.PermittedDNS) > 0 {
		if !p.IsCA {
			return nil, errors.New("issuance: name constraints apply to CA certificates only")
		}
		t.extensions = append(t.extensions, nameConstraintsExt(req.PermittedDNS))
	}
	if p.OCSPNoCheck {
		t.extensions = append(t.extensions, ocspNoCheckExt())
	}
	return t, nil
}

func (i *Issuer) validity(req Request) (time.Time, time.Time, error) {
	p := req.Profile
	notBefore := req.NotBefore
	if notBefore.IsZero() {
		notBefore = i.o.Now().Add(-Backdate)
	}
	notAfter := req.NotAfter
	if notAfter.IsZero() {
		notAfter = notBefore.Add(p.DefaultValidity - time.Second) // both ends count, as in Lifetime
		if !i.notAfter.IsZero() && notAfter.After(i.notAfter) {
			notAfter = i.notAfter // a default never outlives its issuer
		}
	}
	notBefore, notAfter = notBefore.UTC().Truncate(time.Second), notAfter.UTC().Truncate(time.Second)
	switch {
	case !notAfter.After(notBefore):
		return time.Time{}, time.Time{}, fmt.Errorf("%w: notAfter %s is not after notBefore %s", ErrValidity, notAfter.Format(time.RFC3339), notBefore.Format(time.RFC3339))
	case p.MaxValidity > 0 && duration.ValidityExceeds(notBefore, notAfter, p.MaxValidity):
		return time.Time{}, time.Time{}, fmt.Errorf("%w: %d days exceeds the %s profile's maximum of %d days", ErrValidity,
			duration.ValidityDays(notBefore, notAfter), p.Name, int(p.MaxValidity/duration.Day))
	case !i.notAfter.IsZero() && notAfter.After(i.notAfter):
		return time.Time{}, time.Time{}, fmt.Errorf("%w: notAfter %s is after the issuing CA's notAfter %s", ErrValidity,
			notAfter.Format(time.RFC3339), i.notAfter.UTC().Format(time.RFC3339))
	}
	return notBefore, notAfter, nil
}

// Lifetime is the validity period of a certificate meant to live the given number of days from
// now: notBefore backdated as by default, and notAfter one second short of days×24h after it,
// because the period includes both ends (RFC 5280 §4.1.2.5; BR 6.3.2 and zlint count it so).
// A request for a profile's maximum in days therefore fits it exactly.
func Lifetime(now time.Time, days int) (notBefore, notAfter time.Time) {
	notBefore = now.Add(-Backdate)
	return notBefore, notBefore.Add(time.Duration(days)*24*time.Hour - time.Second)
}
