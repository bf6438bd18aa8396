package policy

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheckName(t *testing.T) {
	p := &Policy{
		AllowedDNS: []string{"svc.internal"}, DeniedDNS: []string{"secret.svc.internal"},
		AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, DeniedIPs: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")},
	}
	for name, ok := range map[string]bool{
		"svc.internal": true, "a.svc.internal": true, "www.example.com": false, "x.secret.svc.internal": false,
		"*.svc.internal": false, // wildcards not allowed
		"10.1.2.3":       true, "10.9.1.1": false, "192.168.1.1": false,
	} {
		err := p.CheckName(name)
		if (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v, want allowed=%v", name, err, ok)
		}
		if err != nil {
			var rej *RejectedError
			if !errors.As(err, &rej) || rej.Kind != KindIdentifier || rej.Identifier != name {
				t.Errorf("CheckName(%q): %#v, want an identifier rejection naming it", name, err)
			}
		}
	}
	p.AllowWildcards = true
	if err := p.CheckName("*.svc.internal"); err != nil {
		t.Errorf("wildcard with AllowWildcards: %v", err)
	}
}

// TestCheckValidityCountsBothEnds: the policy's maximum is a number of days as RFC 5280 and the
// Baseline Requirements count them, both ends included, and its refusal says how many.
func TestCheckValidityCountsBothEnds(t *testing.T) {
	p := &Policy{MaxValidity: 200 * 24 * time.Hour}
	nb := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	if err := p.CheckValidity(nb, nb.Add(200*24*time.Hour-time.Second)); err != nil {
		t.Errorf("200 days refused: %v", err)
	}
	err := p.CheckValidity(nb, nb.Add(200*24*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "validity of 201 days exceeds the policy maximum of 200 days") {
		t.Errorf("notAfter = notBefore + 200 days: %v; want a refusal naming 201 days", err)
	}
}
