package names

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ValidateDNSName checks a DNS name as it may appear in a dNSName SAN (RFC 5280 §4.2.1.6, which
// requires the "preferred name syntax" of RFC 1034 §3.5 as relaxed by RFC 1123 §2.1): labels of
// letters, digits and hyphens that neither start nor end with a hyphen, at most 63 octets each and
// 253 in all, no trailing dot. A wildcard is allowed only as the entire leftmost label ("*.a.b",
// never "a*.b" or "a.*.b") with at least two labels after it, so "*.com" cannot be certified
// (CA/Browser Forum Baseline Requirements §3.2.2.6). The name must already be in A-label form.
func ValidateDNSName(name string) error {
	if name == "" {
		return &invalidError{ErrInvalidName, "names: empty DNS name"}
	}
	if problem := dnsProblem(name); problem != "" {
		return &invalidError{ErrInvalidName, fmt.Sprintf("names: DNS name %q: %s", name, problem)}
	}
	return nil
}

// dnsProblem says what is wrong with a non-empty name, or "" if nothing is.
func dnsProblem(name string) string {
	switch {
	case strings.HasSuffix(name, "."):
		return "trailing dot (write the name without it)"
	case len(name) > 253:
		return fmt.Sprintf("%d octets long, over the limit of 253 (RFC 1035 §2.3.4)", len(name))
	}
	labels := strings.Split(name, ".")
	if labels[0] == "*" {
		if len(labels) < 3 {
			return "a wildcard needs at least two labels after it"
		}
		labels = labels[1:]
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "empty label"
		case len(l) > 63:
			return fmt.Sprintf("label %q is %d octets long, over the limit of 63 (RFC 1035 §2.3.4)", l, len(l))
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("label %q starts or ends with a hyphen", l)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if c == '*' {
				return "a wildcard may only be the entire leftmost label"
			}
			if !isLDH(c) {
				r, _ := utf8.DecodeRuneInString(l[i:])
				return fmt.Sprintf("label %q contains %q (only letters, digits and hyphens are allowed)", l, r)
			}
		}
		if hasACEPrefix(l) {
			// RFC 5891 §5.4: an A-label must decode to a valid U-label.
			if _, err := idna.Lookup.ToUnicode(l); err != nil {
				return fmt.Sprintf("label %q is not a valid IDNA A-label: %v", l, err)
			}
		}
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		// RFC 3696 §2: a top-level domain is never all-numeric, so "10.0.0.256" is a mistyped
		// address, not a name.
		return "the last label is all-numeric (a mistyped IP address?)"
	}
	return ""
}

func isLDH(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-'
}

func hasACEPrefix(label string) bool {
	return len(label) >= 4 && strings.EqualFold(label[:4], "xn--")
}

// ToASCII converts a DNS name to lower-case A-labels using IDNA 2008 (RFC 5891, the Lookup
// profile of golang.org/x/net/idna, non-transitional so "ß" stays distinct from "ss"), and then
// checks the result with ValidateDNSName. A leading "*." wildcard label is kept. RFC 5280 §7.2
// requires IDNs in dNSName to be A-labels.
func ToASCII(name string) (string, error) {
	wildcard := ""
	rest := name
	if strings.HasPrefix(rest, "*.") {
		wildcard, rest = "*.", rest[2:]
	}
	if !isASCII(rest) {
		a, err := idna.Lookup.ToASCII(rest)
		if err != nil {
			return "", &invalidError{ErrInvalidName, fmt.Sprintf("names: DNS name %q: not a valid internationalised domain name: %v", name, err)}
		}
		rest = a
	}
	out := wildcard + strings.ToLower(rest)
	if out == "" {
		return "", &invalidError{ErrInvalidName, "names: empty DNS name"}
	}
	if problem := dnsProblem(out); problem != "" {
		if out != name {
			problem = fmt.Sprintf("as %q: %s", out, problem)
		}
		return "", &invalidError{ErrInvalidName, fmt.Sprintf("names: DNS name %q: %s", name, problem)}
	}
	return out, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// InDomain reports whether name is suffix or lies below it, matching whole labels only:
// "a.svc.internal" is in "svc.internal", "evilsvc.internal" is not. A suffix written as a
// pattern, "*.svc.internal" or ".svc.internal", matches only names strictly below it, at any
// depth. Comparison is ASCII case-insensitive; pass A-labels (as ParseSANs returns them). An empty
// suffix matches nothing, so a missing setting never allows everything.
func InDomain(name, suffix string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	suffix = strings.ToLower(strings.TrimSuffix(suffix, "."))
	below := false
	if strings.HasPrefix(suffix, "*.") {
		suffix, below = suffix[2:], true
	} else if strings.HasPrefix(suffix, ".") {
		suffix, below = suffix[1:], true
	}
	if suffix == "" || name == "" || strings.HasPrefix(suffix, ".") {
		return false
	}
	if name == suffix {
		return !below
	}
	return strings.HasSuffix(name, "."+suffix)
}
