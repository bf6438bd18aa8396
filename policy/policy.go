// Package policy decides what the CA will sign: which names and addresses, which key types and
// sizes, and for how long. It says no with a typed reason, so that each front end can answer in
// its own terms (a CLI message, an HTTP 403, an ACME rejectedIdentifier or badPublicKey).
package policy

import (
	"crypto"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/anchorpki/anchor/duration"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
)

// Policy is the set of rules. The zero value allows any well-formed name, any key type that
// package keys supports, and any validity the profile allows.
type Policy struct {
	// AllowedDNS, when not empty, admits only DNS names inside one of these domains
	// ("svc.internal" admits "a.svc.internal" and "svc.internal").
	AllowedDNS []string
	// DeniedDNS wins over AllowedDNS.
	DeniedDNS []string
	// AllowedIPs, when not empty, admits only addresses inside one of these prefixes; DeniedIPs wins.
	AllowedIPs []netip.Prefix
	DeniedIPs  []netip.Prefix
	// AllowWildcards admits "*.example.com" (still subject to the domain rules).
	AllowWildcards bool
	// KeyTypes, when not empty, restricts subject keys; otherwise every type keys.Types lists.
	KeyTypes []keys.Type
	// MaxValidity caps the lifetime of a leaf; 0 leaves the profile's own maximum.
	MaxValidity time.Duration
}

// Request is what policy looks at.
type Request struct {
	SANs      names.SANs
	PublicKey crypto.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
}

// Kind says which rule refused a request.
type Kind string

const (
	KindIdentifier Kind = "identifier" // a name or address is not allowed
	KindKey        Kind = "key"        // the key type or size is not allowed
	KindValidity   Kind = "validity"   // the lifetime is too long
)

// ErrRejected is wrapped by every *RejectedError.
var ErrRejected = errors.New("policy: request rejected")

// RejectedError is a refusal with its reason.
type RejectedError struct {
	Kind       Kind
	Identifier string // the offending name or address, for KindIdentifier
	Reason     string
}

func (e *RejectedError) Error() string {
	if e.Identifier != "" {
		return fmt.Sprintf("policy: %q is not allowed: %s", e.Identifier, e.Reason)
	}
	return "policy: " + e.Reason
}

func (e *RejectedError) Unwrap() error { return ErrRejected }

// Check returns nil or a *RejectedError for the first rule the request breaks.
func (p *Policy) Check(r Request) error {
	if err := p.checkKey(r.PublicKey); err != nil {
		return err
	}
	for _, n := range r.SANs.DNS {
		if err := p.checkDNS(n); err != nil {
			return err
		}
	}
	for _, ip := range r.SANs.IP {
		if err := p.checkIP(ip.String()); err != nil {
			return err
		}
	}
	if !r.NotAfter.IsZero() && !r.NotBefore.IsZero() {
		return p.CheckValidity(r.NotBefore, r.NotAfter)
	}
	return nil
}

// CheckName applies the name rules alone to one DNS name or IP address, as a front end that
// learns the names before the key does (an ACME newOrder) needs to.
func (p *Policy) CheckName(name string) error {
	if _, err := netip.ParseAddr(name); err == nil {
		return p.checkIP(name)
	}
	return p.checkDNS(name)
}

// CheckValidity applies MaxValidity to a certificate's actual validity period. Check can apply
// it only when a request names both ends; the authority calls this once the defaults are filled
// in, so a default lifetime cannot escape the policy.
func (p *Policy) CheckValidity(notBefore, notAfter time.Time) error {
	if p.MaxValidity > 0 && duration.ValidityExceeds(notBefore, notAfter, p.MaxValidity) {
		return &RejectedError{Kind: KindValidity, Reason: fmt.Sprintf("validity of %d days exceeds the policy maximum of %d days",
			duration.ValidityDays(notBefore, notAfter), int(p.MaxValidity/duration.Day))}
	}
	return nil
}

func (p *Policy) checkKey(pub crypto.PublicKey) error {
	t, err := keys.TypeOf(pub)
	if err != nil {
		return &RejectedError{Kind: KindKey, Reason: fmt.Sprintf("subject key %s is not accepted: %v", keys.Describe(pub), err)}
	}
	if len(p.KeyTypes) > 0 && !slices.Contains(p.KeyTypes, t) {
		return &RejectedError{Kind: KindKey, Reason: fmt.Sprintf("key type %s is not allowed (allowed: %s)", t, joinTypes(p.KeyTypes))}
	}
	return nil
}

func (p *Policy) checkDNS(n string) error {
	if strings.HasPrefix(n, "*.") && !p.AllowWildcards {
		return &RejectedError{Kind: KindIdentifier, Identifier: n, Reason: "wildcard names are not allowed"}
	}
	for _, d := range p.DeniedDNS {
		if names.InDomain(n, d) {
			return &RejectedError{Kind: KindIdentifier, Identifier: n, Reason: "it is inside the denied domain " + d}
		}
	}
	if len(p.AllowedDNS) == 0 {
		return nil
	}
	for _, d := range p.AllowedDNS {
		if names.InDomain(n, d) {
			return nil
		}
	}
	return &RejectedError{Kind: KindIdentifier, Identifier: n, Reason: "it is outside the allowed domains " + strings.Join(p.AllowedDNS, ", ")}
}

func (p *Policy) checkIP(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return &RejectedError{Kind: KindIdentifier, Identifier: s, Reason: "not an IP address"}
	}
	a = a.Unmap()
	for _, d := range p.DeniedIPs {
		if d.Contains(a) {
			return &RejectedError{Kind: KindIdentifier, Identifier: s, Reason: "it is inside the denied range " + d.String()}
		}
	}
	if len(p.AllowedIPs) == 0 {
		return nil
	}
	for _, d := range p.AllowedIPs {
		if d.Contains(a) {
			return nil
		}
	}
	return &RejectedError{Kind: KindIdentifier, Identifier: s, Reason: "it is outside the allowed address ranges"}
}

func joinTypes(ts []keys.Type) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
