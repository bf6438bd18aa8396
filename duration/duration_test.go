package duration_test

import (
	"testing"
	"time"

	"github.com/anchorpki/anchor/duration"
)

func TestParse(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{"7d", 7 * day, false},
		{"0d", 0, false},
		{"397d", 397 * day, false},
		{"+2d", 2 * day, false},
		{"-1d", -day, false}, // parses; callers check the sign
		{"24h", day, false},
		{"1h30m", 90 * time.Minute, false},
		{"90s", 90 * time.Second, false},
		{"1.5d", 0, true},
		{"1d12h", 0, true}, // whole days or a Go duration, not a mix
		{"d", 0, true},
		{"--1d", 0, true},
		{"7 d", 0, true},
		{"7", 0, true},
		{"", 0, true},
		{"106752d", 0, true}, // past time.Duration's range
		{"999999999999999999999d", 0, true},
	}
	for _, tc := range tests {
		got, err := duration.Parse(tc.in)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("Parse(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestFormatRoundTrips(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{7 * 24 * time.Hour, "7d"},
		{3 * time.Hour, "3h"},
		{90 * time.Minute, "1h30m"},
		{time.Minute, "1m"},
		{10 * time.Second, "10s"},
		{36 * time.Hour, "36h"},
		{1500 * time.Millisecond, "1.5s"},
		{0, "0s"},
		{-48 * time.Hour, "-2d"},
	}
	for _, tc := range tests {
		got := duration.Format(tc.d)
		if got != tc.want {
			t.Errorf("Format(%v) = %q; want %q", tc.d, got, tc.want)
		}
		if back, err := duration.Parse(got); err != nil || back != tc.d {
			t.Errorf("Parse(%q) = %v, %v; want %v", got, back, err, tc.d)
		}
	}
}

// FuzzParse: the REST API passes query strings straight to Parse. It never panics, and what it
// accepts Format writes back to the same duration.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"7d", "-1d", "+2d", "1h30m", "1.5d", "106752d", "9223372036854775807ns", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := duration.Parse(s)
		if err != nil {
			return
		}
		if back, err := duration.Parse(duration.Format(d)); err != nil || back != d {
			t.Fatalf("Parse(%q) = %v, but Format writes %q, which reads back as %v, %v", s, d, duration.Format(d), back, err)
		}
	})
}

// TestValidityDays counts as RFC 5280 and the BRs do: both ends belong to the period.
func TestValidityDays(t *testing.T) {
	nb := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		notAfter time.Time
		want     int
	}{
		{nb.Add(90*duration.Day - time.Second), 90}, // issuance.Lifetime(now, 90)
		{nb.Add(90 * duration.Day), 91},             // one second more is a 91st day
		{nb.Add(201*duration.Day - time.Second), 201},
		{nb, 1}, // a one-second certificate
		{nb.Add(time.Hour), 1},
		{time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), 2912117}, // past time.Duration's range
	} {
		if got := duration.ValidityDays(nb, tc.notAfter); got != tc.want {
			t.Errorf("ValidityDays(nb, nb+%v) = %d, want %d", tc.notAfter.Sub(nb), got, tc.want)
		}
	}
}

// TestValidityExceeds: a period of exactly max days (notAfter = notBefore + max − 1 s) fits;
// one second more does not.
func TestValidityExceeds(t *testing.T) {
	nb := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	max := 200 * duration.Day
	if duration.ValidityExceeds(nb, nb.Add(max-time.Second), max) {
		t.Error("a 200-day period exceeds 200 days")
	}
	if !duration.ValidityExceeds(nb, nb.Add(max), max) {
		t.Errorf("notAfter = notBefore + 200 days (%d days) does not exceed 200 days", duration.ValidityDays(nb, nb.Add(max)))
	}
	if !duration.ValidityExceeds(nb, time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), max) {
		t.Error("the year 9999 does not exceed 200 days")
	}
}
