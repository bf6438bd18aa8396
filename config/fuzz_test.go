package config_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/anchorpki/anchor/config"
)

// FuzzParse: Parse never panics; it returns either a Config that validates (and whose policy
// converts) or a *config.Error with at least one problem. It is also never more lenient than
// yaml.v3's own strict decoder, and agrees with it on every file both accept.
func FuzzParse(f *testing.F) {
	f.Add(config.DefaultYAML())
	f.Add(config.DefaultYAMLWith("https://ca.example.com/pki"))
	for _, s := range []string{
		"",
		"listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n",
		"http_listn: x\nurl: ftp://x\napi: {page_size: many}\nocsp: {validity: 3x}\n",
		"acme:\n  rate_limits:\n    new_orders: &b {limit: 1, window: 1h}\n    failed_validations: {<<: *b, limit: 2}\n",
		"policy: {allowed_ips: [10.0.0.0/8, 10.1.2.3/8, {a: b}], key_types: [dsa]}\n",
		"a: &a [*a]\n",
		"acme: &x {<<: *x}\n",
		"- 1\n- 2\n",
		"x: 1\n---\ny: 2\n",
		"db: \"host=h dbname=d\"\ncrl: {validity: 1h}\n",
		"? [a]\n: b\n",
		"tls: {min_version: 1.3}\nacme: {enabled: yes, http01_port: 80.5}\n",
		// Merge keys: own keys win, then the earlier of several merged mappings.
		"x: &a {limit: 1}\n",
		"acme:\n  rate_limits:\n    new_orders: &a {limit: 1}\n    failed_validations: &b {limit: 2, window: 2h}\n" +
			"  eab_required: false\nlog: {}\n",
		"crl: &c {validity: 2d}\nocsp: {<<: *c}\n",
		"acme:\n  rate_limits:\n    new_orders: &a {limit: 1}\n    failed_validations: &b {<<: *a, window: 2h}\n",
		"acme:\n  rate_limits:\n    new_orders: &a {limit: 1, window: 5h}\n    failed_validations: &b {limit: 2}\n" +
			"  tlsalpn01_port: 444\npolicy: {allowed_dns: &l [a.com], denied_dns: *l}\n",
		"a: &a {limit: 1}\n",
		"log: &l {level: debug}\napi: &x {page_size: 5}\n",
		"? &k listen\n: 127.0.0.1:1\n*k : 127.0.0.1:2\n",
		"listen: !!binary MTI3LjAuMC4xOjE=\n",
		"acme: {\"<<\": {enabled: false}}\n",
		"acme: {<<: [{enabled: false}, {enabled: true, http01_port: 81}], http01_port: 82}\n",
		"acme: {<<: {rate_limits: {new_orders: {limit: 9}}}, rate_limits: {failed_validations: {limit: 8}}}\n",
		"policy: {allowed_dns: ~, denied_dns: [], key_types: [ed25519]}\nlisten: ~\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse(data, "fuzz.yaml")
		if err == nil {
			if verr := c.Validate(); verr != nil {
				t.Fatalf("Parse accepted a config that does not validate: %v\n%q", verr, data)
			}
			if _, rerr := c.Policy.Rules(); rerr != nil {
				t.Fatalf("Parse accepted a policy that does not convert: %v\n%q", rerr, data)
			}
		} else {
			e, ok := errors.AsType[*config.Error](err)
			if !ok || len(e.Problems) == 0 {
				t.Fatalf("Parse error %T %v; want *config.Error with problems\n%q", err, err, data)
			}
			// YAML breaks lines at \r and \n; yaml.v3 may point just past the end.
			lines := bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r")) + 2
			for _, p := range e.Problems {
				if p.Line < 0 || p.Line > lines || p.Msg == "" {
					t.Fatalf("bad problem %+v\n%q", p, data)
				}
			}
			if strings.Count(err.Error(), "\n") < len(e.Problems)-1 {
				t.Fatalf("Error() does not list every problem: %q", err.Error())
			}
		}

		// The differential check against yaml.v3's KnownFields decoder.
		ref := config.Default()
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		refErr := dec.Decode(&ref)
		if errors.Is(refErr, io.EOF) {
			refErr = nil
		}
		switch {
		case refErr != nil && err == nil:
			t.Fatalf("yaml.v3 strict decoding fails (%v) but Parse accepts\n%q", refErr, data)
		case refErr == nil && err == nil && !reflect.DeepEqual(ref, c):
			t.Fatalf("Parse and yaml.v3 disagree:\nParse:  %+v\nyaml.v3: %+v\n%q", c, ref, data)
		}
	})
}
