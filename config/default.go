package config

import (
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/anchorpki/anchor/duration"
)

// defaultYAML is the file the first run writes. TestDefaultYAMLIsDefault keeps it equal to
// Default, so the documented defaults are the real ones.
//
//go:embed default.yaml
var defaultYAML []byte

// Default returns the built-in configuration. Each call returns fresh slices, so callers may
// modify the result.
func Default() Config {
	return Config{
		Listen:     "127.0.0.1:8443",
		HTTPListen: "127.0.0.1:8080",
		Log:        Log{Level: "info", Format: "json"},
		OCSP:       OCSP{Validity: Duration(24 * time.Hour)},
		CRL:        CRL{Validity: Duration(7 * duration.Day), RefreshBefore: Duration(duration.Day)},
		API:        API{MaxBodyBytes: 1 << 20, PageSize: 100},
		TLS:        TLS{MinVersion: "1.2"},
		ACME: ACME{
			Enabled:       true,
			HTTP01Port:    80,
			TLSALPN01Port: 443,
			CAAIdentities: []string{},
			RateLimits: RateLimits{
				NewOrders:         RateLimit{Limit: 300, Window: Duration(3 * time.Hour)},
				FailedValidations: RateLimit{Limit: 5, Window: Duration(time.Hour)},
			},
		},
		Policy: Policy{
			AllowedDNS:     []string{},
			DeniedDNS:      []string{},
			AllowedIPs:     []string{},
			DeniedIPs:      []string{},
			AllowWildcards: true,
			KeyTypes:       []string{},
			MaxValidity:    Duration(397 * duration.Day),
		},
	}
}

// DefaultYAML returns the commented default config.yaml.
func DefaultYAML() []byte { return bytes.Clone(defaultYAML) }

// DefaultYAMLWith returns DefaultYAML with the url key set to baseURL. The first run writes it,
// so that the URL written into certificates is recorded and cannot change with a later flag or
// default.
func DefaultYAMLWith(baseURL string) []byte {
	// Go's escapes (\n, \", \u2028, ...) are all YAML double-quoted escapes too, and the result
	// is one line, so no url can add keys to the file.
	return bytes.Replace(defaultYAML, []byte(`url: ""`), []byte("url: "+strconv.Quote(baseURL)), 1)
}

// DefaultURL derives the public base URL from the HTTP listener's address: what the first run
// records when no --url is given. A listener on every interface (":8080", "0.0.0.0:8080") has
// no single address to publish, so it yields the loopback address; a server reachable from
// elsewhere needs --url.
func DefaultURL(httpListen string) (string, error) {
	host, port, err := net.SplitHostPort(httpListen)
	if err != nil {
		return "", fmt.Errorf("config: http_listen %q: %w", httpListen, err)
	}
	if a, err := netip.ParseAddr(host); host == "" || err == nil && a.IsUnspecified() {
		host = "127.0.0.1"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("config: http_listen %q: port must be a number from 1 to 65535", httpListen)
	}
	h := net.JoinHostPort(host, strconv.Itoa(n))
	if n == 80 {
		h = strings.TrimSuffix(h, ":80")
	}
	// url.URL escapes what a host may not carry verbatim, such as an IPv6 zone's '%'.
	return (&url.URL{Scheme: "http", Host: h}).String(), nil
}
