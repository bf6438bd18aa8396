// Package lint runs zlint over a certificate before it is signed and refuses it on error-level
// findings. It is handed TBS certificates wrapped with a placeholder signature by package
// issuance, so nothing reaches a CA key that zlint would reject.
package lint

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	zx509 "github.com/zmap/zcrypto/x509"
	zl "github.com/zmap/zlint/v3/lint"

	_ "github.com/zmap/zlint/v3" // registers every lint in zl.GlobalRegistry
)

// DefaultSources are the lint families a private CA is held to: the RFCs that define X.509 and
// its algorithms, zlint's community lints, and the CA/Browser Forum Baseline Requirements (which
// zlint itself applies only to serverAuth certificates).
var DefaultSources = []zl.LintSource{
	zl.RFC5280, zl.RFC3279, zl.RFC5480, zl.RFC5891, zl.Community, zl.CABFBaselineRequirements,
}

// PrivateCAExemptions are Baseline Requirements lints that a private CA legitimately fails. Each
// is listed with its reason in README.md ("Lints a private CA does not pass"); nothing else is
// exempt, and the RFC and community lints have no exemptions at all.
var PrivateCAExemptions = []string{
	// Internal names (.internal, .test, localhost, single-label hosts) are what a private CA is for;
	// the BRs forbid them only for publicly-trusted certificates.
	"e_dnsname_not_valid_tld",
	"e_san_dns_name_onion_not_ev_cert",
	// Private and loopback addresses (10/8, 127.0.0.1, ::1) are the addresses of private services.
	"e_ext_san_contains_reserved_ip",
	// Service identities: a mesh's server certificates carry SPIFFE URIs, mTLS peers an email.
	"e_ext_san_rfc822_name_present",
	"e_ext_san_uniform_resource_identifier_present",
	// Revocation pointers are written only when the CA has a public base URL (`anchor ca init
	// --url`); a CA on a laptop has none to publish.
	"e_sub_cert_aia_does_not_contain_ocsp_url",
	"w_sub_cert_aia_does_not_contain_issuing_ca_url",
	"e_sub_cert_aia_missing",
	"w_sub_ca_aia_does_not_contain_issuing_ca_url",
	"e_sub_ca_aia_missing",
	"e_sub_ca_crl_distribution_points_missing",
	"e_missing_crl_distrib_point",
	// Certificate policies identify a publicly-audited CP/CPS; a private CA has no such document.
	"e_sub_cert_certificate_policies_missing",
	"e_sub_ca_certificate_policies_missing",
	"e_invalid_ca_certificate_policies",
	"e_sub_cert_cert_policy_empty",
	// Subject identity rules of organisation-validated certificates (BR §7.1.2.7.4, §7.1.4.2):
	// a private CA signs the subject its users' CSRs carry (openssl writes /CN=x/O=y in that
	// order) and performs no OV identity validation for which C, ST and L would be evidence.
	"e_sub_cert_country_name_must_appear",
	"e_sub_cert_locality_name_must_appear",
	"e_sub_cert_province_must_appear",
	"e_invalid_subject_rdn_order",
	// A private CA serves an organisation, not a jurisdiction; `anchor ca init` sets O but has no
	// country to assert.
	"e_ca_country_name_missing",
	// Ed25519 is outside the Web PKI's algorithm list (BR §6.1.5, §7.1.3.1) but is a sound choice
	// for a private CA whose clients (Go, openssl, SSH-style tooling) support it; the user asks for
	// it explicitly with --key-type ed25519.
	"e_algorithm_identifier_improper_encoding",
	"e_signature_algorithm_not_supported",
}

// Options configure a Linter. Zero values mean the defaults above.
type Options struct {
	Sources []zl.LintSource
	Exempt  []string // lint names that never block; nil: PrivateCAExemptions
}

// Linter runs a fixed set of lints. The set is resolved once: zlint's own entry point sorts the
// registry's names on every call, which costs more than many of the lints themselves.
type Linter struct {
	lints  []*zl.CertificateLint
	exempt map[string]bool
	config zl.Configuration
}

// New resolves the lints for o.
func New(o Options) (*Linter, error) {
	if o.Sources == nil {
		o.Sources = DefaultSources
	}
	if o.Exempt == nil {
		o.Exempt = PrivateCAExemptions
	}
	reg, err := zl.GlobalRegistry().Filter(zl.FilterOptions{IncludeSources: o.Sources})
	if err != nil {
		return nil, fmt.Errorf("lint: selecting lints: %w", err)
	}
	l := &Linter{lints: reg.CertificateLints().Lints(), exempt: map[string]bool{}, config: reg.GetConfiguration()}
	for _, n := range o.Exempt {
		l.exempt[n] = true
	}
	return l, nil
}

// Finding is one lint that did not pass.
type Finding struct {
	Lint    string `json:"lint"`
	Source  string `json:"source"`
	Status  string `json:"status"` // notice, warn, error, fatal
	Details string `json:"details,omitempty"`
	Exempt  bool   `json:"exempt,omitempty"`
}

func (f Finding) String() string {
	s := f.Status + " " + f.Lint
	if f.Details != "" {
		s += " (" + f.Details + ")"
	}
	return s
}

// ErrRejected is wrapped by *RejectedError.
var ErrRejected = errors.New("lint: certificate rejected")

// RejectedError lists the error-level findings that stopped issuance.
type RejectedError struct{ Findings []Finding }

func (e *RejectedError) Error() string {
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.String()
	}
	return "lint: certificate rejected: " + strings.Join(parts, "; ")
}

func (e *RejectedError) Unwrap() error { return ErrRejected }

// Lint returns a *RejectedError if any non-exempt lint reports an error or fatal result.
func (l *Linter) Lint(certDER []byte) error {
	findings, err := l.Report(certDER)
	if err != nil {
		return err
	}
	var blocking []Finding
	for _, f := range findings {
		if !f.Exempt && (f.Status == "error" || f.Status == "fatal") {
			blocking = append(blocking, f)
		}
	}
	if len(blocking) > 0 {
		return &RejectedError{Findings: blocking}
	}
	return nil
}

// Report returns every finding at notice level or above, exempt ones marked.
func (l *Linter) Report(certDER []byte) ([]Finding, error) {
	c, err := zx509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("lint: parsing certificate: %w", err)
	}
	var out []Finding
	for _, cl := range l.lints {
		r := cl.Execute(c, l.config)
		if r.Status < zl.Notice || r.Status == zl.Reserved {
			continue // pass, NA, NE
		}
		out = append(out, Finding{Lint: cl.Name, Source: string(cl.Source), Status: strings.ToLower(r.Status.String()),
			Details: r.Details, Exempt: l.exempt[cl.Name]})
	}
	slices.SortFunc(out, func(a, b Finding) int { return strings.Compare(a.Lint, b.Lint) })
	return out, nil
}
