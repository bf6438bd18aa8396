package config_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/config"
)

func TestSet(t *testing.T) {
	c := config.Default()
	sets := [][2]string{
		{"listen", "0.0.0.0:443"},
		{"http_listen", ":80"},
		{"url", "http://ca.internal"},
		{"db", "postgres://anchor@db/anchor"},
		{"acme.http01_port", "5002"},
		{"acme.tlsalpn01_port", "5001"},
		{"acme.resolver", "127.0.0.1:5353"},
		{"acme.eab_required", "true"},
		{"acme.caa_identities", "ca.internal, ca.example.com,"},
		{"acme.rate_limits.new_orders.window", "2d"},
		{"api.max_body_bytes", "4096"},
		{"policy.allowed_ips", ""},
	}
	for _, s := range sets {
		if err := c.Set(s[0], s[1]); err != nil {
			t.Fatalf("Set(%q, %q) = %v", s[0], s[1], err)
		}
	}
	want := config.Default()
	want.Listen, want.HTTPListen, want.URL = "0.0.0.0:443", ":80", "http://ca.internal"
	want.DB = "postgres://anchor@db/anchor"
	want.ACME.HTTP01Port, want.ACME.TLSALPN01Port = 5002, 5001
	want.ACME.Resolver, want.ACME.EABRequired = "127.0.0.1:5353", true
	want.ACME.CAAIdentities = []string{"ca.internal", "ca.example.com"}
	want.ACME.RateLimits.NewOrders.Window = config.Duration(48 * time.Hour)
	want.API.MaxBodyBytes = 4096
	want.Policy.AllowedIPs = []string{}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("after Set:\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		key, value  string
		wantUnknown bool
	}{
		{"listne", "x", true},
		{"acme", "true", true}, // a section, not a key
		{"listen.port", "1", true},
		{"acme.rate_limits.new_orders.limit.x", "1", true},
		{"", "", true},
		{"acme.http01_port", "eighty", false},
		{"acme.http01_port", "1.5", false},
		{"api.max_body_bytes", "99999999999999999999", false},
		{"acme.enabled", "maybe", false},
		{"ocsp.validity", "1 day", false},
	}
	for _, tc := range tests {
		c := config.Default()
		err := c.Set(tc.key, tc.value)
		if err == nil || errors.Is(err, config.ErrUnknownKey) != tc.wantUnknown {
			t.Errorf("Set(%q, %q) = %v; want an error, unknown key: %v", tc.key, tc.value, err, tc.wantUnknown)
		}
		if !reflect.DeepEqual(c, config.Default()) {
			t.Errorf("Set(%q, %q) failed but changed the config", tc.key, tc.value)
		}
	}
}

// Every key Keys lists can be set from text, so every key can have a flag.
func TestEveryKeyCanBeSet(t *testing.T) {
	sample := map[reflect.Type]string{
		reflect.TypeFor[string](): "x", reflect.TypeFor[bool](): "false", reflect.TypeFor[int](): "7",
		reflect.TypeFor[int64](): "7", reflect.TypeFor[[]string](): "a,b", reflect.TypeFor[config.Duration](): "7d",
	}
	for _, k := range config.Keys() {
		typ := typeOf(t, k)
		v, ok := sample[typ]
		if !ok {
			t.Fatalf("key %s has type %v, which this test has no sample for", k, typ)
		}
		c := config.Default()
		if err := c.Set(k, v); err != nil {
			t.Errorf("Set(%q, %q) = %v", k, v, err)
		}
	}
}

// typeOf finds the Go type of a key by walking the yaml tags, independently of Set.
func typeOf(t *testing.T, key string) reflect.Type {
	t.Helper()
	typ := reflect.TypeFor[config.Config]()
	for _, seg := range strings.Split(key, ".") {
		found := false
		for i := range typ.NumField() {
			if f := typ.Field(i); f.Tag.Get("yaml") == seg {
				typ, found = f.Type, true
				break
			}
		}
		if !found {
			t.Fatalf("Keys() lists %q, which has no field", key)
		}
	}
	return typ
}
