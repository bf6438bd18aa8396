package challenge

import (
	"maps"
	"testing"
)

func TestParseCAAValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		issuer string
		params map[string]string
		ok     bool
	}{
		{"ca.test", "ca.test", map[string]string{}, true},
		{"  ca.test  ", "ca.test", map[string]string{}, true},
		{";", "", map[string]string{}, true},
		{"", "", map[string]string{}, true},
		{"ca.test;", "ca.test", map[string]string{}, true},
		{"ca.test; accounturi=https://x/1", "ca.test", map[string]string{"accounturi": "https://x/1"}, true},
		{"ca.test;AccountURI = u ; validationmethods=dns-01", "ca.test", map[string]string{"accounturi": "u", "validationmethods": "dns-01"}, true},
		{"ca.test; a=1; a=2", "", nil, false},
		{"ca.test; novalue", "", nil, false},
		{"ca.test; -bad=1", "", nil, false},
		{"ca.test; k=has space", "", nil, false},
		{"ca..test", "", nil, false},
		{"ca.test.", "", nil, false},
		{"-ca.test", "", nil, false},
		{"ca_test", "", nil, false},
	}
	for _, tc := range tests {
		issuer, params, ok := parseCAAValue(tc.in)
		if ok != tc.ok || issuer != tc.issuer || (ok && !maps.Equal(params, tc.params)) {
			t.Errorf("parseCAAValue(%q) = %q, %v, %v; want %q, %v, %v", tc.in, issuer, params, ok, tc.issuer, tc.params, tc.ok)
		}
	}
}

// FuzzParseCAAValue: CAA values come from any domain owner's zone.
func FuzzParseCAAValue(f *testing.F) {
	for _, s := range []string{"ca.test", ";", "ca.test; accounturi=u; validationmethods=http-01", "a;b=;=c", "\x00;\xff=\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		issuer, params, ok := parseCAAValue(s)
		if !ok {
			return
		}
		if issuer != "" && !isLDHName(issuer) {
			t.Fatalf("accepted issuer %q", issuer)
		}
		for k, v := range params {
			if !isLDHLabel(k) || !isCAAParamValue(v) {
				t.Fatalf("accepted parameter %q=%q", k, v)
			}
		}
	})
}
