package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// certInfo is a certificate with what path validation reads from it parsed once.
type certInfo struct {
	c          *x509.Certificate
	anchor     bool
	subjectKey string // dnKey of the subject
	issuerKey  string // dnKey of the issuer
	identity   string // subject + SPKI: two certificates with the same one are the same CA
	selfIssued bool   // subject and issuer match (RFC 5280 §6.1)

	exts map[string]pkix.Extension // by dotted OID

	san    []generalName // nil when absent
	sanErr error
	nc     *nameConstraints
	ncErr  error
	aki    akiInfo
	akiErr error
	ekus   []asn1.ObjectIdentifier
	ekuErr error

	selfSigned *bool // lazily computed
}

func newCertInfo(c *x509.Certificate, anchor bool) *certInfo {
	ci := &certInfo{
		c:          c,
		anchor:     anchor,
		subjectKey: dnKey(c.RawSubject),
		issuerKey:  dnKey(c.RawIssuer),
		exts:       make(map[string]pkix.Extension, len(c.Extensions)),
	}
	spki := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	ci.identity = ci.subjectKey + "|" + string(spki[:])
	ci.selfIssued = ci.subjectKey == ci.issuerKey
	for _, e := range c.Extensions {
		ci.exts[e.Id.String()] = e
	}
	if e, ok := ci.ext(oidSAN); ok {
		ci.san, ci.sanErr = parseGeneralNames(e.Value)
		if ci.sanErr == nil && ci.san == nil {
			ci.sanErr = errors.New("subjectAltName is an empty sequence")
		}
	}
	if e, ok := ci.ext(oidNameConstraints); ok {
		ci.nc, ci.ncErr = parseNameConstraints(e.Value)
	}
	if e, ok := ci.ext(oidAKI); ok {
		ci.aki, ci.akiErr = parseAKI(e.Value)
	}
	if e, ok := ci.ext(oidEKU); ok {
		rest, err := asn1.Unmarshal(e.Value, &ci.ekus)
		if err == nil && len(rest) > 0 {
			err = errTrailing
		}
		if err == nil && len(ci.ekus) == 0 {
			err = errors.New("empty sequence")
		}
		if err != nil {
			ci.ekuErr = fmt.Errorf("malformed extKeyUsage: %v", err)
		}
	}
	return ci
}

func (ci *certInfo) ext(oid asn1.ObjectIdentifier) (pkix.Extension, bool) {
	e, ok := ci.exts[oid.String()]
	return e, ok
}

func (ci *certInfo) has(oid asn1.ObjectIdentifier) bool {
	_, ok := ci.exts[oid.String()]
	return ok
}

func (ci *certInfo) name() string { return nameString(ci.c.Subject.String()) }

// isCA reports whether basicConstraints asserts cA.
func (ci *certInfo) isCA() bool { return ci.c.BasicConstraintsValid && ci.c.IsCA }

// hasKeyUsage reports whether the keyUsage extension is present (x509 reports an all-zero
// bit string and an absent extension alike).
func (ci *certInfo) hasKeyUsage() bool { return ci.has(oidKeyUsage) }

// sanOf returns the SAN entries of one type.
func (ci *certInfo) sanOf(tag int) []generalName {
	var out []generalName
	for _, g := range ci.san {
		if g.tag == tag {
			out = append(out, g)
		}
	}
	return out
}

// isSelfSigned reports whether the certificate is self-issued and verifies with its own key
// (RFC 5280 §3.2 "self-signed"). Computed once.
func (ci *certInfo) isSelfSigned() bool {
	if ci.selfSigned == nil {
		ok := ci.selfIssued &&
			ci.c.CheckSignature(ci.c.SignatureAlgorithm, ci.c.RawTBSCertificate, ci.c.Signature) == nil
		ci.selfSigned = &ok
	}
	return *ci.selfSigned
}

// akiMismatch reports whether the child's authorityKeyIdentifier rules the candidate issuer
// out: both key identifiers are present and differ (RFC 5280 §4.2.1.1, RFC 4158 §3.5.12).
func akiMismatch(child, issuer *certInfo) bool {
	return child.akiErr == nil && child.aki.hasKeyID && len(issuer.c.SubjectKeyId) > 0 &&
		!bytes.Equal(child.aki.keyID, issuer.c.SubjectKeyId)
}
