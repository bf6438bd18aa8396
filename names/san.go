package names

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// SANs are the subject alternative names of a certificate or request (RFC 5280 §4.2.1.6), in
// the forms crypto/x509 templates take. DNS names are lower-case A-labels; IP addresses are 4
// bytes for IPv4 and 16 for IPv6.
type SANs struct {
	DNS   []string
	IP    []net.IP
	Email []string
	URI   []*url.URL
}

// ParseSANs classifies and normalises names as an operator types them. An explicit prefix
// "DNS:", "IP:", "email:" or "URI:" (any case, as openssl's subjectAltName and step accept)
// decides the kind; otherwise a value that parses as an IPv4 or IPv6 address is an IP address,
// one containing "://" or starting with "urn:" is a URI, one containing "@" is an email address,
// and anything else is a DNS name (converted with ToASCII). Duplicates are dropped, keeping the
// first, after normalisation: "Example.COM" and "example.com" are one name.
func ParseSANs(values []string) (SANs, error) {
	var s SANs
	seen := map[string]bool{}
	for _, raw := range values {
		kind, v := classify(strings.TrimSpace(raw))
		var key string
		switch kind {
		case "IP":
			ip, err := parseIP(v)
			if err != nil {
				return SANs{}, err
			}
			key = "IP:" + ip.String()
			if !seen[key] {
				s.IP = append(s.IP, net.IP(ip.AsSlice()))
			}
		case "URI":
			u, err := parseURI(v)
			if err != nil {
				return SANs{}, err
			}
			key = "URI:" + u.String()
			if !seen[key] {
				s.URI = append(s.URI, u)
			}
		case "email":
			e, err := parseEmail(v)
			if err != nil {
				return SANs{}, err
			}
			key = "email:" + e
			if !seen[key] {
				s.Email = append(s.Email, e)
			}
		case "DNS":
			d, err := ToASCII(v)
			if err != nil {
				return SANs{}, err
			}
			key = "DNS:" + d
			if !seen[key] {
				s.DNS = append(s.DNS, d)
			}
		default:
			d, err := ToASCII(v)
			if err != nil {
				if v == "" {
					return SANs{}, &invalidError{ErrInvalidName, "names: empty name"}
				}
				return SANs{}, &invalidError{ErrInvalidName, fmt.Sprintf(
					"names: %q is not a DNS name, IP address, email address or URI: %s", v, reason(err, v))}
			}
			key = "DNS:" + d
			if !seen[key] {
				s.DNS = append(s.DNS, d)
			}
		}
		seen[key] = true
	}
	return s, nil
}

// reason strips the "names: DNS name "x": " preamble from err, leaving what was wrong.
func reason(err error, name string) string {
	return strings.TrimPrefix(err.Error(), fmt.Sprintf("names: DNS name %q: ", name))
}

// classify returns the kind of v ("DNS", "IP", "email", "URI", or "" when the kind must be
// guessed by trying DNS) and the value without any explicit prefix.
func classify(v string) (kind, value string) {
	for _, k := range []string{"DNS", "IP", "email", "URI"} {
		if len(v) > len(k) && v[len(k)] == ':' && strings.EqualFold(v[:len(k)], k) {
			return k, strings.TrimSpace(v[len(k)+1:])
		}
	}
	lower := strings.ToLower(v)
	switch {
	case isIP(v):
		return "IP", v
	case strings.Contains(v, "://"), strings.HasPrefix(lower, "urn:"):
		return "URI", v
	case strings.Contains(v, "@"):
		return "email", v
	}
	return "", v
}

func isIP(v string) bool {
	_, err := netip.ParseAddr(v)
	return err == nil
}

// parseIP accepts IPv4 and IPv6 addresses without a zone (a zone means nothing to another host)
// and unmaps IPv4-mapped IPv6 addresses, as crypto/x509 encodes them in 4 bytes anyway.
func parseIP(v string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Addr{}, &invalidError{ErrInvalidName, fmt.Sprintf("names: %q is not an IP address", v)}
	}
	if ip.Zone() != "" {
		return netip.Addr{}, &invalidError{ErrInvalidName, fmt.Sprintf("names: IP address %q has a zone, which no certificate can carry", v)}
	}
	return ip.Unmap(), nil
}

// parseURI applies RFC 5280 §4.2.1.6: a uniformResourceIdentifier is an absolute URI (a scheme
// and a scheme-specific part), never a relative reference, and is an IA5String.
func parseURI(v string) (*url.URL, error) {
	fail := func(why string) (*url.URL, error) {
		return nil, &invalidError{ErrInvalidName, fmt.Sprintf("names: URI %q: %s", v, why)}
	}
	if !isASCII(v) {
		return fail("contains non-ASCII characters (percent-encode them; RFC 3987 §3.1)")
	}
	u, err := url.Parse(v)
	if err != nil {
		return fail(strings.TrimPrefix(err.Error(), fmt.Sprintf("parse %q: ", v)))
	}
	if u.Scheme == "" {
		return fail("no scheme (RFC 5280 §4.2.1.6 requires an absolute URI)")
	}
	if u.Opaque == "" && u.Host == "" && u.Path == "" {
		return fail("nothing after the scheme")
	}
	if host := u.Hostname(); host != "" && !isIP(host) {
		// RFC 5280 §4.2.1.6: the host of a URI with an authority is a fully qualified domain
		// name, and crypto/x509 refuses to parse a certificate whose URI host has empty labels.
		for _, l := range strings.Split(host, ".") {
			if l == "" {
				return fail(fmt.Sprintf("host %q has an empty label or a trailing dot", host))
			}
		}
	}
	// url.Parse lower-cases the scheme (RFC 3986 §3.1: it is case-insensitive); anything else it
	// would re-encode differently means the operator's text and the certificate would disagree.
	if want := u.Scheme + v[len(u.Scheme):]; u.String() != want {
		return fail(fmt.Sprintf("is not in normal form (did you mean %q?)", u.String()))
	}
	return u, nil
}

// Strings lists every name for display and the inventory, in the order DNS, IP, email, URI:
// "example.com", "10.0.0.1", "a@b.c", "spiffe://x/y".
func (s SANs) Strings() []string {
	out := make([]string, 0, s.Len())
	out = append(out, s.DNS...)
	for _, ip := range s.IP {
		out = append(out, ip.String())
	}
	out = append(out, s.Email...)
	for _, u := range s.URI {
		out = append(out, u.String())
	}
	return out
}

// Prefixed lists every name with its kind, in the order of Strings, as openssl prints a
// subjectAltName and ParseSANs reads it back: "DNS:example.com", "IP:10.0.0.1", "email:a@b.c",
// "URI:spiffe://x/y".
func (s SANs) Prefixed() []string {
	out := make([]string, 0, s.Len())
	for _, d := range s.DNS {
		out = append(out, "DNS:"+d)
	}
	for _, ip := range s.IP {
		out = append(out, "IP:"+ip.String())
	}
	for _, e := range s.Email {
		out = append(out, "email:"+e)
	}
	for _, u := range s.URI {
		out = append(out, "URI:"+u.String())
	}
	return out
}

// Len is the number of names of all kinds.
func (s SANs) Len() int { return len(s.DNS) + len(s.IP) + len(s.Email) + len(s.URI) }
