package revocation_test

import (
	"errors"
	"strconv"
	"testing"

	"github.com/anchorpki/anchor/revocation"
)

func TestParseReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    revocation.Reason
		wantErr error
	}{
		{"rfc name", "keyCompromise", revocation.KeyCompromise, nil},
		{"lower case", "keycompromise", revocation.KeyCompromise, nil},
		{"upper case", "SUPERSEDED", revocation.Superseded, nil},
		{"openssl spelling", "CACompromise", revocation.CACompromise, nil},
		{"rfc spelling", "cACompromise", revocation.CACompromise, nil},
		{"aa compromise", "AACompromise", revocation.AACompromise, nil},
		{"unspecified name", "unspecified", revocation.Unspecified, nil},
		{"hold", "certificateHold", revocation.CertificateHold, nil},
		{"remove from crl", "removeFromCRL", revocation.RemoveFromCRL, nil},
		{"privilege withdrawn", "privilegeWithdrawn", revocation.PrivilegeWithdrawn, nil},
		{"cessation", "cessationOfOperation", revocation.CessationOfOperation, nil},
		{"affiliation", "affiliationChanged", revocation.AffiliationChanged, nil},
		{"code 0", "0", revocation.Unspecified, nil},
		{"code 1", "1", revocation.KeyCompromise, nil},
		{"code 8", "8", revocation.RemoveFromCRL, nil},
		{"code 10", "10", revocation.AACompromise, nil},
		{"leading zero", "01", revocation.KeyCompromise, nil},
		{"unused code 7", "7", 0, revocation.ErrUnknownReason},
		{"code 11", "11", 0, revocation.ErrUnknownReason},
		{"huge code", "99999999999999999999999", 0, revocation.ErrUnknownReason},
		{"negative code", "-1", 0, revocation.ErrUnknownReason},
		{"signed code", "+1", 0, revocation.ErrUnknownReason},
		{"empty", "", 0, revocation.ErrUnknownReason},
		{"padded name", " keyCompromise", 0, revocation.ErrUnknownReason},
		{"unknown name", "stolen", 0, revocation.ErrUnknownReason},
		{"String of unused code", "Reason(7)", 0, revocation.ErrUnknownReason},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := revocation.ParseReason(tc.in)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("ParseReason(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   revocation.Reason
		want string
	}{
		{revocation.Unspecified, "unspecified"},
		{revocation.KeyCompromise, "keyCompromise"},
		{revocation.CACompromise, "cACompromise"},
		{revocation.AffiliationChanged, "affiliationChanged"},
		{revocation.Superseded, "superseded"},
		{revocation.CessationOfOperation, "cessationOfOperation"},
		{revocation.CertificateHold, "certificateHold"},
		{revocation.RemoveFromCRL, "removeFromCRL"},
		{revocation.PrivilegeWithdrawn, "privilegeWithdrawn"},
		{revocation.AACompromise, "aACompromise"},
		{7, "Reason(7)"},
		{-1, "Reason(-1)"},
		{11, "Reason(11)"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			if got := tc.in.String(); got != tc.want {
				t.Fatalf("Reason(%d).String() = %q; want %q", int(tc.in), got, tc.want)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	t.Parallel()
	want := []revocation.Reason{0, 1, 2, 3, 4, 5, 6, 8, 9, 10}
	got := revocation.Reasons()
	if len(got) != len(want) {
		t.Fatalf("Reasons() = %v; want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Reasons() = %v; want %v", got, want)
		}
		// Every listed reason round-trips through its name and its code.
		for _, s := range []string{got[i].String(), strconv.Itoa(int(got[i]))} {
			if r, err := revocation.ParseReason(s); err != nil || r != got[i] {
				t.Errorf("ParseReason(%q) = %v, %v; want %v", s, r, err, got[i])
			}
		}
	}
	got[0] = 99 // the caller owns the slice
	if revocation.Reasons()[0] != revocation.Unspecified {
		t.Fatal("Reasons() shares its backing array with callers")
	}
}

func FuzzParseReason(f *testing.F) {
	for _, r := range revocation.Reasons() {
		f.Add(r.String())
		f.Add(strconv.Itoa(int(r)))
	}
	f.Add("7")
	f.Add("CACOMPROMISE")
	f.Add("-0")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := revocation.ParseReason(s)
		if err != nil {
			if !errors.Is(err, revocation.ErrUnknownReason) || r != 0 {
				t.Fatalf("ParseReason(%q) = %v, %v; want 0 and ErrUnknownReason", s, r, err)
			}
			return
		}
		if !r.Valid() {
			t.Fatalf("ParseReason(%q) = %v, which is not a defined reason", s, r)
		}
		if back, err := revocation.ParseReason(r.String()); err != nil || back != r {
			t.Fatalf("ParseReason(%q) = %v, but its name %q parses as %v, %v", s, r, r.String(), back, err)
		}
	})
}

func TestReasonText(t *testing.T) {
	for _, r := range revocation.Reasons() {
		b, err := r.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back revocation.Reason
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Errorf("%v: round trip gave %v, %v", r, back, err)
		}
	}
	if _, err := revocation.Reason(7).MarshalText(); err == nil {
		t.Error("code 7 encoded")
	}
	var r revocation.Reason
	if err := r.UnmarshalText([]byte("nonsense")); err == nil {
		t.Error("nonsense decoded")
	}
}
