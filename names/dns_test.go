package names_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/names"
)

func TestValidateDNSName(t *testing.T) {
	t.Parallel()
	label63 := strings.Repeat("a", 63)
	long := strings.Repeat(label63+".", 3) + strings.Repeat("b", 61) // 253 octets
	tests := []struct {
		name string
		in   string
		want string // "" for valid
	}{
		{"simple", "example.com", ""},
		{"single label", "localhost", ""},
		{"upper case is LDH", "Example.COM", ""},
		{"digits and hyphens", "a-1.b2.example", ""},
		{"numeric label not last", "1.example", ""},
		{"a-label", "xn--bcher-kva.example", ""},
		{"wildcard", "*.example.com", ""},
		{"63-octet label", label63 + ".example", ""},
		{"253 octets", long, ""},
		{"empty", "", `names: empty DNS name`},
		{"254 octets", long + "b", `names: DNS name "` + long + `b": 254 octets long, over the limit of 253 (RFC 1035 §2.3.4)`},
		{"64-octet label", label63 + "a.example", `names: DNS name "` + label63 + `a.example": label "` + label63 + `a" is 64 octets long, over the limit of 63 (RFC 1035 §2.3.4)`},
		{"trailing dot", "example.com.", `names: DNS name "example.com.": trailing dot (write the name without it)`},
		{"leading dot", ".example.com", `names: DNS name ".example.com": empty label`},
		{"double dot", "a..example", `names: DNS name "a..example": empty label`},
		{"leading hyphen", "-a.example", `names: DNS name "-a.example": label "-a" starts or ends with a hyphen`},
		{"trailing hyphen", "a-.example", `names: DNS name "a-.example": label "a-" starts or ends with a hyphen`},
		{"underscore", "a_b.example", `names: DNS name "a_b.example": label "a_b" contains '_' (only letters, digits and hyphens are allowed)`},
		{"u-label", "bücher.example", `names: DNS name "bücher.example": label "bücher" contains 'ü' (only letters, digits and hyphens are allowed)`},
		{"bad a-label", "xn--zz.example", `names: DNS name "xn--zz.example": label "xn--zz" is not a valid IDNA A-label: idna: invalid label "zz"`},
		{"wildcard alone", "*", `names: DNS name "*": a wildcard needs at least two labels after it`},
		{"wildcard on tld", "*.com", `names: DNS name "*.com": a wildcard needs at least two labels after it`},
		{"partial wildcard", "w*.example.com", `names: DNS name "w*.example.com": a wildcard may only be the entire leftmost label`},
		{"inner wildcard", "a.*.example.com", `names: DNS name "a.*.example.com": a wildcard may only be the entire leftmost label`},
		{"double wildcard", "*.*.example.com", `names: DNS name "*.*.example.com": a wildcard may only be the entire leftmost label`},
		{"numeric tld", "10.0.0.256", `names: DNS name "10.0.0.256": the last label is all-numeric (a mistyped IP address?)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := names.ValidateDNSName(tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("ValidateDNSName(%q) = %v; want nil", tc.in, err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("ValidateDNSName(%q) = %v; want %s", tc.in, err, tc.want)
			}
			if !errors.Is(err, names.ErrInvalidName) {
				t.Errorf("ValidateDNSName(%q) error does not wrap ErrInvalidName", tc.in)
			}
		})
	}
}

func TestToASCII(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want, wantErr string
	}{
		{"example.com", "example.com", ""},
		{"EXAMPLE.com", "example.com", ""},
		{"bücher.example", "xn--bcher-kva.example", ""},
		{"BÜCHER.example", "xn--bcher-kva.example", ""},
		{"XN--BCHER-KVA.example", "xn--bcher-kva.example", ""},
		{"faß.de", "xn--fa-hia.de", ""}, // IDNA 2008, not transitional "fass.de"
		{"日本.jp", "xn--wgv71a.jp", ""},
		{"*.bücher.example", "*.xn--bcher-kva.example", ""},
		{"", "", `names: empty DNS name`},
		{"a b.example", "", `names: DNS name "a b.example": label "a b" contains ' ' (only letters, digits and hyphens are allowed)`},
		{"bücher..example", "", `names: DNS name "bücher..example": as "xn--bcher-kva..example": empty label`},
		{"*.bücher", "", `names: DNS name "*.bücher": as "*.xn--bcher-kva": a wildcard needs at least two labels after it`},
		{"a\u200d.example", "", `names: DNS name "a\u200d.example": not a valid internationalised domain name: idna: invalid label "a\u200d"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := names.ToASCII(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("ToASCII(%q) = %q, %v; want error %s", tc.in, got, err, tc.wantErr)
				}
				if !errors.Is(err, names.ErrInvalidName) {
					t.Errorf("ToASCII(%q) error does not wrap ErrInvalidName", tc.in)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ToASCII(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestInDomain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, suffix string
		want         bool
	}{
		{"a.svc.internal", "svc.internal", true},
		{"a.b.svc.internal", "svc.internal", true},
		{"svc.internal", "svc.internal", true},
		{"evilsvc.internal", "svc.internal", false},
		{"svc.internal.evil", "svc.internal", false},
		{"internal", "svc.internal", false},
		{"A.SVC.Internal", "svc.INTERNAL", true},
		{"a.svc.internal.", "svc.internal", true},
		{"*.svc.internal", "svc.internal", true},
		{"a.svc.internal", "*.svc.internal", true},
		{"a.b.svc.internal", "*.svc.internal", true},
		{"svc.internal", "*.svc.internal", false},
		{"evilsvc.internal", "*.svc.internal", false},
		{"*.svc.internal", "*.svc.internal", true},
		{"a.svc.internal", ".svc.internal", true},
		{"svc.internal", ".svc.internal", false},
		{"a.example", "", false},
		{"a.example", "*.", false},
		{"a.example", ".", false},
		{"", "example", false},
		{"a..example", "..example", false},
	}
	for _, tc := range tests {
		if got := names.InDomain(tc.name, tc.suffix); got != tc.want {
			t.Errorf("InDomain(%q, %q) = %v; want %v", tc.name, tc.suffix, got, tc.want)
		}
	}
}
