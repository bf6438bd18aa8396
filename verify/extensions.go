package verify

import (
	"strings"
)

// extRule says whether an extension is understood (so it may be critical) and what
// criticality RFC 5280 (or RFC 6962) prescribes for it.
type extRule struct {
	name        string
	understood  bool   // processed, or harmless to accept when critical
	mustNonCrit string // section that requires it non-critical
	mustCrit    string // section that requires it critical (rfc5280 profile)
}

// extRules lists the extensions this package understands. Any other extension marked critical
// makes the certificate unusable (RFC 5280 §4.2).
var extRules = map[string]extRule{
	oidBasicConstraints.String():  {name: "basicConstraints", understood: true},
	oidKeyUsage.String():          {name: "keyUsage", understood: true},
	oidEKU.String():               {name: "extKeyUsage", understood: true},
	oidSAN.String():               {name: "subjectAltName", understood: true},
	oidIAN.String():               {name: "issuerAltName", understood: true},
	oidNameConstraints.String():   {name: "nameConstraints", understood: true, mustCrit: "RFC 5280 §4.2.1.10"},
	oidCertPolicies.String():      {name: "certificatePolicies", understood: true},
	oidPolicyMappings.String():    {name: "policyMappings", understood: true},
	oidPolicyConstraints.String(): {name: "policyConstraints", understood: true, mustCrit: "RFC 5280 §4.2.1.11"},
	oidInhibitAnyPolicy.String():  {name: "inhibitAnyPolicy", understood: true, mustCrit: "RFC 5280 §4.2.1.14"},
	oidCRLDP.String():             {name: "cRLDistributionPoints", understood: true},
	oidAKI.String():               {name: "authorityKeyIdentifier", understood: true, mustNonCrit: "RFC 5280 §4.2.1.1"},
	oidSKI.String():               {name: "subjectKeyIdentifier", understood: true, mustNonCrit: "RFC 5280 §4.2.1.2"},
	oidAIA.String():               {name: "authorityInfoAccess", understood: true, mustNonCrit: "RFC 5280 §4.2.2.1"},
	oidSIA.String():               {name: "subjectInfoAccess", understood: true, mustNonCrit: "RFC 5280 §4.2.2.2"},
	oidFreshestCRL.String():       {name: "freshestCRL", understood: true, mustNonCrit: "RFC 5280 §4.2.1.15"},
	oidSubjectDirAttrs.String():   {name: "subjectDirectoryAttributes", understood: true, mustNonCrit: "RFC 5280 §4.2.1.8"},
	oidSCTList.String():           {name: "signedCertificateTimestampList", understood: true, mustNonCrit: "RFC 6962 §3.3"},
	oidOCSPNoCheck.String():       {name: "ocspNoCheck", understood: true},
	oidTLSFeature.String():        {name: "tlsFeature"}, // must-staple is not enforced: only non-critical is accepted
}

// checkExtensions rejects unknown critical extensions and extensions whose criticality
// contradicts their profile.
func (p *pathCheck) checkExtensions(d int) {
	ci := p.chain[d]
	var bad []string
	for _, e := range ci.c.Extensions {
		id := e.Id.String()
		if e.Id.Equal(oidPrecertPoison) {
			bad = append(bad, "it carries the CT poison extension: a precertificate is not a certificate (RFC 6962 §3.1)")
			continue
		}
		r, known := extRules[id]
		switch {
		case e.Critical && !r.understood:
			name := id
			if known {
				name = r.name + " (" + id + ")"
			}
			bad = append(bad, "unknown critical extension "+name)
		case e.Critical && r.mustNonCrit != "":
			bad = append(bad, r.name+" is critical; "+r.mustNonCrit+" requires it non-critical")
		case !e.Critical && r.mustCrit != "":
			// CABF BR 7.1.2.5.2 explicitly allows non-critical name constraints.
			if e.Id.Equal(oidNameConstraints) && p.cfg.webpki() {
				continue
			}
			bad = append(bad, r.name+" is not critical; "+r.mustCrit+" requires it critical")
		}
	}
	if len(bad) > 0 {
		p.add(d, CheckCriticalExtensions, Fail, "%s", strings.Join(bad, "; "))
		return
	}
	p.add(d, CheckCriticalExtensions, Pass, "every critical extension is understood")
}

// checkKeyIdentifiers applies RFC 5280 §4.2.1.1 and §4.2.1.2: every CA certificate carries a
// subjectKeyIdentifier, and every certificate but a self-signed one carries an
// authorityKeyIdentifier with a keyIdentifier.
func (p *pathCheck) checkKeyIdentifiers(d int) {
	ci := p.chain[d]
	if ci.c.Version < 3 {
		return
	}
	var bad []string
	if (ci.isCA() || (p.isIssuer(d) && p.n > 1)) && len(ci.c.SubjectKeyId) == 0 {
		bad = append(bad, "a CA certificate has no subjectKeyIdentifier (RFC 5280 §4.2.1.2)")
	}
	selfSigned := ci.selfIssued && (p.isAnchor(d) || ci.isSelfSigned())
	switch {
	case ci.akiErr != nil:
		bad = append(bad, "authorityKeyIdentifier: "+ci.akiErr.Error())
	case selfSigned:
	case !ci.has(oidAKI):
		bad = append(bad, "no authorityKeyIdentifier; only a self-signed certificate may omit it (RFC 5280 §4.2.1.1)")
	case !ci.aki.hasKeyID:
		bad = append(bad, "authorityKeyIdentifier has no keyIdentifier (RFC 5280 §4.2.1.1)")
	}
	if len(bad) > 0 {
		p.add(d, CheckKeyIdentifiers, Fail, "%s", strings.Join(bad, "; "))
		return
	}
	p.add(d, CheckKeyIdentifiers, Pass, "key identifiers present as RFC 5280 §4.2.1.1-2 require")
}
