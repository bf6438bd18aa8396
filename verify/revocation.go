package verify

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CRL checking (RFC 5280 §6.3). Once any CRL is supplied or fetching is on, checking is
// hard-fail: every certificate below the trust anchor needs a usable CRL from its issuer, or
// its status is undetermined and the check fails. A CRL is usable when its issuer name matches,
// its signature verifies with the issuer's key (which must allow cRLSign), it is current at
// the verification time, it is complete (no delta, no indirect entries, no partial reasons),
// its scope (issuingDistributionPoint) covers the certificate, and it carries no critical
// extension this package does not understand. Any listing of the serial revokes, whatever the
// revocationDate. CRLs that name another issuer are simply not about the certificate.
//
// Supplied CRLs that break RFC 5280 §5.1 structure (no nextUpdate, GeneralizedTime before
// 2050) are dropped with a warning as if they had not been supplied, as x509-limbo expects.

func (v *verifier) prepareCRLs() {
	for _, crl := range v.cfg.CRLs {
		if crl == nil {
			continue
		}
		if err := crlMalformed(crl); err != nil {
			v.notes = append(v.notes, Check{Name: CheckRevocationCRL, Status: Warn,
				Detail: fmt.Sprintf("CRL issued by %s ignored as malformed: %v", nameString(crl.Issuer.String()), err)})
			continue
		}
		v.crls = append(v.crls, crl)
	}
}

func (p *pathCheck) revocation() {
	crlActive := len(p.v.crls) > 0 || p.cfg.FetchCRL
	for d := 0; d < p.n-1; d++ {
		if crlActive {
			p.checkCRL(d)
		}
		if p.cfg.OCSP {
			p.checkOCSP(d)
		}
	}
}

func (p *pathCheck) checkCRL(d int) {
	ci, issuer := p.chain[d], p.chain[d+1]
	var cands []*x509.RevocationList
	var problems []string
	for _, crl := range p.v.crls {
		if dnKey(crl.RawIssuer) == ci.issuerKey {
			cands = append(cands, crl)
		}
	}
	hadCDP := false
	if p.cfg.FetchCRL {
		for _, u := range ci.c.CRLDistributionPoints {
			if !strings.HasPrefix(u, "http://") {
				continue
			}
			hadCDP = true
			crl, err := p.v.fetchCRL(u)
			switch {
			case err != nil:
				problems = append(problems, err.Error())
			case dnKey(crl.RawIssuer) != ci.issuerKey:
				problems = append(problems, fmt.Sprintf("CRL at %s is issued by %s, not %s", u, nameString(crl.Issuer.String()), issuer.name()))
			default:
				cands = append(cands, crl)
			}
		}
	}
	if len(cands) == 0 && len(problems) == 0 {
		if len(p.v.crls) == 0 && !hadCDP {
			p.addTail(d, CheckRevocationCRL, Skip, "no CRL supplied for %s and the certificate names no http:// CRL distribution point", issuer.name())
			return
		}
		p.addTail(d, CheckRevocationCRL, Fail, "no CRL from %s among the %d supplied: revocation status undetermined (RFC 5280 §6.3.3)", issuer.name(), len(p.v.crls))
		return
	}
	var usable []*x509.RevocationList
	for _, crl := range cands {
		if why := p.crlUnusable(crl, ci, issuer); why != "" {
			problems = append(problems, fmt.Sprintf("CRL %s not used: %s", crlLabel(crl), why))
			continue
		}
		usable = append(usable, crl)
	}
	if len(usable) == 0 {
		p.addTail(d, CheckRevocationCRL, Fail, "no usable CRL, revocation status undetermined: %s", strings.Join(problems, "; "))
		return
	}
	for _, crl := range usable {
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber != nil && e.SerialNumber.Cmp(ci.c.SerialNumber) == 0 {
				p.addTail(d, CheckRevocationCRL, Fail, "revoked on %s, reason %s, by CRL %s",
					e.RevocationTime.UTC().Format(time.RFC3339), reasonName(e.ReasonCode), crlLabel(crl))
				return
			}
		}
	}
	note := ""
	if len(problems) > 0 {
		note = "; " + strings.Join(problems, "; ")
	}
	p.addTail(d, CheckRevocationCRL, Pass, "serial %s is not on CRL %s%s", ci.c.SerialNumber.Text(16), crlLabel(usable[0]), note)
}

func crlLabel(crl *x509.RevocationList) string {
	num := "without cRLNumber"
	if crl.Number != nil {
		num = "#" + crl.Number.String()
	}
	return fmt.Sprintf("%s from %s (thisUpdate %s)", num, nameString(crl.Issuer.String()), crl.ThisUpdate.UTC().Format(time.RFC3339))
}

// crlUnusable returns why crl cannot decide the status of child, or "".
func (p *pathCheck) crlUnusable(crl *x509.RevocationList, child, issuer *certInfo) string {
	if len(crl.AuthorityKeyId) > 0 && len(issuer.c.SubjectKeyId) > 0 && !bytes.Equal(crl.AuthorityKeyId, issuer.c.SubjectKeyId) {
		return fmt.Sprintf("its authorityKeyIdentifier %x is not the key of %s", crl.AuthorityKeyId, issuer.name())
	}
	if issuer.hasKeyUsage() && issuer.c.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return fmt.Sprintf("the keyUsage of %s lacks cRLSign (RFC 5280 §6.3.3(f))", issuer.name())
	}
	if isMD(crl.SignatureAlgorithm) || isSHA1(crl.SignatureAlgorithm) && (p.cfg.webpki() || !p.cfg.AllowSHA1) {
		return fmt.Sprintf("signed with %v", crl.SignatureAlgorithm)
	}
	if err := issuer.c.CheckSignature(crl.SignatureAlgorithm, crl.RawTBSRevocationList, crl.Signature); err != nil {
		return fmt.Sprintf("its signature does not verify with the key of %s: %v (RFC 5280 §6.3.3(g))", issuer.name(), err)
	}
	var idp *issuingDistPoint
	for _, e := range crl.Extensions {
		switch {
		case e.Id.Equal(oidCRLNumber):
			if e.Critical {
				return "cRLNumber is critical (RFC 5280 §5.2.3: MUST be non-critical)"
			}
		case e.Id.Equal(oidDeltaCRLIndicator):
			return "it is a delta CRL; a complete CRL is needed"
		case e.Id.Equal(oidIDP):
			var err error
			if idp, err = parseIDP(e.Value); err != nil {
				return err.Error()
			}
		case e.Id.Equal(oidAKI), e.Id.Equal(oidFreshestCRL), e.Id.Equal(oidAIA), e.Id.Equal(oidIAN):
		case e.Critical:
			return "unknown critical extension " + e.Id.String() + " (RFC 5280 §5.2)"
		}
	}
	if crl.Number == nil {
		return "it has no cRLNumber (RFC 5280 §5.2.3: MUST be present)"
	}
	at := p.cfg.at
	if crl.ThisUpdate.After(at) {
		return fmt.Sprintf("not yet issued at the verification time: thisUpdate %s", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if crl.NextUpdate.Before(at) {
		return fmt.Sprintf("stale: nextUpdate %s is %s before the verification time", crl.NextUpdate.UTC().Format(time.RFC3339), span(at.Sub(crl.NextUpdate)))
	}
	if idp != nil {
		if why := idpOutOfScope(idp, child); why != "" {
			return why
		}
	}
	seen := make(map[string]bool, len(crl.RevokedCertificateEntries))
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber == nil {
			return "an entry has no serial number"
		}
		k := string(e.SerialNumber.Bytes())
		if seen[k] {
			return fmt.Sprintf("it lists serial %s twice", e.SerialNumber.Text(16))
		}
		seen[k] = true
		for _, x := range e.Extensions {
			switch {
			case x.Id.Equal(oidCertificateIssuer):
				return "it is an indirect CRL (certificateIssuer entry extension), which is not supported"
			case x.Id.Equal(oidCRLReason), x.Id.Equal(oidInvalidityDate):
			case x.Critical:
				return fmt.Sprintf("the entry for serial %s has unknown critical extension %s (RFC 5280 §5.3)", e.SerialNumber.Text(16), x.Id)
			}
		}
	}
	return ""
}

// idpOutOfScope applies RFC 5280 §5.2.5 and §6.3.3(b), with CABF 7.2.2.1's reading of
// partitioned CRLs: the scope is a set of URIs that must be byte-identical to one of the
// certificate's cRLDistributionPoints URIs.
func idpOutOfScope(idp *issuingDistPoint, child *certInfo) string {
	switch {
	case idp.onlyAttr:
		return "its scope is attribute certificates only"
	case idp.indirect:
		return "it is an indirect CRL, which is not supported"
	case idp.someReasons:
		return "it covers only some revocation reasons and no complete CRL is available"
	case idp.onlyUser && child.isCA():
		return "its scope is end-entity certificates only, and this is a CA certificate"
	case idp.onlyCA && !child.isCA():
		return "its scope is CA certificates only, and this is an end-entity certificate"
	case idp.relative:
		return "its distribution point is nameRelativeToCRLIssuer, which is not supported"
	}
	if !idp.hasName {
		return ""
	}
	for _, g := range idp.fullName {
		if g.tag != gnURI {
			return "its distribution point names a " + gnName(g.tag) + "; only URIs are supported"
		}
	}
	e, ok := child.ext(oidCRLDP)
	if !ok {
		return "it is a partitioned CRL and the certificate has no cRLDistributionPoints"
	}
	dps, err := parseCRLDistributionPoints(e.Value)
	if err != nil {
		return "the certificate's cRLDistributionPoints is malformed: " + err.Error()
	}
	for _, dp := range dps {
		for _, g := range dp.fullName {
			if g.tag != gnURI {
				return "the certificate's distribution point names a " + gnName(g.tag) + "; only URIs are supported (CABF 7.1.2.11.2)"
			}
		}
	}
	for _, dp := range dps {
		for _, g := range dp.fullName {
			for _, h := range idp.fullName {
				if bytes.Equal(g.val, h.val) {
					return ""
				}
			}
		}
	}
	return "its issuingDistributionPoint matches none of the certificate's cRLDistributionPoints"
}

var reasonNames = map[int]string{0: "unspecified", 1: "keyCompromise", 2: "cACompromise",
	3: "affiliationChanged", 4: "superseded", 5: "cessationOfOperation", 6: "certificateHold",
	8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise"}

func reasonName(code int) string {
	if n, ok := reasonNames[code]; ok {
		return fmt.Sprintf("%s (%d)", n, code)
	}
	return fmt.Sprintf("unknown (%d)", code)
}

// crlMalformed checks the RFC 5280 §5.1.2.4-5 structure rules crypto/x509 accepts: nextUpdate
// is present, and dates before 2050 are UTCTime.
func crlMalformed(crl *x509.RevocationList) error {
	if crl.NextUpdate.IsZero() {
		return errors.New("no nextUpdate (RFC 5280 §5.1.2.5: conforming CRL issuers MUST include it)")
	}
	in := cryptobyte.String(crl.RawTBSRevocationList)
	var tbs cryptobyte.String
	if !in.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return errors.New("malformed tbsCertList")
	}
	if tbs.PeekASN1Tag(cbasn1.INTEGER) && !tbs.SkipASN1(cbasn1.INTEGER) ||
		!tbs.SkipASN1(cbasn1.SEQUENCE) || !tbs.SkipASN1(cbasn1.SEQUENCE) {
		return errors.New("malformed tbsCertList")
	}
	for _, field := range []string{"thisUpdate", "nextUpdate"} {
		var tag cbasn1.Tag
		var val cryptobyte.String
		if !tbs.ReadAnyASN1(&val, &tag) {
			return errors.New("malformed " + field)
		}
		if tag == cbasn1.GeneralizedTime && len(val) >= 4 && string(val[:4]) < "2050" {
			return fmt.Errorf("%s before 2050 is encoded as GeneralizedTime (RFC 5280 §5.1.2.4: MUST be UTCTime)", field)
		}
	}
	return nil
}
