package verify

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip" // not applicable, or not attempted
	Warn Status = "warn" // noteworthy, but does not make the certificate invalid
)

// Stable check names. Web PKI rules are reported as "webpki:<rule>".
const (
	CheckChain              = "chain"               // a path to a trust anchor exists
	CheckSignature          = "signature"           // each certificate is signed by the next one's key
	CheckValidity           = "validity"            // notBefore <= At <= notAfter, both inclusive
	CheckHostname           = "hostname"            // Host against the leaf's SANs (RFC 9525)
	CheckEmail              = "email"               // Email against rfc822Name SANs
	CheckBasicConstraints   = "basic_constraints"   // cA on issuers, pathLen only with cA
	CheckPathLength         = "path_length"         // pathLenConstraint (RFC 5280 §6.1.4(l),(m))
	CheckKeyUsage           = "key_usage"           // keyCertSign on issuers, bits consistent
	CheckExtKeyUsage        = "extended_key_usage"  // required purposes, chained through CAs
	CheckNameConstraints    = "name_constraints"    // RFC 5280 §4.2.1.10
	CheckCriticalExtensions = "critical_extensions" // unknown critical and wrong criticality
	CheckKeyIdentifiers     = "key_identifiers"     // AKI/SKI presence (RFC 5280 §4.2.1.1-2)
	CheckNames              = "names"               // non-empty issuer, CA subject, SAN rules
	CheckSerialNumber       = "serial_number"       // positive, at most 20 octets
	CheckPolicy             = "policy"              // certificate policies (RFC 5280 §6.1.3-5)
	CheckMaxDepth           = "max_depth"           // Options.MaxDepth
	CheckRevocationCRL      = "revocation_crl"
	CheckRevocationOCSP     = "revocation_ocsp"
	CheckOptions            = "options"
)

// Check is one decision about one certificate (or the path as a whole).
type Check struct {
	Name    string `json:"check"`
	Status  Status `json:"status"`
	Subject string `json:"subject,omitempty"` // which certificate it concerns
	Depth   int    `json:"depth"`             // 0 = leaf
	Detail  string `json:"detail"`
}

func (c Check) String() string {
	s := c.Name + ": " + c.Detail
	if c.Subject != "" {
		s = fmt.Sprintf("%s [%s, depth %d]: %s", c.Name, c.Subject, c.Depth, c.Detail)
	}
	return s
}

// CertSummary identifies one certificate of the chain for people and JSON.
type CertSummary struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	SHA256    string    `json:"sha256"`
}

// Summarize describes a certificate.
func Summarize(c *x509.Certificate) CertSummary {
	fp := sha256.Sum256(c.Raw)
	serial := ""
	if c.SerialNumber != nil {
		serial = c.SerialNumber.Text(16)
	}
	return CertSummary{
		Subject:   nameString(c.Subject.String()),
		Issuer:    nameString(c.Issuer.String()),
		Serial:    serial,
		NotBefore: c.NotBefore.UTC(),
		NotAfter:  c.NotAfter.UTC(),
		SHA256:    hex.EncodeToString(fp[:]),
	}
}

// Result is the verdict with its reasons.
type Result struct {
	Valid        bool                `json:"valid"`
	Chain        []*x509.Certificate `json:"-"`     // accepted path (or best failing one), leaf first
	ChainSummary []CertSummary       `json:"chain"` // the same, described
	Checks       []Check             `json:"checks"`
	PathsTried   int                 `json:"paths_tried"`
}

// Failed returns the failing checks.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Err is nil when the certificate is trusted and a *Rejection listing every failing check
// otherwise.
func (r *Result) Err() error {
	if r.Valid {
		return nil
	}
	failed := r.Failed()
	if len(failed) == 0 {
		failed = []Check{{Name: CheckChain, Status: Fail, Detail: "no valid path"}}
	}
	return &Rejection{Failed: failed}
}

// Rejection is why a certificate is not trusted.
type Rejection struct {
	Failed []Check
}

func (e *Rejection) Error() string {
	parts := make([]string, len(e.Failed))
	for i, c := range e.Failed {
		parts[i] = c.String()
	}
	return "verify: certificate not trusted: " + strings.Join(parts, "; ")
}

// Has reports whether the check with the given name failed.
func (e *Rejection) Has(name string) bool {
	for _, c := range e.Failed {
		if c.Name == name {
			return true
		}
	}
	return false
}

func nameString(s string) string {
	if s == "" {
		return "(empty name)"
	}
	return s
}
