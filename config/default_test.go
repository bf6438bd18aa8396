package config_test

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/anchorpki/anchor/config"
)

func TestDefaultYAMLIsDefault(t *testing.T) {
	got, err := config.Parse(config.DefaultYAML(), "default.yaml")
	if err != nil {
		t.Fatalf("Parse(DefaultYAML()) = %v", err)
	}
	if want := config.Default(); !reflect.DeepEqual(got, want) {
		t.Fatalf("DefaultYAML() decodes to\n%+v\nwant Default()\n%+v", got, want)
	}
	// Parse starts from Default, so the check above cannot see a key missing from the file.
	// Decoding into a zero Config can: every non-zero default must be written out.
	var zero config.Config
	dec := yaml.NewDecoder(bytes.NewReader(config.DefaultYAML()))
	dec.KnownFields(true)
	if err := dec.Decode(&zero); err != nil {
		t.Fatal(err)
	}
	if want := config.Default(); !reflect.DeepEqual(zero, want) {
		t.Fatalf("DefaultYAML() over a zero Config is\n%+v\nwant Default()\n%+v", zero, want)
	}
}

func TestDefaultValidates(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

// Every key must be documented in the file the first run writes.
func TestEveryKeyIsInDefaultYAML(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal(config.DefaultYAML(), &doc); err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			written[prefix+k] = true
			if v.Kind == yaml.MappingNode {
				walk(v, prefix+k+".")
			}
		}
	}
	walk(doc.Content[0], "")
	keys := config.Keys()
	for _, k := range keys {
		if !written[k] {
			t.Errorf("key %s is not in default.yaml", k)
		}
	}
	if len(keys) < 30 || !slices.Contains(keys, "acme.rate_limits.new_orders.window") {
		t.Errorf("Keys() = %v; want every leaf key", keys)
	}
}

func TestDefaultYAMLWith(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080", "https://ca.example.com/pki", "http://[::1]:8080"} {
		got, err := config.Parse(config.DefaultYAMLWith(u), "config.yaml")
		if err != nil {
			t.Fatalf("DefaultYAMLWith(%q): %v", u, err)
		}
		want := config.Default()
		want.URL = u
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("DefaultYAMLWith(%q) decodes to URL %q; want only url changed", u, got.URL)
		}
	}
	// A value cannot add keys: whatever it holds stays the url.
	evil := "http://x\"\nlisten: 0.0.0.0:1\n# \u2028 \\"
	var c config.Config
	if err := yaml.Unmarshal(config.DefaultYAMLWith(evil), &c); err != nil {
		t.Fatal(err)
	}
	if c.URL != evil || c.Listen != config.Default().Listen {
		t.Fatalf("DefaultYAMLWith(%q) decodes to url %q, listen %q", evil, c.URL, c.Listen)
	}
	if n := strings.Count(string(config.DefaultYAMLWith(evil)), "\n"); n != strings.Count(string(config.DefaultYAML()), "\n") {
		t.Fatalf("DefaultYAMLWith added lines")
	}
}

func TestDefaultURL(t *testing.T) {
	tests := []struct {
		listen  string
		want    string
		wantErr bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080", false},
		{":8080", "http://127.0.0.1:8080", false},
		{"0.0.0.0:8080", "http://127.0.0.1:8080", false},
		{"[::]:8080", "http://127.0.0.1:8080", false},
		{"[::1]:8080", "http://[::1]:8080", false},
		{"ca.internal:80", "http://ca.internal", false},
		{"[fe80::1%eth0]:8080", "http://[fe80::1%25eth0]:8080", false},
		{"127.0.0.1", "", true},
		{"127.0.0.1:0", "", true},
		{"127.0.0.1:http", "", true},
	}
	for _, tc := range tests {
		got, err := config.DefaultURL(tc.listen)
		if got != tc.want || (err != nil) != tc.wantErr {
			t.Errorf("DefaultURL(%q) = %q, %v; want %q, error %v", tc.listen, got, err, tc.want, tc.wantErr)
		}
	}
}
