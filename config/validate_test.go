package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/config"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(c *config.Config)
		wantKey string // "" for a valid config
		wantMsg string
	}{
		{"defaults", func(c *config.Config) {}, "", ""},
		{"listen on every interface", func(c *config.Config) { c.Listen = ":8443" }, "", ""},
		{"listen ipv6", func(c *config.Config) { c.Listen = "[::1]:8443" }, "", ""},
		{"listen host name", func(c *config.Config) { c.Listen = "localhost:8443" }, "", ""},
		{"listen without port", func(c *config.Config) { c.Listen = "127.0.0.1" }, "listen", "want host:port"},
		{"listen port out of range", func(c *config.Config) { c.Listen = "127.0.0.1:65536" }, "listen", "from 0 to 65535"},
		{"listen named port", func(c *config.Config) { c.Listen = "127.0.0.1:https" }, "listen", "from 0 to 65535"},
		{"listen bad host", func(c *config.Config) { c.Listen = "a b:1" }, "listen", "neither an IP address nor a host name"},
		{"http_listen empty", func(c *config.Config) { c.HTTPListen = "" }, "http_listen", "want host:port"},
		{"same address twice", func(c *config.Config) { c.HTTPListen = c.Listen }, "http_listen", "same address as listen"},
		{"url https with path", func(c *config.Config) { c.URL = "https://pki.example.com/anchor/" }, "", ""},
		{"url relative", func(c *config.Config) { c.URL = "/pki" }, "url", "absolute http:// or https://"},
		{"url ftp", func(c *config.Config) { c.URL = "ftp://x" }, "url", "absolute http:// or https://"},
		{"url query", func(c *config.Config) { c.URL = "http://x/?a=b" }, "url", "query or fragment"},
		{"url fragment", func(c *config.Config) { c.URL = "http://x/#" }, "url", "query or fragment"},
		{"url credentials", func(c *config.Config) { c.URL = "http://u:p@x/" }, "url", "password"},
		{"url space", func(c *config.Config) { c.URL = "http://x/a b" }, "url", "absolute"},
		{"url port 0", func(c *config.Config) { c.URL = "http://x:0/" }, "url", "from 1 to 65535"},
		{"db sqlite file", func(c *config.Config) { c.DB = "/var/lib/anchor/inventory.db" }, "", ""},
		{"db sqlite prefix", func(c *config.Config) { c.DB = "sqlite:inventory.db" }, "", ""},
		{"db postgres", func(c *config.Config) { c.DB = "postgresql://u:secret@h:5432/d?sslmode=require" }, "", ""},
		{"db mysql", func(c *config.Config) { c.DB = "mysql://u@h/d" }, "db", `unsupported database "mysql://"`},
		{"db memory", func(c *config.Config) { c.DB = ":memory:" }, "db", "not durable"},
		{"db query", func(c *config.Config) { c.DB = "a.db?mode=ro" }, "db", "'?' or '#'"},
		{"db keyword dsn", func(c *config.Config) { c.DB = "host=h dbname=d password=secret" }, "db", "postgres:// URL"},
		{"db bad postgres url", func(c *config.Config) { c.DB = "postgres://u:secret@h:port/d" }, "db", "not a valid postgres:// URL"},
		{"log level", func(c *config.Config) { c.Log.Level = "verbose" }, "log.level", "debug, info, warn, error"},
		{"log format", func(c *config.Config) { c.Log.Format = "xml" }, "log.format", "json, text"},
		{"ocsp validity zero", func(c *config.Config) { c.OCSP.Validity = 0 }, "ocsp.validity", "above zero"},
		{"crl refresh too long", func(c *config.Config) { c.CRL.RefreshBefore = c.CRL.Validity }, "crl.refresh_before", "not shorter"},
		{"api page size", func(c *config.Config) { c.API.PageSize = 0 }, "api.page_size", "at least 1"},
		{"api body", func(c *config.Config) { c.API.MaxBodyBytes = -1 }, "api.max_body_bytes", "at least 1"},
		{"tls 1.3", func(c *config.Config) { c.TLS.MinVersion = "1.3" }, "", ""},
		{"tls 1.0", func(c *config.Config) { c.TLS.MinVersion = "1.0" }, "tls.min_version", "1.2, 1.3"},
		{"acme port", func(c *config.Config) { c.ACME.HTTP01Port = 65536 }, "acme.http01_port", "1 to 65535"},
		{"acme tls port", func(c *config.Config) { c.ACME.TLSALPN01Port = 0 }, "acme.tlsalpn01_port", "1 to 65535"},
		{"resolver", func(c *config.Config) { c.ACME.Resolver = "[2001:db8::53]:53" }, "", ""},
		{"resolver no host", func(c *config.Config) { c.ACME.Resolver = ":53" }, "acme.resolver", "no host"},
		{"terms", func(c *config.Config) { c.ACME.TermsOfService = "https://example.com/tos?v=2" }, "", ""},
		{"terms relative", func(c *config.Config) { c.ACME.TermsOfService = "tos.html" }, "acme.terms_of_service", "absolute"},
		{"website", func(c *config.Config) { c.ACME.Website = "mailto:pki@example.com" }, "acme.website", "absolute"},
		{"caa identity", func(c *config.Config) { c.ACME.CAAIdentities = []string{"ca.example.com", "*.x.com"} }, "acme.caa_identities[1]", "issuer domain name"},
		{"rate limit off", func(c *config.Config) { c.ACME.RateLimits.NewOrders.Limit = 0 }, "", ""},
		{"rate limit negative", func(c *config.Config) { c.ACME.RateLimits.NewOrders.Limit = -1 }, "acme.rate_limits.new_orders.limit", "0 (no limit) or more"},
		{"rate window", func(c *config.Config) { c.ACME.RateLimits.FailedValidations.Window = 0 }, "acme.rate_limits.failed_validations.window", "above zero"},
		{"policy domains", func(c *config.Config) {
			c.Policy.AllowedDNS = []string{"example.com", "*.svc.internal", ".corp", "bücher.example"}
		}, "", ""},
		{"policy bad domain", func(c *config.Config) { c.Policy.DeniedDNS = []string{"a..b"} }, "policy.denied_dns[0]", "want a domain"},
		{"policy wildcard inside", func(c *config.Config) { c.Policy.AllowedDNS = []string{"a.*.b"} }, "policy.allowed_dns[0]", "want a domain"},
		{"policy prefixes", func(c *config.Config) { c.Policy.AllowedIPs = []string{"10.0.0.0/8", "fd00::/8", "192.0.2.1", "::1"} }, "", ""},
		{"policy bad prefix", func(c *config.Config) { c.Policy.DeniedIPs = []string{"10.0.0.0/33"} }, "policy.denied_ips[0]", "CIDR"},
		{"policy host bits", func(c *config.Config) { c.Policy.AllowedIPs = []string{"10.1.2.3/8"} }, "policy.allowed_ips[0]", "did you mean 10.0.0.0/8?"},
		{"policy mapped", func(c *config.Config) { c.Policy.AllowedIPs = []string{"::ffff:10.0.0.0/104"} }, "policy.allowed_ips[0]", "IPv4 form"},
		{"policy key type", func(c *config.Config) { c.Policy.KeyTypes = []string{"rsa-1024"} }, "policy.key_types[0]", "ec-p256"},
		{"policy max validity", func(c *config.Config) { c.Policy.MaxValidity = -1 }, "policy.max_validity", "above zero"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := config.Default()
			tc.change(&c)
			err := c.Validate()
			if tc.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate() = %v; want nil", err)
				}
				return
			}
			e, ok := errors.AsType[*config.Error](err)
			if !ok || len(e.Problems) != 1 {
				t.Fatalf("Validate() = %v; want one problem with %s", err, tc.wantKey)
			}
			p := e.Problems[0]
			if p.Key != tc.wantKey || p.Line != 0 || !strings.Contains(p.Msg, tc.wantMsg) {
				t.Fatalf("Validate() problem = %+v; want key %s, no line, message containing %q", p, tc.wantKey, tc.wantMsg)
			}
		})
	}
}

// A PostgreSQL DSN may hold a password: no message may repeat it.
func TestValidateNeverQuotesPostgresDSN(t *testing.T) {
	for _, dsn := range []string{"postgres://u:s3cret@h:port/d", "host=h dbname=d password=s3cret"} {
		c := config.Default()
		c.DB = dsn
		if err := c.Validate(); err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Validate(db=%q) = %v; want an error that does not repeat the password", dsn, err)
		}
	}
}

// The CLI's order: file, then flags, then Validate once over the result.
func TestValidateAfterFlags(t *testing.T) {
	c, err := config.Parse([]byte("listen: 127.0.0.1:9443\nacme:\n  http01_port: 5002\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range [][2]string{{"listen", "0.0.0.0:443"}, {"acme.http01_port", "0"}, {"url", "ca.example.com"}} {
		if err := c.Set(f[0], f[1]); err != nil {
			t.Fatalf("Set(%q, %q) = %v", f[0], f[1], err)
		}
	}
	if c.Listen != "0.0.0.0:443" {
		t.Errorf("after --listen, Listen = %q; want the flag to win over the file", c.Listen)
	}
	err = c.Validate()
	want := "config: 2 problems:\n" +
		"config: url: want an absolute http:// or https:// URL, got \"ca.example.com\"\n" +
		"config: acme.http01_port: want a port from 1 to 65535, got 0"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v\nwant\n%s", err, want)
	}
}

// Port 0 lets the kernel choose, which tests and side-by-side servers rely on.
func TestValidateListenPortZero(t *testing.T) {
	c := config.Default()
	c.Listen, c.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	if err := c.Validate(); err != nil {
		t.Fatalf("port 0 listeners rejected: %v", err)
	}
	c.ACME.Resolver = "127.0.0.1:0"
	if err := c.Validate(); err == nil {
		t.Fatal("resolver port 0 accepted")
	}
}
