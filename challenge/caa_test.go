package challenge_test

import (
	"slices"
	"testing"

	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
)

const account = "https://ca.test/acme/acct/42"

func TestCAA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		domain   string
		wildcard bool
		method   string
		records  []string
		kind     challenge.Kind // 0: permitted
		parts    []string
	}{
		{"no CAA anywhere", "www.a.test", false, "http-01", []string{"www.a.test. A 127.0.0.1"}, 0, nil},
		{"issue for us", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "anchor.test"`}, 0, nil},
		{"issuer name case-insensitive", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "Anchor.TEST"`}, 0, nil},
		{"tag case-insensitive", "a.test", false, "http-01", []string{`a.test. CAA 0 ISSUE "anchor.test"`}, 0, nil},
		{"second identity", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "alt.anchor.test"`}, 0, nil},
		{"one of several issuers", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "other.ca"`, `a.test. CAA 0 issue "anchor.test"`}, 0, nil},
		{"issue for another CA", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "other.ca"`}, challenge.CAA,
			[]string{`CAA issue records at a.test`, `other.ca`, `"anchor.test"`}},
		{"empty issue value forbids all", "a.test", false, "http-01", []string{`a.test. CAA 0 issue ";"`}, challenge.CAA, []string{"at a.test"}},
		{"malformed value grants nothing", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "anchor.test; accounturi"`}, challenge.CAA, nil},
		{"only iodef", "a.test", false, "http-01", []string{`a.test. CAA 0 iodef "mailto:sec@a.test"`}, 0, nil},
		{"non-critical unknown tag ignored", "a.test", false, "http-01", []string{`a.test. CAA 0 futuretag "x"`, `a.test. CAA 0 issue "anchor.test"`}, 0, nil},
		{"critical unknown tag", "a.test", false, "http-01", []string{`a.test. CAA 128 futuretag "x"`, `a.test. CAA 0 issue "anchor.test"`},
			challenge.CAA, []string{"marked critical", "futuretag"}},
		{"critical known tag is fine", "a.test", false, "http-01", []string{`a.test. CAA 128 issue "anchor.test"`}, 0, nil},

		{"wildcard uses issuewild", "a.test", true, "dns-01", []string{`a.test. CAA 0 issue "other.ca"`, `a.test. CAA 0 issuewild "anchor.test"`}, 0, nil},
		{"wildcard refused by issuewild", "a.test", true, "dns-01", []string{`a.test. CAA 0 issue "anchor.test"`, `a.test. CAA 0 issuewild ";"`},
			challenge.CAA, []string{"CAA issuewild records at a.test"}},
		{"wildcard falls back to issue", "a.test", true, "dns-01", []string{`a.test. CAA 0 issue "anchor.test"`}, 0, nil},
		{"wildcard given as *. prefix", "*.a.test", false, "dns-01", []string{`a.test. CAA 0 issue "anchor.test"`, `a.test. CAA 0 issuewild "other.ca"`},
			challenge.CAA, []string{"issuewild"}},
		{"issuewild does not apply to plain names", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "other.ca"`, `a.test. CAA 0 issuewild "anchor.test"`},
			challenge.CAA, []string{"CAA issue records"}},

		{"accounturi matches", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "anchor.test; accounturi=` + account + `"`}, 0, nil},
		{"accounturi mismatch", "a.test", false, "http-01", []string{`a.test. CAA 0 issue "anchor.test; accounturi=https://ca.test/acme/acct/7"`},
			challenge.CAA, []string{account}},
		{"validationmethods lists method", "a.test", false, "dns-01", []string{`a.test. CAA 0 issue "anchor.test; validationmethods=http-01,dns-01"`}, 0, nil},
		{"validationmethods excludes method", "a.test", false, "tls-alpn-01", []string{`a.test. CAA 0 issue "anchor.test; validationmethods=http-01,dns-01"`},
			challenge.CAA, []string{`"tls-alpn-01"`}},
		{"both parameters, unknown one ignored", "a.test", false, "http-01", []string{
			`a.test. CAA 0 issue "anchor.test; accounturi=` + account + `; policy=ev; validationmethods=http-01"`}, 0, nil},

		{"climbs to the parent", "x.y.a.test", false, "http-01", []string{"x.y.a.test. A 127.0.0.1", `a.test. CAA 0 issue "other.ca"`},
			challenge.CAA, []string{"at a.test"}},
		{"closest set wins", "y.a.test", false, "http-01", []string{`y.a.test. CAA 0 issue "anchor.test"`, `a.test. CAA 0 issue "other.ca"`}, 0, nil},
		{"follows CNAME at the node", "www.a.test", false, "http-01", []string{"www.a.test. CNAME cdn.other.test.", `cdn.other.test. CAA 0 issue "other.ca"`, `a.test. CAA 0 issue "anchor.test"`},
			challenge.CAA, []string{"at www.a.test"}},
		{"climbs from the name, not the CNAME target", "www.a.test", false, "http-01", []string{"www.a.test. CNAME cdn.other.test.", `other.test. CAA 0 issue "other.ca"`, `a.test. CAA 0 issue "anchor.test"`},
			0, nil},
		{"IP identifier skipped", "127.0.0.1", false, "http-01", nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dns := dnsserver.Start(t)
			dns.Add(t, tc.records...)
			v := newValidator(t, dns, challenge.Options{CAAIdentities: []string{"anchor.test", "alt.anchor.test."}})
			err := v.CAA(t.Context(), tc.domain, tc.wildcard, account, tc.method)
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("CAA = %v; want permitted", err)
				}
				return
			}
			wantError(t, err, tc.kind, tc.parts...)
		})
	}
}

func TestCAAClimbsEveryLabel(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	v := newValidator(t, dns, challenge.Options{CAAIdentities: []string{"anchor.test"}})
	if err := v.CAA(t.Context(), "x.y.a.test", false, account, "http-01"); err != nil {
		t.Fatalf("CAA = %v", err)
	}
	want := []string{"CAA x.y.a.test.", "CAA y.a.test.", "CAA a.test.", "CAA test."}
	if got := dns.Queries(); !slices.Equal(got, want) {
		t.Fatalf("queries = %q; want %q", got, want)
	}
}

func TestCAADisabled(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	dns.Add(t, `a.test. CAA 0 issue "other.ca"`)
	v := newValidator(t, dns, challenge.Options{})
	if err := v.CAA(t.Context(), "a.test", false, account, "http-01"); err != nil {
		t.Fatalf("CAA with no identities = %v; want nil", err)
	}
	if q := dns.Queries(); len(q) != 0 {
		t.Errorf("queries = %q; want none", q)
	}
}

// TestCAAServFail: RFC 8659 §3 forbids issuing when the lookup fails.
func TestCAAServFail(t *testing.T) {
	t.Parallel()
	dns := dnsserver.Start(t)
	dns.SetRcode("a.test.", 2)
	v := newValidator(t, dns, challenge.Options{CAAIdentities: []string{"anchor.test"}})
	wantError(t, v.CAA(t.Context(), "www.a.test", false, account, "http-01"), challenge.DNS, "answered SERVFAIL for CAA a.test")
}
