package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/policy"
)

// Rules converts the policy section into the rules package policy enforces, with domains in
// lower-case A-label form as policy compares them. It fails only where Validate reports a
// problem, so the Policy of a validated Config always converts.
func (p Policy) Rules() (policy.Policy, error) {
	var errs []error
	domains := func(key string, in []string) []string {
		out := make([]string, 0, len(in))
		for i, s := range in {
			d, err := domainRule(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: policy.%s[%d]: %w", key, i, err))
			}
			out = append(out, d)
		}
		return out
	}
	prefixes := func(key string, in []string) []netip.Prefix {
		out := make([]netip.Prefix, 0, len(in))
		for i, s := range in {
			pfx, err := prefixRule(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("config: policy.%s[%d]: %w", key, i, err))
			}
			out = append(out, pfx)
		}
		return out
	}
	r := policy.Policy{
		AllowedDNS:     domains("allowed_dns", p.AllowedDNS),
		DeniedDNS:      domains("denied_dns", p.DeniedDNS),
		AllowedIPs:     prefixes("allowed_ips", p.AllowedIPs),
		DeniedIPs:      prefixes("denied_ips", p.DeniedIPs),
		AllowWildcards: p.AllowWildcards,
		MaxValidity:    time.Duration(p.MaxValidity),
	}
	for i, s := range p.KeyTypes {
		t, err := keyTypeRule(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: policy.key_types[%d]: %w", i, err))
		}
		r.KeyTypes = append(r.KeyTypes, t)
	}
	if err := errors.Join(errs...); err != nil {
		return policy.Policy{}, err
	}
	return r, nil
}

// domainRule normalises a policy domain: "example.com" (it and below), "*.example.com" or
// ".example.com" (strictly below), as names.InDomain reads them. Unicode is converted to
// A-labels, since certificate names are compared in that form (RFC 5280 §7.2).
func domainRule(s string) (string, error) {
	mark, rest := "", s
	for _, m := range []string{"*.", "."} {
		if r, ok := strings.CutPrefix(s, m); ok {
			mark, rest = m, r
			break
		}
	}
	a, err := names.ToASCII(rest)
	if err != nil || strings.Contains(a, "*") {
		return "", fmt.Errorf(`want a domain such as example.com or *.example.com, got %q`, s)
	}
	return mark + a, nil
}

// prefixRule reads a CIDR prefix, or a bare address as a prefix of one address.
func prefixRule(s string) (netip.Prefix, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return p, fmt.Errorf("want a CIDR prefix such as 10.0.0.0/8 or fd00::/8, got %q", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return p, fmt.Errorf("want a CIDR prefix such as 10.0.0.0/8 or an IP address, got %q", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	switch {
	case p.Addr().Is4In6():
		// policy compares addresses unmapped, so a mapped prefix would match nothing.
		return p, fmt.Errorf("%q is an IPv4-mapped IPv6 prefix; write it in IPv4 form", s)
	case p != p.Masked():
		// "10.1.2.3/8" is a typo for either 10.0.0.0/8 or 10.1.2.3/32; guessing would be wrong
		// one way or the other.
		return p, fmt.Errorf("%q has bits set after the prefix length; did you mean %s?", s, p.Masked())
	}
	return p, nil
}

// keyTypeRule reads a key type name as keys.ParseType does, with a message that lists the
// names.
func keyTypeRule(s string) (keys.Type, error) {
	t, err := keys.ParseType(s)
	if err != nil {
		list := make([]string, 0, len(keys.Types()))
		for _, t := range keys.Types() {
			list = append(list, string(t))
		}
		return "", fmt.Errorf("want one of %s, got %q", strings.Join(list, ", "), s)
	}
	return t, nil
}

func checkDomain(s string) error  { _, err := domainRule(s); return err }
func checkPrefix(s string) error  { _, err := prefixRule(s); return err }
func checkKeyType(s string) error { _, err := keyTypeRule(s); return err }
