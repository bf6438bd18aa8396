package verify

import (
	"crypto/x509"
	"fmt"
	"strings"
)

// checkBasicConstraints applies RFC 5280 §6.1.4(k) and §4.2.1.9: every certificate that
// signs another in the path must be a v3 certificate whose critical basicConstraints asserts
// cA; no certificate may carry pathLenConstraint without cA.
func (p *pathCheck) checkBasicConstraints(d int) {
	ci := p.chain[d]
	c := ci.c
	if c.BasicConstraintsValid && !c.IsCA && c.MaxPathLen >= 0 {
		p.add(d, CheckBasicConstraints, Fail, "pathLenConstraint %d is present but cA is false (RFC 5280 §4.2.1.9)", c.MaxPathLen)
		return
	}
	if !p.isIssuer(d) {
		if c.BasicConstraintsValid && c.IsCA {
			p.add(d, CheckBasicConstraints, Pass, "a CA certificate in leaf position; RFC 5280 allows it")
		}
		return
	}
	e, present := ci.ext(oidBasicConstraints)
	switch {
	case p.isAnchor(d) && c.Version < 3 && len(c.Extensions) == 0:
		p.add(d, CheckBasicConstraints, Pass, "version %d trust anchor: a CA by configuration (it cannot carry extensions)", c.Version)
	case c.Version < 3:
		p.add(d, CheckBasicConstraints, Fail, "version %d certificate cannot be shown to be a CA (RFC 5280 §6.1.4(k))", c.Version)
	case !present:
		p.add(d, CheckBasicConstraints, Fail, "no basicConstraints extension, so its key MUST NOT verify certificate signatures (RFC 5280 §4.2.1.9)")
	case !c.IsCA:
		p.add(d, CheckBasicConstraints, Fail, "basicConstraints cA is false, so its key MUST NOT verify certificate signatures (RFC 5280 §4.2.1.9)")
	case !e.Critical:
		p.add(d, CheckBasicConstraints, Fail, "basicConstraints of a CA certificate is not critical (RFC 5280 §4.2.1.9: MUST be critical)")
	default:
		p.add(d, CheckBasicConstraints, Pass, "cA is true (critical basicConstraints)")
	}
}

// Key usage bits, as named in RFC 5280 §4.2.1.3.
var kuNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func kuString(ku x509.KeyUsage) string {
	var s []string
	for _, k := range kuNames {
		if ku&k.bit != 0 {
			s = append(s, k.name)
		}
	}
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func (p *pathCheck) checkKeyUsage(d int) {
	ci := p.chain[d]
	ku := ci.c.KeyUsage
	if !ci.hasKeyUsage() {
		if p.isIssuer(d) {
			p.add(d, CheckKeyUsage, Pass, "no keyUsage extension: the key is not restricted")
		}
		p.checkPurposeBits(d)
		return
	}
	switch {
	case ku == 0:
		p.add(d, CheckKeyUsage, Fail, "keyUsage extension has no bit set (RFC 5280 §4.2.1.3: at least one MUST be)")
		return
	case ku&x509.KeyUsageCertSign != 0 && !ci.isCA():
		p.add(d, CheckKeyUsage, Fail, "keyCertSign is set but basicConstraints does not assert cA (RFC 5280 §4.2.1.3)")
		return
	case p.isIssuer(d) && ku&x509.KeyUsageCertSign == 0:
		p.add(d, CheckKeyUsage, Fail, "keyUsage (%s) lacks keyCertSign, so the key MUST NOT verify certificate signatures (RFC 5280 §6.1.4(n))", kuString(ku))
		return
	}
	if p.isIssuer(d) {
		p.add(d, CheckKeyUsage, Pass, "keyUsage %s includes keyCertSign", kuString(ku))
	}
	p.checkPurposeBits(d)
}

// checkPurposeBits compares the leaf's keyUsage with the required purposes (RFC 5280
// §4.2.1.12 lists the consistent bits). Inconsistency fails under webpki and warns under
// rfc5280: RFC 5280 ties keyUsage to no protocol, and x509-limbo accepts a CA certificate
// (keyCertSign only) as a TLS leaf under that profile.
func (p *pathCheck) checkPurposeBits(d int) {
	if d != 0 || len(p.cfg.ekus) == 0 {
		return
	}
	ci := p.chain[d]
	if !ci.hasKeyUsage() {
		p.add(d, CheckKeyUsage, Pass, "no keyUsage extension: every usage is allowed")
		return
	}
	ku := ci.c.KeyUsage
	for _, want := range p.cfg.ekus {
		bits, known := ekuKeyUsage[want.String()]
		if !known || ku&bits != 0 {
			continue
		}
		st := Warn
		if p.cfg.webpki() {
			st = Fail
		}
		p.add(d, CheckKeyUsage, st, "keyUsage %s has none of %s, which %s needs (RFC 5280 §4.2.1.12)", kuString(ku), kuString(bits), ekuName(want))
		return
	}
	p.add(d, CheckKeyUsage, Pass, "keyUsage %s is consistent with %s", kuString(ku), ekuNames(p.cfg.ekus))
}

// checkPathLength applies RFC 5280 §6.1.4(l) and (m): each CA certificate that is not
// self-issued consumes one unit of the smallest pathLenConstraint above it. The trust anchor's
// constraint applies too, as in OpenSSL and Go. The leaf is never counted (§4.2.1.9).
func (p *pathCheck) checkPathLength() {
	remaining, holder := -1, -1
	top := p.n - 1
	for i := top; i >= 1; i-- {
		ci := p.chain[i]
		if i != top && !ci.selfIssued {
			if remaining == 0 {
				p.add(i, CheckPathLength, Fail, "one CA certificate too many below %s, whose pathLenConstraint is %d (RFC 5280 §6.1.4(l); self-issued certificates not counted)",
					p.chain[holder].name(), p.chain[holder].c.MaxPathLen)
				return
			}
			if remaining > 0 {
				remaining--
			}
		}
		if ci.c.BasicConstraintsValid && ci.c.IsCA && ci.c.MaxPathLen >= 0 &&
			(remaining < 0 || ci.c.MaxPathLen < remaining) {
			remaining, holder = ci.c.MaxPathLen, i
		}
	}
	if holder >= 0 && p.n > 1 {
		p.add(holder, CheckPathLength, Pass, "pathLenConstraint %d is respected by the %d CA certificate(s) below it", p.chain[holder].c.MaxPathLen, holder-1)
	}
}

// checkMaxDepth enforces Options.MaxDepth on the intermediates of a complete path.
func (p *pathCheck) checkMaxDepth() {
	if !p.anchored || p.n < 2 {
		return
	}
	n, selfIssued := 0, 0
	for i := 1; i < p.n-1; i++ {
		if p.chain[i].selfIssued {
			selfIssued++
		} else {
			n++
		}
	}
	note := ""
	if selfIssued > 0 {
		note = fmt.Sprintf(" (%d self-issued not counted)", selfIssued)
	}
	if n > p.cfg.maxDepth {
		p.add(p.n-1, CheckMaxDepth, Fail, "path has %s%s; at most %d allowed", count(n, "intermediate CA certificate"), note, p.cfg.maxDepth)
		return
	}
	p.add(p.n-1, CheckMaxDepth, Pass, "path has %s%s; at most %d allowed", count(n, "intermediate CA certificate"), note, p.cfg.maxDepth)
}
