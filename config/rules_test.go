package config_test

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/policy"
)

func TestPolicyRules(t *testing.T) {
	p := config.Policy{
		AllowedDNS:     []string{"Example.COM", "*.svc.internal", ".corp", "bücher.example"},
		DeniedDNS:      []string{"bad.example.com"},
		AllowedIPs:     []string{"10.0.0.0/8", "192.0.2.7", "fd00::/8"},
		DeniedIPs:      []string{"::1"},
		AllowWildcards: false,
		KeyTypes:       []string{"EC-P256", "ed25519"},
		MaxValidity:    config.Duration(90 * 24 * time.Hour),
	}
	got, err := p.Rules()
	if err != nil {
		t.Fatal(err)
	}
	want := policy.Policy{
		AllowedDNS:  []string{"example.com", "*.svc.internal", ".corp", "xn--bcher-kva.example"},
		DeniedDNS:   []string{"bad.example.com"},
		AllowedIPs:  []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fd00::/8")},
		DeniedIPs:   []netip.Prefix{netip.MustParsePrefix("::1/128")},
		KeyTypes:    []keys.Type{keys.ECP256, keys.Ed25519},
		MaxValidity: 90 * 24 * time.Hour,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Rules() =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPolicyRulesErrors(t *testing.T) {
	p := config.Policy{AllowedDNS: []string{"ok.com", "a..b"}, DeniedIPs: []string{"nope"}, KeyTypes: []string{"dsa"}}
	_, err := p.Rules()
	if err == nil {
		t.Fatal("Rules() of an invalid policy succeeded")
	}
	for _, want := range []string{"policy.allowed_dns[1]", "policy.denied_ips[0]", "policy.key_types[0]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Rules() error %q does not name %s", err, want)
		}
	}
	c := config.Default()
	c.Policy = p
	if c.Validate() == nil {
		t.Error("Validate accepts a policy Rules rejects")
	}
}

func TestTLSVersionAndLogLevel(t *testing.T) {
	if v := (config.TLS{MinVersion: "1.3"}).Version(); v != 0x0304 {
		t.Errorf("Version(1.3) = %#x", v)
	}
	if v := (config.TLS{MinVersion: "1.1"}).Version(); v != 0 {
		t.Errorf("Version(1.1) = %#x; want 0", v)
	}
	if l := (config.Log{Level: "warn"}).SlogLevel(); l.String() != "WARN" {
		t.Errorf("SlogLevel(warn) = %v", l)
	}
}
