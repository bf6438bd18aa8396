package challenge

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// caaIssuerCritical is the Issuer Critical flag, the high-order bit of the flags octet
// (RFC 8659 §4.1).
const caaIssuerCritical = 0x80

// knownCAATags are the property tags this CA understands or knowingly ignores. An unknown tag
// with the critical flag set forbids issuance (RFC 8659 §4.1); iodef and the contact tags say
// nothing about who may issue, and issuemail/issuevmc concern other kinds of certificate.
var knownCAATags = []string{"issue", "issuewild", "iodef", "contactemail", "contactphone", "issuemail", "issuevmc"}

// CAA checks that CAA records permit this CA to issue for domain (RFC 8659), before an order is
// finalized. It climbs from domain towards the top-level domain and uses the first non-empty
// record set; CNAMEs at each node are followed, but the climb continues from the original name,
// not the alias target (RFC 8659 §3). wildcard selects "issuewild" when the set has any, else
// "issue". An issuer-domain-name matching one of Options.CAAIdentities grants permission only
// if its "accounturi" parameter, when present, equals accountURI and its "validationmethods"
// parameter, when present, lists method (RFC 8657 §3, §4). With no CAAIdentities configured, or
// for an IP identifier (CAA is defined only for domain names), CAA returns nil without a lookup.
func (v *Validator) CAA(ctx context.Context, domain string, wildcard bool, accountURI, method string) error {
	if len(v.caaIdentities) == 0 {
		return nil
	}
	if _, ok := ipIdentifier(domain); ok {
		return nil
	}
	if strings.HasPrefix(domain, "*.") {
		domain, wildcard = domain[2:], true
	}
	return v.attempt(ctx, "caa", domain, func(ctx context.Context) error {
		return v.caa(ctx, normalizeName(domain), wildcard, accountURI, method)
	})
}

func (v *Validator) caa(ctx context.Context, domain string, wildcard bool, accountURI, method string) error {
	for node := domain; node != ""; node = parentDomain(node) {
		rrs, _, err := v.dns.lookup(ctx, node, dns.TypeCAA)
		if err != nil {
			return err
		}
		if len(rrs) > 0 {
			return v.checkCAASet(node, rrs, wildcard, accountURI, method)
		}
	}
	return nil // no CAA anywhere above the name: any CA may issue
}

func parentDomain(name string) string {
	if i := strings.IndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return ""
}

func (v *Validator) checkCAASet(node string, rrs []dns.RR, wildcard bool, accountURI, method string) error {
	var issue, issuewild []*dns.CAA
	for _, rr := range rrs {
		c, ok := rr.(*dns.CAA)
		if !ok {
			continue
		}
		// RFC 8659 §4.1: tags match case-insensitively.
		switch tag := strings.ToLower(c.Tag); tag {
		case "issue":
			issue = append(issue, c)
		case "issuewild":
			issuewild = append(issuewild, c)
		default:
			if c.Flag&caaIssuerCritical != 0 && !slices.Contains(knownCAATags, tag) {
				return newError(CAA, nil, fmt.Sprintf("CAA record %q at %s is marked critical and this CA does not understand its tag; RFC 8659 §4.1 forbids issuance",
					caaString(c), node))
			}
		}
	}
	relevant, which := issue, "issue"
	if wildcard && len(issuewild) > 0 {
		relevant, which = issuewild, "issuewild" // RFC 8659 §4.3: issuewild overrides issue for wildcards
	}
	if len(relevant) == 0 {
		return nil // RFC 8659 §4.2: a set without issue properties restricts no one
	}
	for _, c := range relevant {
		if v.caaPermits(c.Value, accountURI, method) {
			return nil
		}
	}
	values := make([]string, len(relevant))
	for i, c := range relevant {
		values[i] = caaString(c)
	}
	return newError(CAA, nil, fmt.Sprintf("CAA %s records at %s %q do not permit issuance by %q for account %q with validation method %q",
		which, node, values, v.caaIdentities, accountURI, method))
}

func caaString(c *dns.CAA) string {
	return fmt.Sprintf("%d %s %q", c.Flag, c.Tag, c.Value)
}

// caaPermits reports whether one issue/issuewild value grants this CA permission. A value that
// does not parse grants nothing, the safe reading of a record the domain owner mistyped.
func (v *Validator) caaPermits(value, accountURI, method string) bool {
	issuer, params, ok := parseCAAValue(value)
	if !ok || issuer == "" { // ";" alone: no CA may issue (RFC 8659 §4.2)
		return false
	}
	if !slices.Contains(v.caaIdentities, strings.ToLower(issuer)) {
		return false
	}
	if uri, ok := params["accounturi"]; ok && uri != accountURI {
		return false // RFC 8657 §3
	}
	if methods, ok := params["validationmethods"]; ok && !slices.Contains(strings.Split(methods, ","), method) {
		return false // RFC 8657 §4
	}
	return true
}

// parseCAAValue parses an issue or issuewild value (RFC 8659 §4.2):
//
//	issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]
//	parameter   = tag *WSP "=" *WSP value
//
// Parameter tags are compared in lower case; a repeated tag makes the value malformed, since
// the two could disagree about the account or methods.
func parseCAAValue(s string) (issuer string, params map[string]string, ok bool) {
	issuer, rest, hasParams := strings.Cut(s, ";")
	issuer = strings.Trim(issuer, " \t")
	if issuer != "" && !isLDHName(issuer) {
		return "", nil, false
	}
	params = map[string]string{}
	if !hasParams {
		return issuer, params, true
	}
	rest = strings.Trim(rest, " \t")
	if rest == "" {
		return issuer, params, true
	}
	for p := range strings.SplitSeq(rest, ";") {
		tag, val, found := strings.Cut(p, "=")
		tag, val = strings.ToLower(strings.Trim(tag, " \t")), strings.Trim(val, " \t")
		if !found || !isLDHLabel(tag) || !isCAAParamValue(val) {
			return "", nil, false
		}
		if _, dup := params[tag]; dup {
			return "", nil, false
		}
		params[tag] = val
	}
	return issuer, params, true
}

// isLDHName checks issuer-domain-name = label *("." label).
func isLDHName(s string) bool {
	for l := range strings.SplitSeq(s, ".") {
		if !isLDHLabel(l) {
			return false
		}
	}
	return true
}

// isLDHLabel checks label = (ALPHA / DIGIT) *( *("-") (ALPHA / DIGIT)).
func isLDHLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isCAAParamValue checks value = *(%x21-3A / %x3C-7E): visible ASCII except ";".
func isCAAParamValue(s string) bool {
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e || c == ';' {
			return false
		}
	}
	return true
}
