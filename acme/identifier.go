package acme

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/anchorpki/anchor/names"
)

// The identifier types this package knows: DNS names (RFC 8555 §9.7.7) and IP addresses
// (RFC 8738 §3).
const (
	IdentifierDNS = "dns"
	IdentifierIP  = "ip"
)

// Identifier names what a certificate is for (RFC 8555 §7.1.4).
type Identifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// ParseIdentifier checks an identifier as a client sent it and returns it. Wire identifiers
// must already be in the one form the certificate will carry, so that an order, its
// authorizations and the CSR compare byte for byte:
//   - dns: lower-case A-labels (RFC 5891), no trailing dot, a wildcard only as the whole
//     leftmost label "*.", otherwise the syntax of names.ValidateDNSName;
//   - ip: the RFC 8738 §3 text form, IPv4 dotted quad or RFC 5952 IPv6, no zone.
//
// An unknown type is unsupportedIdentifier. A value in the wrong form (upper case, trailing dot,
// U-labels, uncompressed IPv6) is malformed, with the form to send instead; a value that is
// not a name or address at all is rejectedIdentifier. Every problem carries the identifier.
func ParseIdentifier(typ, value string) (Identifier, error) {
	id := Identifier{Type: typ, Value: value}
	var p *Problem
	switch typ {
	case IdentifierDNS:
		p = dnsProblem(value)
	case IdentifierIP:
		p = ipProblem(value)
	default:
		p = UnsupportedIdentifier(fmt.Sprintf("identifier type %q is not supported (use %q or %q)", typ, IdentifierDNS, IdentifierIP))
	}
	if p != nil {
		p.Identifier = &id
		return Identifier{}, p
	}
	return id, nil
}

// Validate is ParseIdentifier for an identifier already decoded.
func (id Identifier) Validate() error {
	_, err := ParseIdentifier(id.Type, id.Value)
	return err
}

func dnsProblem(v string) *Problem {
	switch {
	case v == "":
		return Malformed("empty DNS identifier")
	case strings.HasSuffix(v, ".") && len(v) > 1:
		return Malformed(fmt.Sprintf("DNS identifier %q has a trailing dot; send %q", v, strings.TrimSuffix(v, ".")))
	}
	if err := names.ValidateDNSName(v); err != nil {
		// A non-ASCII name that IDNA can convert is a fixable encoding mistake, not a bad name.
		if a, aerr := names.ToASCII(v); aerr == nil && a != v && !isASCII(v) {
			return Malformed(fmt.Sprintf("DNS identifier %q must be in A-label form (RFC 5891); send %q", v, a))
		}
		return RejectedIdentifier(nameDetail(err))
	}
	if lower := strings.ToLower(v); lower != v {
		return Malformed(fmt.Sprintf("DNS identifier %q must be lower case; send %q", v, lower))
	}
	return nil
}

func ipProblem(v string) *Problem {
	if v == "" {
		return Malformed("empty IP identifier")
	}
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return RejectedIdentifier(fmt.Sprintf("IP identifier %q is not an IPv4 or IPv6 address", v))
	}
	switch {
	case addr.Zone() != "":
		return RejectedIdentifier(fmt.Sprintf("IP identifier %q has a zone, which a certificate cannot carry", v))
	case addr.Is4In6():
		// crypto/x509 writes such an address as 4 bytes, so the certificate would name a
		// different identifier than the order.
		return RejectedIdentifier(fmt.Sprintf("IP identifier %q is an IPv4-mapped IPv6 address; request %q", v, addr.Unmap().String()))
	case addr.String() != v:
		return Malformed(fmt.Sprintf("IP identifier %q is not in canonical form (RFC 8738 §3, RFC 5952 §4); send %q", v, addr.String()))
	}
	return nil
}

// nameDetail drops package names' prefix; its messages already quote the name and say what is
// wrong with it.
func nameDetail(err error) string {
	return strings.TrimPrefix(err.Error(), "names: ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// IdentifierFor turns a name as a user types it into a wire identifier: an address becomes an
// ip identifier in canonical form, anything else a dns identifier in lower-case A-labels
// without a trailing dot. Clients use it so that ParseIdentifier on the server accepts what
// they send.
func IdentifierFor(name string) (Identifier, error) {
	if addr, err := netip.ParseAddr(name); err == nil {
		return ParseIdentifier(IdentifierIP, addr.Unmap().String())
	}
	trimmed := strings.TrimSuffix(name, ".")
	a, err := names.ToASCII(trimmed)
	if err != nil {
		id := Identifier{Type: IdentifierDNS, Value: name}
		p := RejectedIdentifier(nameDetail(err))
		p.Identifier = &id
		return Identifier{}, p
	}
	return ParseIdentifier(IdentifierDNS, a)
}

// Authorization returns the identifier an authorization for id names, and whether id was a
// wildcard: RFC 8555 §7.1.4 strips "*." and sets the wildcard field instead.
func (id Identifier) Authorization() (Identifier, bool) {
	if id.Type == IdentifierDNS && strings.HasPrefix(id.Value, "*.") {
		return Identifier{Type: IdentifierDNS, Value: id.Value[2:]}, true
	}
	return id, false
}

// ValidateIdentifiers checks the identifiers of a newOrder request: at least one, no
// duplicates, each valid per ParseIdentifier. Several bad identifiers are reported together as
// a compound problem with one subproblem each (RFC 8555 §6.7.1), so the user can fix them all
// at once; a single one is returned as is.
func ValidateIdentifiers(ids []Identifier) error {
	if len(ids) == 0 {
		return Malformed("the order has no identifiers")
	}
	var subs []Subproblem
	seen := make(map[Identifier]bool, len(ids))
	for _, id := range ids {
		var p *Problem
		if seen[id] {
			p = Malformed(fmt.Sprintf("%s identifier %q appears more than once", id.Type, id.Value))
			p.Identifier = &id
		} else if err := id.Validate(); err != nil {
			p, _ = errors.AsType[*Problem](err)
		}
		seen[id] = true
		if p != nil {
			subs = append(subs, Subproblem{Type: p.Type, Detail: p.Detail, Identifier: p.Identifier})
		}
	}
	switch len(subs) {
	case 0:
		return nil
	case 1:
		s := subs[0]
		p := NewProblem(s.Type, s.Detail)
		p.Identifier = s.Identifier
		return p
	}
	return Compound(fmt.Sprintf("%d of the order's identifiers are unacceptable", len(subs)), subs...)
}
