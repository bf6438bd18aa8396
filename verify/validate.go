package verify

import (
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// pathCheck validates one candidate path (leaf first) and collects its checks, grouped by the
// depth of the certificate they concern.
type pathCheck struct {
	v        *verifier
	cfg      *config
	chain    []*certInfo
	n        int
	anchored bool
	chainChk Check
	buckets  [][]Check
	tail     []Check // revocation, after the per-certificate checks
	failed   int
}

// evaluate validates chain; anchored says its last certificate is a trust anchor.
func (v *verifier) evaluate(chain []*certInfo, anchored bool) *evaluation {
	v.evaluations++
	if anchored {
		v.paths++
	}
	p := &pathCheck{v: v, cfg: v.cfg, chain: chain, n: len(chain), anchored: anchored,
		buckets: make([][]Check, len(chain))}
	p.structural()
	e := &evaluation{chain: chain, anchored: anchored, structOK: anchored && p.failed == 0}
	if e.structOK {
		p.revocation()
	} else if anchored && v.cfg.revocationWanted() {
		// One skip per method asked for, named after it, so a caller that asked only for
		// OCSP is not told about CRLs.
		if len(v.cfg.CRLs) > 0 || v.cfg.FetchCRL {
			p.tail = append(p.tail, Check{Name: CheckRevocationCRL, Status: Skip,
				Detail: "revocation not checked: the path already fails other checks"})
		}
		if v.cfg.OCSP {
			p.tail = append(p.tail, Check{Name: CheckRevocationOCSP, Status: Skip,
				Detail: "revocation not checked: the path already fails other checks"})
		}
	}
	e.failed = p.failed
	e.checks = append([]Check{p.chainChk}, nil...)
	for _, b := range p.buckets {
		e.checks = append(e.checks, b...)
	}
	e.checks = append(e.checks, p.tail...)
	v.consider(e)
	if anchored && p.failed == 0 {
		v.found = e
	}
	return e
}

func (p *pathCheck) check(d int, name string, st Status, format string, a ...any) Check {
	c := Check{Name: name, Status: st, Depth: d, Detail: fmt.Sprintf(format, a...)}
	if d >= 0 && d < p.n {
		c.Subject = p.chain[d].name()
	}
	if st == Fail {
		p.failed++
	}
	return c
}

func (p *pathCheck) add(d int, name string, st Status, format string, a ...any) {
	p.buckets[d] = append(p.buckets[d], p.check(d, name, st, format, a...))
}

func (p *pathCheck) addTail(d int, name string, st Status, format string, a ...any) {
	p.tail = append(p.tail, p.check(d, name, st, format, a...))
}

// isIssuer reports whether the certificate at depth d signs another certificate of the path.
func (p *pathCheck) isIssuer(d int) bool { return d >= 1 }

func (p *pathCheck) isAnchor(d int) bool { return p.anchored && d == p.n-1 }

func (p *pathCheck) structural() {
	p.chainCheck()
	for d := 0; d < p.n; d++ {
		p.checkSignature(d)
		p.checkValidity(d)
		p.checkNames(d)
		p.checkSerial(d)
		p.checkExtensions(d)
		p.checkKeyIdentifiers(d)
		p.checkBasicConstraints(d)
		p.checkKeyUsage(d)
		p.checkEKU(d)
	}
	p.checkPathLength()
	p.checkMaxDepth()
	p.checkNameConstraints()
	p.checkPolicy()
	p.checkHostname()
	p.checkEmail()
	if p.cfg.webpki() {
		p.webpkiRules()
	}
}

func (p *pathCheck) chainCheck() {
	top := p.chain[p.n-1]
	if p.anchored {
		if p.n == 1 {
			p.chainChk = p.check(0, CheckChain, Pass, "the leaf is itself a trust anchor")
			return
		}
		p.chainChk = p.check(p.n-1, CheckChain, Pass, "path of %s ends at trust anchor %s", count(p.n, "certificate"), top.name())
		return
	}
	var why []string
	for _, c := range p.v.bySubject[top.issuerKey] {
		kind := "intermediate"
		if c.anchor {
			kind = "trust anchor"
		}
		switch {
		case c == top:
		case akiMismatch(top, c):
			why = append(why, fmt.Sprintf("%s %s has subjectKeyIdentifier %x, not the authorityKeyIdentifier %x", kind, c.name(), c.c.SubjectKeyId, top.aki.keyID))
		case p.v.signature(top, c) != nil:
			why = append(why, fmt.Sprintf("%s %s does not verify its signature: %v", kind, c.name(), p.v.signature(top, c)))
		default:
			why = append(why, fmt.Sprintf("%s %s is already in the path or beyond the depth limit", kind, c.name()))
		}
	}
	detail := fmt.Sprintf("no path to a trust anchor: %s was issued by %s, which matches none of the %s and %s",
		top.name(), nameString(top.c.Issuer.String()), count(len(p.v.roots), "trust anchor"), count(len(p.v.inters), "intermediate"))
	if len(why) > 0 {
		detail = fmt.Sprintf("no path to a trust anchor from %s: %s", top.name(), strings.Join(why, "; "))
	} else if top.selfIssued && top.isSelfSigned() {
		detail = fmt.Sprintf("no path to a trust anchor: %s is self-signed but is not among the %s", top.name(), count(len(p.v.roots), "trust anchor"))
	}
	p.chainChk = p.check(p.n-1, CheckChain, Fail, "%s", detail)
}

func isSHA1(a x509.SignatureAlgorithm) bool {
	return a == x509.SHA1WithRSA || a == x509.ECDSAWithSHA1 || a == x509.DSAWithSHA1
}

func isMD(a x509.SignatureAlgorithm) bool { return a == x509.MD5WithRSA || a == x509.MD2WithRSA }

func (p *pathCheck) checkSignature(d int) {
	ci := p.chain[d]
	if d == p.n-1 {
		if p.anchored {
			p.add(d, CheckSignature, Skip, "trust anchor: its own signature is not checked (RFC 5280 §6.1.1(d): the anchor is an input)")
		} else {
			p.add(d, CheckSignature, Skip, "issuer %s not found, signature not checked", nameString(ci.c.Issuer.String()))
		}
		return
	}
	issuer := p.chain[d+1]
	algo := ci.c.SignatureAlgorithm
	switch {
	case isMD(algo):
		p.add(d, CheckSignature, Fail, "signed with %v, which is broken", algo)
		return
	case isSHA1(algo) && (p.cfg.webpki() || !p.cfg.AllowSHA1):
		p.add(d, CheckSignature, Fail, "signed with %v: SHA-1 signatures are refused (collisions are practical; Options.AllowSHA1 re-admits them under rfc5280)", algo)
		return
	}
	if err := p.v.signature(ci, issuer); err != nil {
		p.add(d, CheckSignature, Fail, "%v signature does not verify with the key of %s: %v", algo, issuer.name(), err)
		return
	}
	p.add(d, CheckSignature, Pass, "%v signature verifies with the key of %s", algo, issuer.name())
}

func (p *pathCheck) checkValidity(d int) {
	c := p.chain[d].c
	at := p.cfg.at
	nb, na := c.NotBefore.UTC(), c.NotAfter.UTC()
	switch {
	case at.Before(nb):
		p.add(d, CheckValidity, Fail, "certificate not valid until %s, %s after the verification time %s",
			nb.Format(time.RFC3339), span(nb.Sub(at)), at.Format(time.RFC3339))
	case at.After(na):
		p.add(d, CheckValidity, Fail, "certificate expired %s, %s before the verification time %s",
			na.Format(time.RFC3339), span(at.Sub(na)), at.Format(time.RFC3339))
	default:
		p.add(d, CheckValidity, Pass, "valid from %s to %s (inclusive); verification time %s",
			nb.Format(time.RFC3339), na.Format(time.RFC3339), at.Format(time.RFC3339))
	}
}

// span renders a duration for people: "12 days", "3 hours", "1 second".
func span(d time.Duration) string {
	unit := func(n int64, s string) string {
		if n == 1 {
			return "1 " + s
		}
		return fmt.Sprintf("%d %ss", n, s)
	}
	switch {
	case d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= 2*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d >= 2*time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}

// checkNames applies the RFC 5280 rules on the issuer and subject fields.
func (p *pathCheck) checkNames(d int) {
	ci := p.chain[d]
	var bad []string
	if dnEmpty(ci.c.RawIssuer) {
		bad = append(bad, "the issuer field is empty (RFC 5280 §4.1.2.4 requires a non-empty name)")
	}
	subjectEmpty := dnEmpty(ci.c.RawSubject)
	if subjectEmpty && (ci.isCA() || p.isIssuer(d)) {
		bad = append(bad, "a CA certificate has an empty subject (RFC 5280 §4.1.2.6)")
	}
	if subjectEmpty {
		if e, ok := ci.ext(oidSAN); !ok {
			bad = append(bad, "the subject is empty and there is no subjectAltName (RFC 5280 §4.1.2.6)")
		} else if !e.Critical {
			bad = append(bad, "the subject is empty but subjectAltName is not critical (RFC 5280 §4.2.1.6)")
		}
	}
	if ci.sanErr != nil {
		bad = append(bad, "malformed subjectAltName: "+ci.sanErr.Error())
	}
	if len(bad) > 0 {
		p.add(d, CheckNames, Fail, "%s", strings.Join(bad, "; "))
		return
	}
	p.add(d, CheckNames, Pass, "issuer and subject fields are well formed")
}

var maxSerial = new(big.Int).Lsh(big.NewInt(1), 160)

// checkSerial applies RFC 5280 §4.1.2.2: a positive integer of at most 20 octets. The sign
// octet DER needs for a value with its top bit set is not counted. Trust anchors are exempt:
// their serial is chosen by whoever distributes them, and stores carry serial 0 roots.
func (p *pathCheck) checkSerial(d int) {
	if p.isAnchor(d) {
		return
	}
	s := p.chain[d].c.SerialNumber
	switch {
	case s == nil || s.Sign() < 0:
		p.add(d, CheckSerialNumber, Fail, "serial number is negative (RFC 5280 §4.1.2.2)")
	case s.Sign() == 0:
		p.add(d, CheckSerialNumber, Fail, "serial number is zero; RFC 5280 §4.1.2.2 requires a positive integer")
	case s.Cmp(maxSerial) >= 0:
		p.add(d, CheckSerialNumber, Fail, "serial number is %d octets; RFC 5280 §4.1.2.2 allows at most 20", (s.BitLen()+7)/8)
	default:
		p.add(d, CheckSerialNumber, Pass, "serial number %s is positive and at most 20 octets", s.Text(16))
	}
}

// count is "1 name" or "n names": details are read by people.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
