package challenge_test

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
)

// txtValue is RFC 8555 §8.4's record value, computed independently of the package.
func txtValue(keyAuth string) string {
	sum := sha256.Sum256([]byte(keyAuth))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func TestDNS01(t *testing.T) {
	t.Parallel()
	want := txtValue(keyAuth)
	tests := []struct {
		name    string
		domain  string
		records []string
		kind    challenge.Kind // 0: success
		parts   []string
	}{
		{"match", "a.test", []string{`_acme-challenge.a.test. TXT "` + want + `"`}, 0, nil},
		{"one of several", "a.test", []string{`_acme-challenge.a.test. TXT "stale"`,
			`_acme-challenge.a.test. TXT "` + want + `"`, `_acme-challenge.a.test. TXT "other"`}, 0, nil},
		{"wildcard at base domain", "*.a.test", []string{`_acme-challenge.a.test. TXT "` + want + `"`}, 0, nil},
		{"split character-strings", "a.test", []string{`_acme-challenge.a.test. TXT "` + want[:20] + `" "` + want[20:] + `"`}, 0, nil},
		{"case-insensitive name", "A.Test", []string{`_acme-challenge.a.test. TXT "` + want + `"`}, 0, nil},
		{"CNAME chain across zones", "a.test", []string{
			"_acme-challenge.a.test. CNAME a.acme.delegated.test.",
			"a.acme.delegated.test. CNAME final.other.test.",
			`final.other.test. TXT "` + want + `"`}, 0, nil},
		{"NXDOMAIN", "a.test", nil, challenge.DNS, []string{"_acme-challenge.a.test does not exist (NXDOMAIN)", want}},
		{"no TXT records", "a.test", []string{"_acme-challenge.a.test. A 127.0.0.1"}, challenge.DNS,
			[]string{"no TXT records at _acme-challenge.a.test", want}},
		{"wrong TXT", "a.test", []string{`_acme-challenge.a.test. TXT "nope"`, `_acme-challenge.a.test. TXT "stale"`},
			challenge.IncorrectResponse, []string{`TXT records at _acme-challenge.a.test: ["nope" "stale"]`, "none match the expected " + fmt.Sprintf("%q", want)}},
		{"wildcard TXT at the wildcard name does not count", "*.a.test", []string{`_acme-challenge.*.a.test. TXT "` + want + `"`},
			challenge.DNS, []string{"_acme-challenge.a.test does not exist"}},
		{"CNAME loop", "a.test", []string{"_acme-challenge.a.test. CNAME x.test.", "x.test. CNAME _acme-challenge.a.test."},
			challenge.DNS, []string{"CNAME loop at _acme-challenge.a.test"}},
		{"CNAME to nowhere", "a.test", []string{"_acme-challenge.a.test. CNAME gone.test."},
			challenge.DNS, []string{"does not exist (NXDOMAIN)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, tc.records...)
			v := newValidator(t, dns, challenge.Options{})
			err := v.DNS01(t.Context(), tc.domain, keyAuth)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("DNS01 = %v", err)
				}
				return
			}
			wantError(t, err, tc.kind, tc.parts...)
		})
	}
}

// TestDNS01LongChain: chains past the limit are refused with the limit named.
func TestDNS01LongChain(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	prev := "_acme-challenge.a.test."
	for i := range 12 {
		next := fmt.Sprintf("hop%d.test.", i)
		dns.Add(t, prev+" CNAME "+next)
		prev = next
	}
	dns.Add(t, prev+` TXT "`+txtValue(keyAuth)+`"`)
	v := newValidator(t, dns, challenge.Options{})
	wantError(t, v.DNS01(t.Context(), "a.test", keyAuth), challenge.DNS, "longer than 8 links")
}

// TestDNS01TruncatedOverUDP: an answer too big for UDP is fetched again over TCP.
func TestDNS01TruncatedOverUDP(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	for i := range 60 {
		dns.Add(t, fmt.Sprintf(`_acme-challenge.a.test. TXT "filler-%02d-%s"`, i, strings.Repeat("x", 40)))
	}
	dns.Add(t, `_acme-challenge.a.test. TXT "`+txtValue(keyAuth)+`"`)
	v := newValidator(t, dns, challenge.Options{})
	if err := v.DNS01(t.Context(), "a.test", keyAuth); err != nil {
		t.Fatalf("DNS01 = %v", err)
	}
	if q := dns.Queries(); len(q) != 2 {
		t.Errorf("queries = %q; want the TXT query twice (UDP, then TCP)", q)
	}

	// A long mismatch lists a few values, not sixty.
	err := v.DNS01(t.Context(), "a.test", "other.key-auth")
	wantError(t, err, challenge.IncorrectResponse, "and 56 more")
}

func TestDNS01ServFail(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	dns.SetRcode("_acme-challenge.a.test.", 2)
	v := newValidator(t, dns, challenge.Options{})
	wantError(t, v.DNS01(t.Context(), "a.test", keyAuth), challenge.DNS, "answered SERVFAIL for TXT _acme-challenge.a.test")
}
