package verify

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Name constraints (RFC 5280 §4.2.1.10, §6.1.4(g)). Each constraining certificate, trust
// anchor included (as OpenSSL, Go and x509-limbo expect), is checked on its own against the
// names of every certificate below it, which is the same as intersecting the permitted
// subtrees: a name must lie in a permitted subtree of every constraint that has one for its
// form, and in no excluded subtree. Self-issued intermediates are exempt, the leaf never is.
//
// Names checked: the subject (as directoryName), every subjectAltName entry, the subject's
// emailAddress attributes when there is no subjectAltName (RFC 5280 §4.2.1.10), and, under
// webpki or LegacyCommonName, a leaf's common name that looks like a host name when it has no
// subjectAltName at all (what clients that honour CN would treat as its identity). A name that
// cannot be evaluated against a constraint of its form (malformed, or a form this package does
// not process: otherName, x400Address, ediPartyName, registeredID) fails, as RFC 5280 requires
// of a critical extension ("process the constraint or reject the certificate").

const maxNCComparisons = 1 << 20

func (p *pathCheck) checkNameConstraints() {
	for d, ci := range p.chain {
		if ci.has(oidNameConstraints) && !ci.isCA() {
			p.add(d, CheckNameConstraints, Fail, "nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10: MUST be used only in a CA certificate)")
		}
	}
	budget := maxNCComparisons
	for i := p.n - 1; i >= 1; i-- {
		ci := p.chain[i]
		if !ci.has(oidNameConstraints) || !ci.isCA() {
			continue
		}
		if ci.ncErr != nil {
			p.add(i, CheckNameConstraints, Fail, "nameConstraints cannot be processed: %v", ci.ncErr)
			continue
		}
		if err := validateSubtrees(ci.nc); err != nil {
			p.add(i, CheckNameConstraints, Fail, "nameConstraints cannot be processed: %v", err)
			continue
		}
		ok := true
		checked := 0
		for j := i - 1; j >= 0; j-- {
			if j > 0 && p.chain[j].selfIssued {
				continue // RFC 5280 §6.1.4(g): self-issued intermediates are not constrained
			}
			for _, name := range p.namesOf(j) {
				checked++
				if v := ncViolation(ci.nc, name, &budget); v != "" {
					ok = false
					p.add(j, CheckNameConstraints, Fail, "%s %s of %s", name, v, ci.name())
				}
			}
		}
		if ok {
			p.add(i, CheckNameConstraints, Pass, "%s of the certificates below satisfy its constraints", allNames(checked))
		}
	}
}

// namesOf lists the names of the certificate at depth d that constraints apply to.
func (p *pathCheck) namesOf(d int) []generalName {
	ci := p.chain[d]
	var out []generalName
	if !dnEmpty(ci.c.RawSubject) {
		out = append(out, generalName{tag: gnDirectory, val: ci.c.RawSubject})
	}
	out = append(out, ci.san...)
	if ci.has(oidSAN) {
		return out
	}
	for _, a := range ci.c.Subject.Names {
		s, ok := a.Value.(string)
		switch {
		case !ok:
		case a.Type.Equal(oidAttrEmailAddress):
			out = append(out, generalName{tag: gnRFC822, val: []byte(s)})
		case a.Type.Equal(oidAttrCommonName) && d == 0 && (p.cfg.webpki() || p.cfg.LegacyCommonName) &&
			validHostname(strings.ToLower(s)) && strings.Contains(s, ".") && net.ParseIP(s) == nil:
			out = append(out, generalName{tag: gnDNS, val: []byte(s)})
		}
	}
	return out
}

// ncViolation returns why name breaks nc, or "".
func ncViolation(nc *nameConstraints, name generalName, budget *int) string {
	var permitted []generalName
	for _, base := range nc.permitted {
		if base.tag == name.tag {
			permitted = append(permitted, base)
		}
	}
	if len(permitted) > 0 {
		in := false
		for _, base := range permitted {
			if *budget--; *budget < 0 {
				return "exceeds the name constraint comparison budget"
			}
			ok, err := within(name, base, false)
			if err != nil {
				return "cannot be checked against the permitted " + gnName(name.tag) + " subtrees: " + err.Error()
			}
			if ok {
				in = true
				break
			}
		}
		if !in {
			return "is outside every permitted " + gnName(name.tag) + " subtree " + subtreeList(permitted)
		}
	}
	for _, base := range nc.excluded {
		if base.tag != name.tag {
			continue
		}
		if *budget--; *budget < 0 {
			return "exceeds the name constraint comparison budget"
		}
		ok, err := within(name, base, true)
		if err != nil {
			return "cannot be checked against the excluded " + gnName(name.tag) + " subtrees: " + err.Error()
		}
		if ok {
			return "is inside the excluded subtree " + subtreeList([]generalName{base})
		}
	}
	return ""
}

func subtreeList(gs []generalName) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		switch g.tag {
		case gnIP:
			if len(g.val) == 8 || len(g.val) == 32 {
				n := len(g.val) / 2
				ones, _ := net.IPMask(g.val[n:]).Size()
				s[i] = fmt.Sprintf("%s/%d", net.IP(g.val[:n]), ones)
				continue
			}
			s[i] = ipString(g.val)
		case gnDirectory:
			s[i] = dnString(g.val)
		default:
			s[i] = fmt.Sprintf("%q", g.val)
		}
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// within reports whether name lies in the subtree base (same form). excluded selects the
// reading for wildcard names: a wildcard is inside an excluded subtree when any name it can
// match is.
func within(name, base generalName, excluded bool) (bool, error) {
	switch name.tag {
	case gnDNS:
		n := strings.ToLower(string(name.val))
		b := strings.ToLower(string(base.val))
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if !validHostname(rest) {
				return false, fmt.Errorf("malformed dNSName %q", name.val)
			}
			if excluded && strings.HasSuffix(b, "."+rest) && !strings.Contains(strings.TrimSuffix(b, "."+rest), ".") {
				return true, nil // *.a.example can match b = x.a.example
			}
			return dnsWithin(n, b), nil
		}
		if !validHostname(n) {
			return false, fmt.Errorf("malformed dNSName %q", name.val)
		}
		return dnsWithin(n, b), nil
	case gnIP:
		if len(name.val) != 4 && len(name.val) != 16 {
			return false, fmt.Errorf("malformed iPAddress %s", ipString(name.val))
		}
		if 2*len(name.val) != len(base.val) {
			return false, nil // the other address family
		}
		n := len(name.val)
		for k := 0; k < n; k++ {
			if name.val[k]&base.val[n+k] != base.val[k]&base.val[n+k] {
				return false, nil
			}
		}
		return true, nil
	case gnRFC822:
		local, domain, ok := splitMailbox(string(name.val))
		if !ok || !validHostname(strings.ToLower(domain)) {
			return false, fmt.Errorf("malformed rfc822Name %q", name.val)
		}
		b := string(base.val)
		if bl, bd, ok := splitMailbox(b); ok {
			return local == bl && strings.EqualFold(domain, bd), nil
		}
		return domainWithin(domain, b), nil
	case gnURI:
		u, err := url.Parse(string(name.val))
		if err != nil || u.Hostname() == "" || net.ParseIP(u.Hostname()) != nil {
			return false, fmt.Errorf("URI %q has no host name to constrain", name.val)
		}
		return domainWithin(u.Hostname(), string(base.val)), nil
	case gnDirectory:
		in, ok := dnWithin(name.val, base.val)
		if !ok {
			return false, fmt.Errorf("malformed directoryName")
		}
		return in, nil
	}
	return false, fmt.Errorf("%s constraints are not supported", gnName(name.tag))
}

// dnsWithin: RFC 5280 §4.2.1.10, names built by adding labels to the left of base; "" is
// every name.
func dnsWithin(name, base string) bool {
	return base == "" || name == base || strings.HasSuffix(name, "."+base)
}

// domainWithin is the rfc822Name and URI host rule: ".example.com" is every host below
// example.com, "example.com" is that host only.
func domainWithin(host, base string) bool {
	host, base = strings.ToLower(host), strings.ToLower(base)
	if strings.HasPrefix(base, ".") {
		return strings.HasSuffix(host, base)
	}
	return host == base
}

// validateSubtrees refuses constraints that are not well formed for their form, because a
// malformed constraint in a critical extension cannot be processed.
func validateSubtrees(nc *nameConstraints) error {
	for _, g := range append(append([]generalName(nil), nc.permitted...), nc.excluded...) {
		v := string(g.val)
		switch g.tag {
		case gnDNS:
			// RFC 5280 §4.2.1.10 dNSName constraints are host names: a leading period (the
			// URI and rfc822Name syntax) or a wildcard is malformed.
			if v != "" && !validHostname(strings.ToLower(v)) {
				return fmt.Errorf("malformed dNSName constraint %q", v)
			}
		case gnIP:
			if len(g.val) != 8 && len(g.val) != 32 {
				return fmt.Errorf("iPAddress constraint of %d octets is not an address and mask", len(g.val))
			}
			mask := g.val[len(g.val)/2:]
			if _, bits := net.IPMask(mask).Size(); bits == 0 {
				return fmt.Errorf("iPAddress constraint %x has a non-contiguous mask", g.val)
			}
		case gnRFC822:
			if strings.Contains(v, "@") {
				if _, d, ok := splitMailbox(v); !ok || !validHostname(strings.ToLower(d)) {
					return fmt.Errorf("malformed rfc822Name constraint %q", v)
				}
			} else if !validHostname(strings.ToLower(strings.TrimPrefix(v, "."))) {
				return fmt.Errorf("malformed rfc822Name constraint %q", v)
			}
		case gnURI:
			if !validHostname(strings.ToLower(strings.TrimPrefix(v, "."))) {
				return fmt.Errorf("malformed URI constraint %q", v)
			}
		case gnDirectory:
			if _, ok := parseDN(g.val); !ok {
				return fmt.Errorf("malformed directoryName constraint")
			}
		}
	}
	return nil
}

func allNames(n int) string {
	if n == 1 {
		return "the 1 name"
	}
	return fmt.Sprintf("all %d names", n)
}
