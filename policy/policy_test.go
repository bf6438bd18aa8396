package policy

import (
	"errors"
	"net/netip"
	"testing"
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
