package config_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/config"
)

// parseProblems parses in and returns its problems, failing the test if it parses cleanly or
// fails with anything but *config.Error.
func parseProblems(t *testing.T, in string) []config.Problem {
	t.Helper()
	_, err := config.Parse([]byte(in), "config.yaml")
	if err == nil {
		t.Fatalf("Parse(%q) succeeded; want problems", in)
	}
	e, ok := errors.AsType[*config.Error](err)
	if !ok {
		t.Fatalf("Parse(%q) = %T %v; want *config.Error", in, err, err)
	}
	if e.File != "config.yaml" {
		t.Errorf("Error.File = %q; want config.yaml", e.File)
	}
	return e.Problems
}

// wantProblems checks problems against "LINE KEY" pairs, in order, and that each message has
// the given fragment.
func wantProblems(t *testing.T, got []config.Problem, want ...config.Problem) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems:\n%s\nwant %d", len(got), dump(got), len(want))
	}
	for i := range want {
		if got[i].Line != want[i].Line || got[i].Key != want[i].Key || !strings.Contains(got[i].Msg, want[i].Msg) {
			t.Errorf("problem %d = %+v; want line %d, key %q, message containing %q\nall:\n%s",
				i, got[i], want[i].Line, want[i].Key, want[i].Msg, dump(got))
		}
	}
}

func dump(ps []config.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString((&config.Error{File: "f", Problems: []config.Problem{p}}).Error() + "\n")
	}
	return b.String()
}

func TestParseEmptyIsDefault(t *testing.T) {
	for _, in := range []string{"", "\n\n", "# only a comment\n", "---\n", "~\n", "---\n# c\n...\n"} {
		got, err := config.Parse([]byte(in), "config.yaml")
		if err != nil || !reflect.DeepEqual(got, config.Default()) {
			t.Errorf("Parse(%q) = %+v, %v; want Default()", in, got, err)
		}
	}
}

func TestParseOverridesDefaults(t *testing.T) {
	in := `# a comment at the top
listen: 0.0.0.0:443   # trailing comment
url: https://ca.example.com/pki
db: postgres://anchor@db.internal/anchor?sslmode=verify-full
log: {level: debug}
crl:
  validity: 2d        # whole days
  refresh_before: 36h
acme:
  caa_identities: [ca.example.com]
  rate_limits:
    new_orders: {limit: 0}
policy:
  allowed_ips: [10.0.0.0/8, "fd00::/8", 192.168.1.1]
  key_types: [EC-P256]
  max_validity: 90d
`
	got, err := config.Parse([]byte(in), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Listen = "0.0.0.0:443"
	want.URL = "https://ca.example.com/pki"
	want.DB = "postgres://anchor@db.internal/anchor?sslmode=verify-full"
	want.Log.Level = "debug"
	want.CRL = config.CRL{Validity: config.Duration(48 * time.Hour), RefreshBefore: config.Duration(36 * time.Hour)}
	want.ACME.CAAIdentities = []string{"ca.example.com"}
	want.ACME.RateLimits.NewOrders.Limit = 0 // the window keeps its default
	want.Policy.AllowedIPs = []string{"10.0.0.0/8", "fd00::/8", "192.168.1.1"}
	want.Policy.KeyTypes = []string{"EC-P256"}
	want.Policy.MaxValidity = config.Duration(90 * 24 * time.Hour)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", got, want)
	}
}

// The promise: an invalid file is reported with every problem at once.
func TestParseReportsEveryProblem(t *testing.T) {
	in := `listen: 127.0.0.1:8443
http_listn: 127.0.0.1:8080
url: ftp://ca.example.com
api:
  page_size: many
ocsp:
  validity: 3 days
acme:
  resolver: 10.0.0.53
`
	wantProblems(t, parseProblems(t, in),
		config.Problem{Line: 2, Key: "http_listn", Msg: "unknown key (did you mean http_listen?)"},
		config.Problem{Line: 3, Key: "url", Msg: "http:// or https://"},
		config.Problem{Line: 5, Key: "api.page_size", Msg: `want a whole number, got "many"`},
		config.Problem{Line: 7, Key: "ocsp.validity", Msg: `invalid duration "3 days"`},
		config.Problem{Line: 9, Key: "acme.resolver", Msg: "want host:port"},
	)
}

// yaml.v3's own strict decoder skips a whole mapping that repeats a key; Parse must still
// report everything else in it.
func TestParseRepeatedKeyHidesNothing(t *testing.T) {
	in := `listen: 127.0.0.1:8443
listen: 127.0.0.1:9443
tls: {min_version: "1.1"}
`
	wantProblems(t, parseProblems(t, in),
		config.Problem{Line: 2, Key: "listen", Msg: "repeated key (first written at line 1)"},
		config.Problem{Line: 3, Key: "tls.min_version", Msg: `want one of 1.2, 1.3, got "1.1"`},
	)
}

func TestParseStrictTypes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want config.Problem
	}{
		{"unknown nested key", "acme:\n  rate_limits:\n    new_order: {limit: 1}\n",
			config.Problem{Line: 3, Key: "acme.rate_limits.new_order", Msg: "did you mean acme.rate_limits.new_orders?"}},
		{"flag spelling", "http-listen: 127.0.0.1:1\n",
			config.Problem{Line: 1, Key: "http-listen", Msg: "did you mean http_listen?"}},
		{"unknown key far from any", "zzzzzzzz: 1\n", config.Problem{Line: 1, Key: "zzzzzzzz", Msg: "unknown key"}},
		{"float for int", "acme:\n  http01_port: 80.5\n", config.Problem{Line: 2, Key: "acme.http01_port", Msg: "want a whole number, got 80.5"}},
		{"quoted int", "api: {page_size: \"10\"}\n", config.Problem{Line: 1, Key: "api.page_size", Msg: `got "10"`}},
		{"int overflow", "api: {max_body_bytes: 99999999999999999999}\n", config.Problem{Line: 1, Key: "api.max_body_bytes", Msg: "want a whole number"}},
		{"yes is not a bool", "acme: {enabled: yes}\n", config.Problem{Line: 1, Key: "acme.enabled", Msg: `want true or false, got "yes"`}},
		{"list for string", "listen: [a, b]\n", config.Problem{Line: 1, Key: "listen", Msg: "want a string, got a list"}},
		{"scalar for section", "acme: true\n", config.Problem{Line: 1, Key: "acme", Msg: "want a mapping of keys, got true"}},
		{"scalar for list", "policy:\n  allowed_dns: example.com\n", config.Problem{Line: 2, Key: "policy.allowed_dns", Msg: "want a list"}},
		{"mapping in list", "acme:\n  caa_identities:\n    - ca.example.com\n    - {a: b}\n",
			config.Problem{Line: 4, Key: "acme.caa_identities[1]", Msg: "want a string, got a mapping"}},
		{"null in list", "policy: {denied_dns: [a.com, ~]}\n", config.Problem{Line: 1, Key: "policy.denied_dns[1]", Msg: "got nothing"}},
		{"mapping for duration", "crl:\n  validity: {days: 7}\n", config.Problem{Line: 2, Key: "crl.validity", Msg: "want a duration"}},
		{"root is a list", "- listen\n", config.Problem{Line: 1, Key: "", Msg: "want a mapping of keys, got a list"}},
		{"non-scalar key", "? [a]\n: b\n", config.Problem{Line: 1, Key: "", Msg: "a key must be a name"}},
		{"second document", "listen: 127.0.0.1:1\n---\nurl: x\n", config.Problem{Line: 2, Msg: "a second YAML document"}},
		{"syntax", "listen: 127.0.0.1:1\nurl: [\n", config.Problem{Line: 2, Msg: "invalid YAML"}},
		{"self merge", "acme: &a {<<: *a}\n", config.Problem{Line: 1, Key: "acme.<<", Msg: "merges a mapping into itself"}},
		{"merge a scalar", "acme: {<<: 1}\n", config.Problem{Line: 1, Key: "acme.<<", Msg: "want a mapping or a list of mappings"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantProblems(t, parseProblems(t, tc.in), tc.want)
		})
	}
}

func TestParseListItemsHaveTheirOwnProblems(t *testing.T) {
	in := `policy:
  allowed_ips:
    - 10.0.0.0/8
    - {a: b}
    - 10.1.2.3/8
  allowed_dns: [example.com, "*.svc.internal", "bad name", ".ok.internal"]
`
	wantProblems(t, parseProblems(t, in),
		config.Problem{Line: 4, Key: "policy.allowed_ips[1]", Msg: "want a string, got a mapping"},
		config.Problem{Line: 5, Key: "policy.allowed_ips[2]", Msg: "did you mean 10.0.0.0/8?"},
		config.Problem{Line: 6, Key: "policy.allowed_dns[2]", Msg: `got "bad name"`},
	)
}

// A problem between two keys, one left at its default, points at their section.
func TestParseCrossKeyProblemLine(t *testing.T) {
	in := "log: {level: info}\ncrl:\n  validity: 12h\n"
	wantProblems(t, parseProblems(t, in),
		config.Problem{Line: 2, Key: "crl.refresh_before", Msg: "is not shorter than crl.validity"})
	wantProblems(t, parseProblems(t, "http_listen: 127.0.0.1:8443\n"),
		config.Problem{Line: 1, Key: "http_listen", Msg: "the same address as listen"})
}

func TestParseAliasesAndMerges(t *testing.T) {
	in := `limits: &limit {limit: 10, window: 1h}
`
	wantProblems(t, parseProblems(t, in), config.Problem{Line: 1, Key: "limits", Msg: "unknown key"})

	in = `acme:
  rate_limits:
    new_orders: &base {limit: 10, window: 2h}
    failed_validations:
      <<: *base
      limit: 3
policy:
  allowed_dns: &names [a.internal, b.internal]
  denied_dns: *names
`
	got, err := config.Parse([]byte(in), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fv := got.ACME.RateLimits.FailedValidations
	if fv.Limit != 3 || fv.Window != config.Duration(2*time.Hour) {
		t.Errorf("merged failed_validations = %+v; want limit 3 (own key wins), window 2h (merged)", fv)
	}
	if !reflect.DeepEqual(got.Policy.DeniedDNS, []string{"a.internal", "b.internal"}) {
		t.Errorf("aliased denied_dns = %v", got.Policy.DeniedDNS)
	}

	// Of several merged mappings the earlier wins, and a key written out wins over both.
	in = "acme: {<<: [{enabled: false}, {enabled: true, http01_port: 81}], http01_port: 82}\n" +
		"api: {<<: {page_size: 5}, max_body_bytes: 10}\n"
	got, err = config.Parse([]byte(in), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got.ACME.Enabled || got.ACME.HTTP01Port != 82 || got.API.PageSize != 5 || got.API.MaxBodyBytes != 10 {
		t.Errorf("merged: acme %+v, api %+v", got.ACME, got.API)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := config.Load(filepath.Join(dir, "config.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing) = %v; want fs.ErrNotExist (how the first run is recognised)", err)
	}
	if _, ok := errors.AsType[*config.Error](err); ok {
		t.Fatalf("Load(missing) is a *config.Error; want the os error")
	}

	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, config.DefaultYAMLWith("http://127.0.0.1:8080"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path)
	if err != nil || c.URL != "http://127.0.0.1:8080" {
		t.Fatalf("Load(first-run file) = url %q, %v", c.URL, err)
	}

	if err := os.WriteFile(path, []byte("listen: nowhere\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(path)
	if e, ok := errors.AsType[*config.Error](err); !ok || e.File != path {
		t.Fatalf("Load(bad file) = %v; want *config.Error naming %s", err, path)
	}
}
