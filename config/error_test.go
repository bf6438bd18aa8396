package config_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/anchorpki/anchor/config"
)

func TestErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *config.Error
		want string
	}{
		{"one problem is one line", &config.Error{File: "data/config.yaml", Problems: []config.Problem{
			{Line: 3, Key: "url", Msg: "want an absolute URL"},
		}}, "data/config.yaml:3: url: want an absolute URL"},
		{"several", &config.Error{File: "config.yaml", Problems: []config.Problem{
			{Line: 2, Key: "http_listn", Msg: "unknown key"},
			{Line: 7, Key: "ocsp.validity", Msg: "invalid duration"},
			{Line: 0, Key: "crl.refresh_before", Msg: "too long"},
			{Line: 4, Key: "", Msg: "invalid YAML: oops"},
		}}, "config.yaml: 4 problems:\n" +
			"config.yaml:2: http_listn: unknown key\n" +
			"config.yaml:7: ocsp.validity: invalid duration\n" +
			"config.yaml: crl.refresh_before: too long\n" +
			"config.yaml:4: invalid YAML: oops"},
		{"no file", &config.Error{Problems: []config.Problem{{Key: "listen", Msg: "want host:port"}}},
			"config: listen: want host:port"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%s: Error() =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestParseSortsProblemsByLine(t *testing.T) {
	in := "acme:\n  website: x\n  http01_port: 0\nlisten: x\nzz: 1\nlog: {format: xml}\n"
	_, err := config.Parse([]byte(in), "c.yaml")
	want := "c.yaml: 5 problems:\n" +
		"c.yaml:2: acme.website: want an absolute http:// or https:// URL, got \"x\"\n" +
		"c.yaml:3: acme.http01_port: want a port from 1 to 65535, got 0\n" +
		"c.yaml:4: listen: want host:port such as 127.0.0.1:8443, got \"x\"\n" +
		"c.yaml:5: zz: unknown key\n" +
		"c.yaml:6: log.format: want one of json, text, got \"xml\""
	if err == nil || err.Error() != want {
		t.Fatalf("Parse error =\n%v\nwant\n%s", err, want)
	}
}

func TestErrorIsFoundThroughWrapping(t *testing.T) {
	_, err := config.Parse([]byte("listen: x\n"), "c.yaml")
	wrapped := fmt.Errorf("serve: %w", err)
	if e, ok := errors.AsType[*config.Error](wrapped); !ok || len(e.Problems) != 1 || e.Problems[0].Line != 1 {
		t.Fatalf("errors.AsType(%v) = %v, %v", wrapped, e, ok)
	}
}
