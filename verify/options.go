package verify

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Profile selects the rule set a path is validated against.
type Profile string

const (
	// RFC5280 is plain RFC 5280 path validation plus RFC 9525 name matching (the default).
	RFC5280 Profile = "rfc5280"
	// WebPKI adds the CA/Browser Forum Baseline Requirements for TLS server certificates, each
	// reported as its own "webpki:<rule>" check. It implies the serverAuth purpose.
	WebPKI Profile = "webpki"
)

// DefaultMaxDepth is the number of intermediate CA certificates allowed when Options.MaxDepth
// is zero.
const DefaultMaxDepth = 10

// NoIntermediates is the Options.MaxDepth value that allows no intermediate at all: the leaf
// must be issued by a trust anchor (x509-limbo's max_chain_depth 0).
const NoIntermediates = -1

// Options says what to trust and what to check. The zero value of every field but Roots is a
// usable default.
type Options struct {
	Roots         []*x509.Certificate     // trust anchors; required
	Intermediates []*x509.Certificate     // untrusted candidates for path building
	Host          string                  // DNS name or IP literal to match against the leaf; "" = no check
	Email         string                  // RFC 822 mailbox to match against rfc822Name SANs; "" = no check
	EKUs          []asn1.ObjectIdentifier // required extended key usages; nil with Host set = serverAuth; anyExtendedKeyUsage = no requirement
	At            time.Time               // verification time; zero: Now()
	CRLs          []*x509.RevocationList  // CRLs to consult
	FetchCRL      bool                    // also fetch CRLs from the certificates' http:// distribution points
	OCSP          bool                    // query the AIA OCSP responder of every certificate below the anchor
	HTTPClient    *http.Client            // nil: a client with a 10 s timeout
	// MaxDepth is the largest number of intermediate CA certificates, self-issued ones not
	// counted, allowed between the leaf and the trust anchor. 0 means DefaultMaxDepth;
	// NoIntermediates (any negative value) allows none.
	MaxDepth int
	Profile  Profile          // RFC5280 (default) or WebPKI
	Now      func() time.Time // nil: time.Now; used when At is zero

	// AllowSHA1 accepts SHA-1 signatures under the rfc5280 profile. SHA-1 collisions are
	// practical (SHAttered, 2017; chosen-prefix, 2020), so they are refused by default.
	AllowSHA1 bool
	// LegacyCommonName matches Host against the subject common name when the leaf has no
	// subjectAltName extension at all (RFC 6125 §6.4.4). RFC 9525 removed this; rfc5280 only.
	LegacyCommonName bool
}

// config is Options after defaults and validation.
type config struct {
	Options
	at         time.Time
	ekus       []asn1.ObjectIdentifier
	ekuImplied bool // ekus were not given but implied by Host or the webpki profile
	maxDepth   int  // non-self-issued intermediates allowed
	hostIP     net.IP
	hostDNS    string
	client     *http.Client
}

func newConfig(o Options) (*config, error) {
	c := &config{Options: o}
	switch o.Profile {
	case "":
		c.Profile = RFC5280
	case RFC5280, WebPKI:
	default:
		return nil, fmt.Errorf("unknown profile %q (want %q or %q)", o.Profile, RFC5280, WebPKI)
	}
	c.at = o.At
	if c.at.IsZero() {
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		c.at = now()
	}
	// RFC 5280 §4.1.2.5 times have one-second resolution; compare at that granularity, so a
	// check 5 ms after notAfter still falls within the notAfter second (x509-limbo
	// rfc5280::validity::notafter-fractional).
	c.at = c.at.UTC().Truncate(time.Second)
	c.ekus = o.EKUs
	// A required anyExtendedKeyUsage accepts every purpose, as crypto/x509's ExtKeyUsageAny and
	// openssl's -purpose any do; it also stands in for the serverAuth a host check implies.
	anyEKU := hasOID(o.EKUs, oidEKUAny)
	if anyEKU {
		c.ekus = nil
	}
	if len(c.ekus) == 0 && ((o.Host != "" && !anyEKU) || c.Profile == WebPKI) {
		c.ekus = []asn1.ObjectIdentifier{oidEKUServerAuth}
		c.ekuImplied = true
	}
	switch {
	case o.MaxDepth == 0:
		c.maxDepth = DefaultMaxDepth
	case o.MaxDepth < 0:
		c.maxDepth = 0
	default:
		c.maxDepth = o.MaxDepth
	}
	if o.Host != "" {
		h := strings.TrimSuffix(strings.TrimPrefix(o.Host, "["), "]")
		if ip := net.ParseIP(h); ip != nil {
			c.hostIP = ip
		} else {
			c.hostDNS = strings.ToLower(strings.TrimSuffix(o.Host, "."))
		}
	}
	c.client = o.HTTPClient
	if c.client == nil {
		c.client = &http.Client{Timeout: 10 * time.Second}
	}
	return c, nil
}

func (c *config) webpki() bool { return c.Profile == WebPKI }

// revocationWanted reports whether any revocation source is configured.
func (c *config) revocationWanted() bool { return len(c.CRLs) > 0 || c.FetchCRL || c.OCSP }
