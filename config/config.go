// Package config is the user-facing configuration of `anchor serve`: the Config struct, its
// embedded defaults and commented default file, a strict decoder that reports every problem in a
// file at once with its line, and the semantic checks shared by the file and command-line flags.
//
// Precedence is flags over the file over defaults: Load or Parse start from Default and decode
// the file over it, then the CLI calls Set for each flag given and Validate once at the end.
// The package reads the file named to Load and nothing else: no environment, no globals.
package config

import (
	"crypto/tls"
	"log/slog"
)

// Config is everything `anchor serve` can be told. It is a plain struct: a library user may fill
// it in directly, starting from Default, and should call Validate before use. The yaml tags are
// the keys of config.yaml; Set and problem reports use the same names joined by dots
// ("acme.rate_limits.new_orders.limit").
type Config struct {
	// Listen is the HTTPS address (host:port) of the REST API, ACME, /healthz and /metrics. An empty
	// host listens on every interface.
	Listen string `yaml:"listen"`
	// HTTPListen is the plain-HTTP address for OCSP, CRLs and CA certificates. They are served
	// without TLS because a client checking revocation cannot rely on a TLS connection to the
	// CA whose certificates it is checking; RFC 5280 §4.2.1.13 and RFC 6960 Appendix A.1 use
	// http URLs for the same reason.
	HTTPListen string `yaml:"http_listen"`
	// URL is the public base URL written into every certificate (CRL distribution point, OCSP
	// and CA-issuers pointers). Empty means "not chosen yet": the first run derives it from
	// HTTPListen with DefaultURL and records it in config.yaml, because changing it later
	// leaves already-issued certificates pointing at the old address.
	URL string `yaml:"url"`
	// DB is the inventory: empty for anchor.db (SQLite) in the data directory, a SQLite file
	// path, or a postgres:// (postgresql://) URL for several processes sharing one database.
	DB string `yaml:"db"`

	Log    Log    `yaml:"log"`
	OCSP   OCSP   `yaml:"ocsp"`
	CRL    CRL    `yaml:"crl"`
	API    API    `yaml:"api"`
	TLS    TLS    `yaml:"tls"`
	ACME   ACME   `yaml:"acme"`
	Policy Policy `yaml:"policy"`
}

// Log selects what the server logs and how.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn or error
	Format string `yaml:"format"` // json or text
}

// OCSP configures the responder.
type OCSP struct {
	// Validity is nextUpdate − thisUpdate of each response: how long a client may cache it,
	// and so how long a revocation can go unnoticed by a client that cached "good".
	Validity Duration `yaml:"validity"`
}

// CRL configures the published revocation lists.
type CRL struct {
	Validity Duration `yaml:"validity"` // nextUpdate − thisUpdate
	// RefreshBefore is how long before nextUpdate a new CRL is signed, so that a client never
	// holds an expired one while the next is being fetched. It must be shorter than Validity.
	RefreshBefore Duration `yaml:"refresh_before"`
}

// API configures the REST API.
type API struct {
	MaxBodyBytes int64 `yaml:"max_body_bytes"` // larger request bodies are refused
	PageSize     int   `yaml:"page_size"`      // list responses return at most this many items
}

// TLS configures the HTTPS listener.
type TLS struct {
	MinVersion string `yaml:"min_version"` // "1.2" or "1.3"
}

// ACME configures the RFC 8555 server.
type ACME struct {
	Enabled bool `yaml:"enabled"`
	// HTTP01Port and TLSALPN01Port are the ports the CA connects to on the applicant's host when
	// validating; RFC 8555 §8.3 and RFC 8737 §3 fix them at 80 and 443, and only a test setup
	// has reason to change them.
	HTTP01Port    int `yaml:"http01_port"`
	TLSALPN01Port int `yaml:"tlsalpn01_port"`
	// Resolver is the DNS server (host:port) used for dns-01 and CAA lookups; empty uses the
	// system resolver.
	Resolver string `yaml:"resolver"`
	// EABRequired refuses new accounts without external account binding (RFC 8555 §7.3.4).
	EABRequired bool `yaml:"eab_required"`
	// TermsOfService and Website are published in the directory's meta object (RFC 8555
	// §7.1.1); empty omits them.
	TermsOfService string `yaml:"terms_of_service"`
	Website        string `yaml:"website"`
	// CAAIdentities are the issuer domain names that CAA records may name to authorise this CA
	// (RFC 8659 §4.2); empty skips the CAA check.
	CAAIdentities []string   `yaml:"caa_identities"`
	RateLimits    RateLimits `yaml:"rate_limits"`
}

// RateLimits bound what one client can make the CA do.
type RateLimits struct {
	NewOrders         RateLimit `yaml:"new_orders"`         // per account
	FailedValidations RateLimit `yaml:"failed_validations"` // per identifier
}

// RateLimit admits at most Limit events per Window; a Limit of 0 turns the limit off.
type RateLimit struct {
	Limit  int      `yaml:"limit"`
	Window Duration `yaml:"window"`
}

// Policy is what the CA will sign, as written in the file; Rules converts it for package policy.
type Policy struct {
	// AllowedDNS, when not empty, admits only names inside these domains: "example.com" admits
	// it and every name below it, "*.example.com" or ".example.com" only the names below.
	AllowedDNS []string `yaml:"allowed_dns"`
	DeniedDNS  []string `yaml:"denied_dns"` // wins over AllowedDNS
	// AllowedIPs, when not empty, admits only addresses in these CIDR prefixes (a bare address
	// is one host); DeniedIPs wins.
	AllowedIPs     []string `yaml:"allowed_ips"`
	DeniedIPs      []string `yaml:"denied_ips"`
	AllowWildcards bool     `yaml:"allow_wildcards"`
	// KeyTypes, when not empty, restricts subject keys to these types (ec-p256, rsa-2048, ...).
	KeyTypes    []string `yaml:"key_types"`
	MaxValidity Duration `yaml:"max_validity"` // longest leaf lifetime
}

// Version returns the crypto/tls constant for MinVersion, or 0 if it is not one Validate accepts.
func (t TLS) Version() uint16 {
	switch t.MinVersion {
	case "1.2":
		return tls.VersionTLS12
	case "1.3":
		return tls.VersionTLS13
	}
	return 0
}

// logLevels are the names Log.Level accepts. slog.Level.UnmarshalText would also take "INFO+2",
// which is not something to promise in a config file.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
}

// SlogLevel returns Level as a slog.Level; an unknown name (which Validate reports) is Info.
func (l Log) SlogLevel() slog.Level {
	if lv, ok := logLevels[l.Level]; ok {
		return lv
	}
	return slog.LevelInfo
}
