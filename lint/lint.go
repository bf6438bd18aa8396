// Package lint runs zlint over a certificate before it is signed and refuses it on error-level
// findings. It is handed TBS certificates wrapped with a placeholder signature by package
// issuance, so nothing reaches a CA key that zlint would reject.
package lint

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	zx509 "github.com/zmap/zcrypto/x509"
	zl "github.com/zmap/zlint/v3/lint"
	"github.com/zmap/zlint/v3/util"

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
	lints  []check // in name order, so findings come out sorted
	exempt map[string]bool
	config zl.Configuration
}

// check is one lint of the set, ready to run.
type check struct {
	*zl.CertificateLint
	// shared is the lint built and configured once, for lints that hold no state a run could
	// change. zlint builds a fresh one for every certificate, which for some lints means
	// compiling a regular expression per certificate; nil: do as zlint does.
	shared zl.CertificateLintInterface
	// blocking is false for an exemption: its result can never refuse a certificate, so Lint
	// does not run it (Report still does, to show it).
	blocking bool
}

// reviewedState lists the lints that carry fields but only read them after construction and
// configuration, so one instance may serve concurrent runs. The value is the layout that was
// reviewed (stateOf): if a zlint upgrade changes it, the lint falls back to a fresh
// instance per run and TestReviewedStateIsCurrent says what to review again.
var reviewedState = map[string]string{
	"e_dnsname_bad_character_in_label":   "cabf_br.DNSNameProperCharacters{CompiledExpression *regexp.Regexp}",
	"w_rsa_public_exponent_not_in_range": "cabf_br.rsaParsedTestsExpInRange{upperBound *big.Int}",
	"e_rsa_fermat_factorization":         "community.fermatFactorization{Rounds int}",
	"e_subj_contains_html_entities":      "community.subjectContainsHTMLEntities{Skip bool}",
	"e_ca_common_name_missing":           "cabf_br.caCommonNameMissing{TlsBrConfig *lint.CABFBaselineRequirementsConfig}",
	"e_ca_country_name_invalid":          "cabf_br.caCountryNameInvalid{TlsBrConfig *lint.CABFBaselineRequirementsConfig}",
	"e_ca_country_name_missing":          "cabf_br.caCountryNameMissing{TlsBrConfig *lint.CABFBaselineRequirementsConfig}",
	"e_ca_organization_name_missing":     "cabf_br.caOrganizationNameMissing{TlsBrConfig *lint.CABFBaselineRequirementsConfig}",
	"e_ca_multiple_reserved_policy_oids": "cabf_br.CAMultipleReservedPolicyOIDs{CrossCert bool}",
	"e_subj_orgunit_in_ca_cert":          "cabf_br.subjectOrgUnitInCACert{CrossCert bool}",
}

// stateOf describes the fields of a lint's implementation; "" means it has none, so sharing it
// cannot share state.
func stateOf(l zl.CertificateLintInterface) string {
	t := reflect.TypeOf(l)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Size() == 0 {
		return ""
	}
	var fields []string
	if t.Kind() == reflect.Struct {
		for i := range t.NumField() {
			fields = append(fields, t.Field(i).Name+" "+t.Field(i).Type.String())
		}
	}
	return t.String() + "{" + strings.Join(fields, "; ") + "}"
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
	l := &Linter{exempt: map[string]bool{}, config: reg.GetConfiguration()}
	for _, n := range o.Exempt {
		l.exempt[n] = true
	}
	for _, cl := range reg.CertificateLints().Lints() {
		c := check{CertificateLint: cl, blocking: !l.exempt[cl.Name]}
		// A lint whose configuration fails keeps zlint's path, which reports the failure as a
		// fatal result on every certificate.
		if inst := cl.Lint(); l.config.MaybeConfigure(inst, cl.Name) == nil {
			if s := stateOf(inst); s == "" || reviewedState[cl.Name] == s {
				c.shared = inst
			}
		}
		l.lints = append(l.lints, c)
	}
	slices.SortFunc(l.lints, func(a, b check) int { return strings.Compare(a.Name, b.Name) })
	return l, nil
}

// run is zlint's CertificateLint.Execute for a shared instance: the same framework filter, panic
// recovery and order (applies, effective, execute). It returns the status and details rather
// than a *LintResult, whose embedded metadata made one allocation of about 200 bytes per lint
// and certificate, for every lint that does not apply. TestReportMatchesZlint holds it to zlint's.
func (c *check) run(cert *zx509.Certificate, config zl.Configuration) (status zl.LintStatus, details string) {
	if c.shared == nil {
		r := c.Execute(cert, config)
		return r.Status, r.Details
	}
	defer func() {
		if err := recover(); err != nil {
			status, details = zl.Fatal, fmt.Sprintf("'%s' panicked. Error: %v", c.Name, err)
		}
	}()
	if !c.OverrideFrameworkFilter {
		switch {
		case c.Source == zl.CABFBaselineRequirements && !util.IsServerAuthCert(cert),
			c.Source == zl.CABFSMIMEBaselineRequirements && !util.IsEmailProtectionCert(cert),
			c.Source == zl.CABFCSBaselineRequirements && !util.IsCodeSigning(cert.PolicyIdentifiers):
			return zl.NA, ""
		}
	}
	if !c.shared.CheckApplies(cert) {
		return zl.NA, ""
	}
	if !c.CheckEffective(cert) {
		return zl.NE, ""
	}
	r := c.shared.Execute(cert)
	return r.Status, r.Details
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
	findings, err := l.run(certDER, true)
	if err != nil {
		return err
	}
	var blocking []Finding
	for _, f := range findings {
		if f.Status == "error" || f.Status == "fatal" {
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
	return l.run(certDER, false)
}

func (l *Linter) run(certDER []byte, blockingOnly bool) ([]Finding, error) {
	c, err := zx509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("lint: parsing certificate: %w", err)
	}
	var out []Finding
	for i := range l.lints {
		k := &l.lints[i]
		if blockingOnly && !k.blocking {
			continue
		}
		status, details := k.run(c, l.config)
		if status < zl.Notice || status == zl.Reserved {
			continue // pass, NA, NE
		}
		out = append(out, Finding{Lint: k.Name, Source: string(k.Source), Status: strings.ToLower(status.String()),
			Details: details, Exempt: l.exempt[k.Name]})
	}
	return out, nil
}
