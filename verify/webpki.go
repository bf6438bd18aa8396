package verify

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"strings"
	"time"
)

// Web PKI profile: the CA/Browser Forum Baseline Requirements for TLS server certificates
// (version 2.x), as far as a relying party can check them. Each rule is its own check,
// "webpki:<rule>". Not checked: public-suffix wildcards, CAA, serial-number entropy, CRL and OCSP
// profiles, certificate policies.

func (p *pathCheck) webpkiRules() {
	p.wpLeafSAN()
	p.wpValidityPeriod()
	p.wpLeafEKU()
	p.wpLeafNotCA()
	p.wpLeafKeyUsage()
	p.wpCommonName()
	for d := range p.chain {
		p.wpPublicKey(d)
		p.wpVersion(d)
		if d < p.n-1 {
			p.wpSignatureAlgorithm(d)
		}
	}
	if p.anchored && p.n > 1 {
		p.wpRoot(p.n - 1)
	}
}

func (p *pathCheck) wp(d int, rule string, st Status, format string, a ...any) {
	p.add(d, "webpki:"+rule, st, format, a...)
}

// BR 7.1.2.7.12: subjectAltName MUST be present; MUST be critical only with an empty subject.
func (p *pathCheck) wpLeafSAN() {
	leaf := p.chain[0]
	e, ok := leaf.ext(oidSAN)
	switch {
	case !ok:
		p.wp(0, "leaf_san", Fail, "subscriber certificates MUST have a subjectAltName (BR 7.1.2.7.12)")
	case e.Critical && !dnEmpty(leaf.c.RawSubject):
		p.wp(0, "leaf_san", Fail, "subjectAltName is critical although the subject is not empty (BR 7.1.2.7.12)")
	default:
		p.wp(0, "leaf_san", Pass, "subjectAltName present with %s", count(len(leaf.san), "name"))
	}
}

// BR 6.3.2: the maximum validity period by issue date: 825 days since 2018-03-01, 398 since
// 2020-09-01, then (ballot SC-081) 200 since 2026-03-15, 100 since 2027-03-15 and 47 since
// 2029-03-15. The period counts both ends, so it is notAfter - notBefore + 1 second.
func (p *pathCheck) wpValidityPeriod() {
	c := p.chain[0].c
	period := c.NotAfter.Sub(c.NotBefore) + time.Second
	limit := 0
	since := func(y int, m time.Month, d int) bool {
		return !c.NotBefore.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
	}
	switch {
	case since(2029, 3, 15):
		limit = 47
	case since(2027, 3, 15):
		limit = 100
	case since(2026, 3, 15):
		limit = 200
	case !c.NotBefore.Before(time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC)):
		limit = 398
	case !c.NotBefore.Before(time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC)):
		limit = 825
	default:
		p.wp(0, "validity_period", Skip, "issued %s, before the BR validity limits took effect", c.NotBefore.UTC().Format(time.DateOnly))
		return
	}
	days := float64(period) / float64(24*time.Hour)
	if period > time.Duration(limit)*24*time.Hour {
		p.wp(0, "validity_period", Fail, "validity period is %.1f days; at most %d allowed for a certificate issued %s (BR 6.3.2)", days, limit, c.NotBefore.UTC().Format(time.DateOnly))
		return
	}
	p.wp(0, "validity_period", Pass, "validity period is %.1f days (at most %d)", days, limit)
}

// BR 7.1.2.7.10: extKeyUsage MUST be present and non-critical, MUST contain serverAuth, MUST
// NOT contain anyExtendedKeyUsage, codeSigning, emailProtection, timeStamping, OCSPSigning
// or the CT precertificate signing purpose.
func (p *pathCheck) wpLeafEKU() {
	leaf := p.chain[0]
	e, ok := leaf.ext(oidEKU)
	if !ok {
		p.wp(0, "leaf_eku", Fail, "subscriber certificates MUST have an extKeyUsage (BR 7.1.2.7.10)")
		return
	}
	var bad []string
	if e.Critical {
		bad = append(bad, "extKeyUsage is critical")
	}
	if !hasOID(leaf.ekus, oidEKUServerAuth) {
		bad = append(bad, "serverAuth is missing")
	}
	for _, f := range []struct {
		oid  []int
		name string
	}{{oidEKUAny, "anyExtendedKeyUsage"}, {oidEKUCodeSigning, "codeSigning"}, {oidEKUEmailProtection, "emailProtection"},
		{oidEKUTimeStamping, "timeStamping"}, {oidEKUOCSPSigning, "OCSPSigning"}, {oidPrecertSigning, "precertificate signing"}} {
		if hasOID(leaf.ekus, f.oid) {
			bad = append(bad, f.name+" is present")
		}
	}
	if len(bad) > 0 {
		p.wp(0, "leaf_eku", Fail, "%s (BR 7.1.2.7.10)", strings.Join(bad, "; "))
		return
	}
	p.wp(0, "leaf_eku", Pass, "extKeyUsage %s", ekuNames(leaf.ekus))
}

// BR 7.1.2.7.8 and 7.1.2.7.11: a subscriber certificate is not a CA.
func (p *pathCheck) wpLeafNotCA() {
	c := p.chain[0].c
	switch {
	case c.BasicConstraintsValid && c.IsCA:
		p.wp(0, "leaf_not_ca", Fail, "basicConstraints cA MUST be false in a subscriber certificate (BR 7.1.2.7.8)")
	case c.KeyUsage&x509.KeyUsageCertSign != 0:
		p.wp(0, "leaf_not_ca", Fail, "keyCertSign MUST NOT be set in a subscriber certificate (BR 7.1.2.7.11)")
	default:
		p.wp(0, "leaf_not_ca", Pass, "not a CA certificate")
	}
}

// BR 7.1.2.7.11: RSA keys use digitalSignature and/or keyEncipherment; ECDSA keys
// digitalSignature, optionally keyAgreement.
func (p *pathCheck) wpLeafKeyUsage() {
	leaf := p.chain[0]
	if !leaf.hasKeyUsage() {
		p.wp(0, "leaf_key_usage", Warn, "no keyUsage extension (BR 7.1.2.7.11: SHOULD be present)")
		return
	}
	ku := leaf.c.KeyUsage
	var allowed, required x509.KeyUsage
	switch leaf.c.PublicKey.(type) {
	case *rsa.PublicKey:
		allowed = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		required = allowed
	case *ecdsa.PublicKey:
		allowed = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement
		required = x509.KeyUsageDigitalSignature
	default:
		return // webpki:public_key reports the key type
	}
	if ku&required == 0 || ku&^allowed != 0 {
		p.wp(0, "leaf_key_usage", Fail, "keyUsage %s; for this key type BR 7.1.2.7.11 requires %s and allows only %s", kuString(ku), kuString(required), kuString(allowed))
		return
	}
	p.wp(0, "leaf_key_usage", Pass, "keyUsage %s", kuString(ku))
}

// BR 7.1.4.3: a common name, if present, is exactly one attribute holding a byte-for-byte
// copy of a dNSName SAN, or the RFC 3986 / RFC 5952 text of an iPAddress SAN.
func (p *pathCheck) wpCommonName() {
	leaf := p.chain[0]
	var cns []string
	for _, a := range leaf.c.Subject.Names {
		if a.Type.Equal(oidAttrCommonName) {
			s, _ := a.Value.(string)
			cns = append(cns, s)
		}
	}
	switch {
	case len(cns) == 0:
		return
	case len(cns) > 1:
		p.wp(0, "common_name", Fail, "%d common names; at most one allowed (BR 7.1.4.3)", len(cns))
		return
	}
	cn := cns[0]
	for _, g := range leaf.san {
		if g.tag == gnDNS && string(g.val) == cn ||
			g.tag == gnIP && (len(g.val) == 4 || len(g.val) == 16) && net.IP(g.val).String() == cn {
			p.wp(0, "common_name", Pass, "common name %q is a copy of a subjectAltName entry", cn)
			return
		}
	}
	p.wp(0, "common_name", Fail, "common name %q is not a character-for-character copy of any subjectAltName dNSName or canonical iPAddress (BR 7.1.4.3)", cn)
}

// BR 6.1.5 and 7.1.3.1: RSA of at least 2048 bits, a multiple of 8; ECDSA on P-256, P-384 or
// P-521. Nothing else.
func (p *pathCheck) wpPublicKey(d int) {
	switch k := p.chain[d].c.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		if bits < 2048 || bits%8 != 0 {
			p.wp(d, "public_key", Fail, "RSA key of %d bits; at least 2048 and a multiple of 8 required (BR 6.1.5)", bits)
			return
		}
		p.wp(d, "public_key", Pass, "RSA %d", bits)
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			p.wp(d, "public_key", Pass, "ECDSA %s", k.Curve.Params().Name)
		default:
			p.wp(d, "public_key", Fail, "ECDSA on %s is not allowed (BR 6.1.5: P-256, P-384, P-521)", k.Curve.Params().Name)
		}
	default:
		p.wp(d, "public_key", Fail, "%v keys are not allowed (BR 6.1.5: RSA or ECDSA)", p.chain[d].c.PublicKeyAlgorithm)
	}
}

// BR 7.1.1: every certificate is X.509 v3.
func (p *pathCheck) wpVersion(d int) {
	if v := p.chain[d].c.Version; v != 3 {
		p.wp(d, "version", Fail, "version %d certificate; BR 7.1.1 requires v3", v)
	}
}

// BR 7.1.3.2: RSASSA-PKCS1-v1_5 or RSASSA-PSS with SHA-256/384/512, or ECDSA with the same.
func (p *pathCheck) wpSignatureAlgorithm(d int) {
	switch a := p.chain[d].c.SignatureAlgorithm; a {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
		x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512:
		p.wp(d, "signature_algorithm", Pass, "%v", a)
	default:
		p.wp(d, "signature_algorithm", Fail, "%v is not an allowed signature algorithm (BR 7.1.3.2)", a)
	}
}

// BR 7.1.2.1: a root has no extKeyUsage, and an authorityKeyIdentifier, if any, holds only a
// keyIdentifier equal to its subjectKeyIdentifier.
func (p *pathCheck) wpRoot(d int) {
	root := p.chain[d]
	var bad []string
	if root.has(oidEKU) {
		bad = append(bad, "a root certificate MUST NOT have extKeyUsage (BR 7.1.2.1.2)")
	}
	if root.has(oidAKI) {
		a := root.aki
		switch {
		case root.akiErr != nil:
			bad = append(bad, "malformed authorityKeyIdentifier")
		case !a.hasKeyID:
			bad = append(bad, "authorityKeyIdentifier without keyIdentifier (BR 7.1.2.1.3)")
		case !bytes.Equal(a.keyID, root.c.SubjectKeyId):
			bad = append(bad, "authorityKeyIdentifier differs from subjectKeyIdentifier (BR 7.1.2.1.3)")
		}
		if a.hasIssuer || a.hasSer {
			bad = append(bad, "authorityKeyIdentifier has authorityCertIssuer or authorityCertSerialNumber (BR 7.1.2.1.3)")
		}
	}
	if len(bad) > 0 {
		p.wp(d, "root", Fail, "%s", strings.Join(bad, "; "))
		return
	}
	p.wp(d, "root", Pass, "root certificate extensions conform to BR 7.1.2.1")
}
