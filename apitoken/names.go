package apitoken

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/anchorpki/anchor/names"
)

// ErrBadPattern is wrapped by ParsePatterns for a pattern that could never match sensibly.
var ErrBadPattern = errors.New("apitoken: invalid name pattern")

// NameAllowed reports whether a token restricted to patterns may obtain a certificate for name.
// No patterns means no restriction. A pattern is
//   - "*.example.com": any DNS name strictly below example.com, at any depth (a.example.com,
//     a.b.example.com), and the wildcard name *.example.com itself, but not example.com;
//   - a DNS name: that name only, case-insensitively, a trailing dot ignored;
//   - a CIDR prefix (10.0.0.0/8, fd00::/8): IP addresses inside it;
//   - an IP address: that address only;
//   - anything else (an email address, a URI): that exact string only.
//
// Names are matched by kind first, so neither an email address nor a URI ever matches a DNS
// pattern through its domain part (x@a.example.com is not "below" example.com).
func NameAllowed(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	if ip, err := netip.ParseAddr(name); err == nil {
		ip = ip.Unmap()
		for _, p := range patterns {
			if ipMatches(p, ip) {
				return true
			}
		}
		return false
	}
	if !isDNSLike(name) {
		for _, p := range patterns {
			if p == name {
				return true
			}
		}
		return false
	}
	for _, p := range patterns {
		if dnsMatches(p, name) {
			return true
		}
	}
	return false
}

func ipMatches(pattern string, ip netip.Addr) bool {
	if strings.Contains(pattern, "/") {
		pfx, err := netip.ParsePrefix(pattern)
		if err != nil {
			return false
		}
		// An IPv4 prefix written in mapped form would never contain an unmapped address.
		if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
			pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
		}
		return pfx.Contains(ip)
	}
	a, err := netip.ParseAddr(pattern)
	return err == nil && a.Unmap() == ip
}

func dnsMatches(pattern, name string) bool {
	if !isDNSLike(pattern) {
		return false
	}
	if strings.HasPrefix(pattern, "*.") {
		return names.InDomain(name, pattern)
	}
	return strings.EqualFold(strings.TrimSuffix(pattern, "."), strings.TrimSuffix(name, "."))
}

// isDNSLike tells DNS names (and common names written like them) from email addresses and URIs,
// whose syntax always contains "@" or ":", and neither of which a DNS name can contain.
func isDNSLike(s string) bool {
	return s != "" && !strings.ContainsAny(s, "@:/")
}

// ParsePatterns checks and normalises the patterns an operator gives when creating a token:
// DNS names become lower-case A-labels, prefixes are masked (10.1.2.3/8 becomes 10.0.0.0/8),
// addresses are unmapped. A wildcard is only a whole leftmost "*." label; unlike a certificate
// name it may sit directly above a top-level domain ("*.internal"), since it restricts a token
// rather than naming a host.
func ParsePatterns(patterns []string) ([]string, error) {
	out := make([]string, 0, len(patterns))
	for _, p := range patterns {
		n, err := parsePattern(strings.TrimSpace(p))
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

func parsePattern(p string) (string, error) {
	bad := func(why string) (string, error) {
		return "", fmt.Errorf("%w %q: %s", ErrBadPattern, p, why)
	}
	if p == "" {
		return bad("empty")
	}
	if pfx, err := netip.ParsePrefix(p); err == nil {
		if pfx.Addr().Zone() != "" {
			return bad("a zone means nothing in a certificate")
		}
		return pfx.Masked().String(), nil
	}
	if addr, _, ok := strings.Cut(p, "/"); ok {
		if _, err := netip.ParseAddr(addr); err == nil {
			return bad("not a valid CIDR prefix")
		}
	}
	if a, err := netip.ParseAddr(p); err == nil {
		if a.Zone() != "" {
			return bad("a zone means nothing in a certificate")
		}
		return a.Unmap().String(), nil
	}
	if !isDNSLike(p) {
		if strings.ContainsAny(p, " \t\r\n") {
			return bad("contains white space")
		}
		return p, nil // an email address or URI, matched exactly
	}
	name, wildcard := strings.TrimSuffix(p, "."), ""
	if rest, ok := strings.CutPrefix(name, "*."); ok {
		name, wildcard = rest, "*."
	}
	if strings.Contains(name, "*") {
		return bad("a wildcard may only be the whole leftmost label, as in *.example.com")
	}
	// The wildcard is checked above and stripped here, so names.ToASCII's rule that a
	// certificate's wildcard needs two labels after it does not apply to the base.
	a, err := names.ToASCII(name)
	if err != nil {
		return bad(strings.TrimPrefix(err.Error(), "names: "))
	}
	return wildcard + a, nil
}
