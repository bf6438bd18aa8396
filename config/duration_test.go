package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/anchorpki/anchor/config"
)

func TestParseDuration(t *testing.T) {
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
		{"-1d", -day, false}, // parses; Validate says durations must be positive
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
		got, err := config.ParseDuration(tc.in)
		if time.Duration(got) != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, error %v", tc.in, time.Duration(got), err, tc.want, tc.wantErr)
		}
	}
}

func TestDurationStringRoundTrips(t *testing.T) {
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
		d := config.Duration(tc.d)
		if got := d.String(); got != tc.want {
			t.Errorf("Duration(%v).String() = %q; want %q", tc.d, got, tc.want)
		}
		back, err := config.ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", d.String(), back, err, tc.d)
		}
	}
}

// yaml.Marshal of a Config is a file Parse reads back unchanged.
func TestMarshalledConfigParses(t *testing.T) {
	c := config.Default()
	c.OCSP.Validity = config.Duration(90 * time.Minute)
	c.ACME.CAAIdentities = []string{"ca.example.com"}
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.Parse(b, "marshalled")
	if err != nil {
		t.Fatalf("Parse(yaml.Marshal(c)) = %v\n%s", err, b)
	}
	if got.OCSP.Validity != c.OCSP.Validity || got.CRL.Validity != c.CRL.Validity || got.ACME.CAAIdentities[0] != "ca.example.com" {
		t.Fatalf("round trip changed the config:\n%s", b)
	}
}

// Plain yaml.Unmarshal can read a Duration too, and reports a bad one with its line.
func TestDurationUnmarshalYAML(t *testing.T) {
	var v struct {
		D config.Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 2d\n"), &v); err != nil || v.D != config.Duration(48*time.Hour) {
		t.Fatalf("Unmarshal(d: 2d) = %v, %v", v.D, err)
	}
	err := yaml.Unmarshal([]byte("\nd: soon\n"), &v)
	if _, ok := errors.AsType[*yaml.TypeError](err); !ok {
		t.Fatalf("Unmarshal(d: soon) = %T %v; want *yaml.TypeError", err, err)
	}
	if want := `line 2: invalid duration "soon"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Unmarshal(d: soon) = %v; want %q", err, want)
	}
}
