package verify

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strconv"
	"strings"
)

// ExtKeyUsageByName maps the RFC 5280 §4.2.1.12 short names (as OpenSSL and x509-limbo spell
// them) to their object identifiers.
var ExtKeyUsageByName = map[string]asn1.ObjectIdentifier{
	"serverAuth":          oidEKUServerAuth,
	"clientAuth":          oidEKUClientAuth,
	"codeSigning":         oidEKUCodeSigning,
	"emailProtection":     oidEKUEmailProtection,
	"timeStamping":        oidEKUTimeStamping,
	"OCSPSigning":         oidEKUOCSPSigning,
	"anyExtendedKeyUsage": oidEKUAny,
}

// ParseEKU accepts a name of ExtKeyUsageByName (case-insensitive, also in x509-limbo's
// snake_case such as "server_auth") or a dotted OID.
func ParseEKU(s string) (asn1.ObjectIdentifier, error) {
	norm := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	for name, oid := range ExtKeyUsageByName {
		if strings.ToLower(name) == norm {
			return oid, nil
		}
	}
	if norm == "any" || norm == "anyeku" {
		return oidEKUAny, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("verify: unknown extended key usage %q", s)
	}
	oid := make(asn1.ObjectIdentifier, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (i == 0 && n > 2) {
			return nil, fmt.Errorf("verify: unknown extended key usage %q", s)
		}
		oid[i] = n
	}
	return oid, nil
}

func ekuName(oid asn1.ObjectIdentifier) string {
	for name, o := range ExtKeyUsageByName {
		if o.Equal(oid) {
			return name
		}
	}
	return oid.String()
}

func ekuNames(oids []asn1.ObjectIdentifier) string {
	s := make([]string, len(oids))
	for i, o := range oids {
		s[i] = ekuName(o)
	}
	return strings.Join(s, ", ")
}

// ekuKeyUsage lists the keyUsage bits RFC 5280 §4.2.1.12 calls consistent with each purpose;
// one of them must be set when keyUsage is present.
var ekuKeyUsage = map[string]x509.KeyUsage{
	oidEKUServerAuth.String():      x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement,
	oidEKUClientAuth.String():      x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement,
	oidEKUCodeSigning.String():     x509.KeyUsageDigitalSignature,
	oidEKUEmailProtection.String(): x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement,
	oidEKUTimeStamping.String():    x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
	oidEKUOCSPSigning.String():     x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
}

func hasOID(list []asn1.ObjectIdentifier, oid asn1.ObjectIdentifier) bool {
	for _, o := range list {
		if o.Equal(oid) {
			return true
		}
	}
	return false
}

// checkEKU requires every purpose in the leaf's extKeyUsage and, as browsers and Go do, in
// every CA certificate that carries the extension ("EKU chaining"): a CA restricted to
// clientAuth cannot vouch for a server. anyExtendedKeyUsage allows every purpose. An absent
// extension restricts nothing (RFC 5280 §4.2.1.12).
func (p *pathCheck) checkEKU(d int) {
	ci := p.chain[d]
	if ci.ekuErr != nil {
		p.add(d, CheckExtKeyUsage, Fail, "%v", ci.ekuErr)
		return
	}
	if len(p.cfg.ekus) == 0 {
		return
	}
	want := ekuNames(p.cfg.ekus)
	if p.cfg.ekuImplied {
		want += " (implied by the host name check)"
	}
	if !ci.has(oidEKU) {
		if d == 0 {
			p.add(d, CheckExtKeyUsage, Pass, "no extKeyUsage extension: every purpose is allowed; required: %s", want)
		}
		return
	}
	var missing []string
	for _, w := range p.cfg.ekus {
		if !hasOID(ci.ekus, w) && !hasOID(ci.ekus, oidEKUAny) {
			missing = append(missing, ekuName(w))
		}
	}
	if len(missing) == 0 {
		p.add(d, CheckExtKeyUsage, Pass, "extKeyUsage %s allows %s", ekuNames(ci.ekus), want)
		return
	}
	if d == 0 {
		p.add(d, CheckExtKeyUsage, Fail, "extKeyUsage %s does not include %s", ekuNames(ci.ekus), strings.Join(missing, ", "))
		return
	}
	p.add(d, CheckExtKeyUsage, Fail, "CA restricts the certificates below it to %s, which excludes %s (EKU chaining)",
		ekuNames(ci.ekus), strings.Join(missing, ", "))
}
