package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/anchorpki/anchor/config"
)

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
