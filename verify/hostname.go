package verify

import (
	"net"
	"strings"
)

// checkHostname matches Options.Host against the leaf as RFC 9525 §6 says: an IP literal only
// against iPAddress SANs, a DNS name only against dNSName SANs, case-insensitively, with a
// wildcard allowed only as the whole left-most label of the presented name, matching exactly
// one label. The subject common name is not an identity (RFC 9525 §6.3 dropped CN-ID), unless
// Options.LegacyCommonName asks for RFC 6125 §6.4.4's fallback on a leaf with no SAN at all.
func (p *pathCheck) checkHostname() {
	if p.cfg.Host == "" {
		return
	}
	leaf := p.chain[0]
	if ip := p.cfg.hostIP; ip != nil {
		var have []string
		for _, g := range leaf.sanOf(gnIP) {
			if (len(g.val) == 4 || len(g.val) == 16) && net.IP(g.val).Equal(ip) {
				p.add(0, CheckHostname, Pass, "IP address %s matches subjectAltName iPAddress %s", ip, ipString(g.val))
				return
			}
			have = append(have, ipString(g.val))
		}
		p.add(0, CheckHostname, Fail, "IP address %s is not among the subjectAltName iPAddress entries %s (RFC 9525 §6.2: no wildcards, no DNS names, no common name for IP addresses)", ip, list(have))
		return
	}
	host := p.cfg.hostDNS
	if !validHostname(host) {
		p.add(0, CheckHostname, Fail, "host %q is not a valid DNS name", p.cfg.Host)
		return
	}
	var have []string
	for _, g := range leaf.sanOf(gnDNS) {
		if matchHostname(string(g.val), host) {
			p.add(0, CheckHostname, Pass, "host %s matches subjectAltName dNSName %s", host, g.val)
			return
		}
		have = append(have, string(g.val))
	}
	if p.cfg.LegacyCommonName && !p.cfg.webpki() && !leaf.has(oidSAN) {
		for _, cn := range leaf.c.Subject.Names {
			s, ok := cn.Value.(string)
			if cn.Type.Equal(oidAttrCommonName) && ok && matchHostname(s, host) {
				p.add(0, CheckHostname, Pass, "host %s matches the subject common name %s (legacy RFC 6125 §6.4.4 fallback: no subjectAltName)", host, s)
				return
			}
		}
	}
	why := "the subject common name is not consulted (RFC 9525 §6.3)"
	if !leaf.has(oidSAN) {
		p.add(0, CheckHostname, Fail, "host %s: the certificate has no subjectAltName and %s", host, why)
		return
	}
	p.add(0, CheckHostname, Fail, "host %s matches none of the subjectAltName dNSName entries %s; %s", host, list(have), why)
}

func list(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// validHostname reports whether h is a plausible reference identifier: non-empty labels of at
// most 63 octets, no wildcard, at most 253 octets.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, l := range strings.Split(h, ".") {
		if l == "" || len(l) > 63 || strings.ContainsAny(l, "* \t/\\@") {
			return false
		}
	}
	return true
}

// matchHostname compares a presented dNSName with a (lower-case, dot-trimmed) host.
func matchHostname(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	if !strings.Contains(pattern, "*") {
		return validHostname(pattern) && pattern == host
	}
	// RFC 9525 §6.3: "*" must be the complete left-most label; partial wildcards such as
	// f*.example.com or xn--*-x.example.com match nothing. Requiring two labels after it
	// refuses *.com and *.local, as CABF's "Wildcard Domain Name" does.
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok || !validHostname(rest) || !strings.Contains(rest, ".") {
		return false
	}
	first, hostRest, ok := strings.Cut(host, ".")
	return ok && first != "" && hostRest == rest
}

// checkEmail matches Options.Email against the leaf's rfc822Name SANs: the local part exactly,
// the domain case-insensitively (RFC 5280 §4.2.1.6, RFC 8398).
func (p *pathCheck) checkEmail() {
	if p.cfg.Email == "" {
		return
	}
	wantLocal, wantDomain, ok := splitMailbox(p.cfg.Email)
	if !ok {
		p.add(0, CheckEmail, Fail, "%q is not a mailbox (local@domain)", p.cfg.Email)
		return
	}
	var have []string
	for _, g := range p.chain[0].sanOf(gnRFC822) {
		local, domain, ok := splitMailbox(string(g.val))
		if ok && local == wantLocal && strings.EqualFold(domain, wantDomain) {
			p.add(0, CheckEmail, Pass, "%s matches subjectAltName rfc822Name %s", p.cfg.Email, g.val)
			return
		}
		have = append(have, string(g.val))
	}
	p.add(0, CheckEmail, Fail, "%s matches none of the subjectAltName rfc822Name entries %s", p.cfg.Email, list(have))
}

func splitMailbox(s string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(s, '@')
	if i <= 0 || i == len(s)-1 || strings.Count(s, "@") != 1 {
		return "", "", false
	}
	return s[:i], s[i+1:], true
}
