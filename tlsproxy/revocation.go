package tlsproxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/verify"
)

// RevocationMode says how the revocation status of client certificates is checked.
//
// The policy is hard-fail, as a relying party of mutual TLS should be: a certificate whose
// status the selected sources cannot establish (responder unreachable, HTTP error, bad
// signature, stale or "unknown" answer) is refused like a revoked one. Only a certificate that
// names no source for the mode (no http:// OCSP responder in its AIA, no http:// CRL
// distribution point) is accepted unchecked: its CA issued it to be unrevocable by that means.
// Every certificate of the verified chain below the trust anchor is checked (the client
// certificate and the intermediates), so a revoked intermediate is refused too.
type RevocationMode string

const (
	// RevocationAuto asks the OCSP responder when the certificate names one, and falls back to
	// its CRL when the responder fails or none is named. The default.
	RevocationAuto RevocationMode = "auto"
	// RevocationOCSP uses only OCSP; certificates without a responder are not checked.
	RevocationOCSP RevocationMode = "ocsp"
	// RevocationCRL uses only CRLs; certificates without a distribution point are not checked.
	RevocationCRL RevocationMode = "crl"
	// RevocationOff checks nothing: a revoked certificate is accepted until it expires.
	RevocationOff RevocationMode = "off"
)

// ErrInvalidRevocationMode is returned for a mode other than auto, ocsp, crl and off.
var ErrInvalidRevocationMode = errors.New("tlsproxy: revocation mode must be auto, ocsp, crl or off")

// ParseRevocationMode accepts auto, ocsp, crl and off; "" is auto.
func ParseRevocationMode(s string) (RevocationMode, error) {
	switch m := RevocationMode(strings.ToLower(s)); m {
	case "":
		return RevocationAuto, nil
	case RevocationAuto, RevocationOCSP, RevocationCRL, RevocationOff:
		return m, nil
	}
	return "", fmt.Errorf("%w, not %q", ErrInvalidRevocationMode, s)
}

// RevokedError refuses a handshake whose client certificate chain holds a revoked certificate.
type RevokedError struct {
	Serial    string // even-length lower-case hex
	Subject   string
	Reason    revocation.Reason
	RevokedAt time.Time
	Source    string // the OCSP responder or CRL URL that said so
}

func (e *RevokedError) Error() string {
	return fmt.Sprintf("tlsproxy: client certificate chain: serial %s (%s) revoked at %s, reason %s, according to %s",
		e.Serial, e.Subject, e.RevokedAt.UTC().Format(time.RFC3339), e.Reason, e.Source)
}

// ErrRevocationUnavailable is wrapped by the error that refuses a handshake because the status of
// a certificate could not be established (hard-fail).
var ErrRevocationUnavailable = errors.New("tlsproxy: revocation status unavailable")

const (
	defaultRevocationCacheSize = 10_000
	defaultCRLCacheSize        = 64
	defaultRevocationTimeout   = 5 * time.Second
	defaultRevocationMaxAge    = time.Hour
	maxCRLBytes                = 16 << 20
	clockSkew                  = 5 * time.Minute
)

// revocationChecker answers, for one certificate and its issuer, whether it is revoked. Answers
// are cached until the response's nextUpdate (at most maxAge), failures are not cached.
type revocationChecker struct {
	mode    RevocationMode
	client  *http.Client
	now     func() time.Time
	timeout time.Duration
	maxAge  time.Duration
	log     *slog.Logger

	ocspCache  *ttlCache[string, *ocsp.Response]
	ocspFlight flight[string, *ocsp.Response]
	crlCache   *ttlCache[string, *cachedCRL]
	crlFlight  flight[string, *cachedCRL]
}

type cachedCRL struct {
	crl     *x509.RevocationList
	revoked map[string]x509.RevocationListEntry // by serial hex
}

// checkChains accepts the handshake when no verified chain shows a revoked certificate and at
// least one chain has every certificate below its anchor determined good. A revocation found
// on any chain refuses: a shorter chain ending at an intermediate that is itself a trust anchor
// must not outvote the chain that shows the intermediate revoked.
func (c *revocationChecker) checkChains(chains [][]*x509.Certificate) error {
	if c.mode == RevocationOff || len(chains) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	var first error
	clean := false
	for _, chain := range chains {
		err := c.checkChain(ctx, chain)
		if _, revoked := errors.AsType[*RevokedError](err); revoked {
			return err
		}
		if err == nil {
			clean = true
		} else if first == nil {
			first = err
		}
	}
	if clean {
		return nil
	}
	return first
}

func (c *revocationChecker) checkChain(ctx context.Context, chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		if err := c.checkCert(ctx, chain[i], chain[i+1]); err != nil {
			return err
		}
	}
	return nil
}

func (c *revocationChecker) checkCert(ctx context.Context, cert, issuer *x509.Certificate) error {
	var problems []string
	if c.mode == RevocationAuto || c.mode == RevocationOCSP {
		if url := firstHTTP(cert.OCSPServer); url != "" {
			err := c.checkOCSP(ctx, cert, issuer, url)
			if err == nil {
				return nil
			}
			if _, ok := errors.AsType[*RevokedError](err); ok {
				return err
			}
			problems = append(problems, err.Error())
		}
	}
	if c.mode == RevocationAuto || c.mode == RevocationCRL {
		for _, url := range cert.CRLDistributionPoints {
			if !strings.HasPrefix(url, "http://") {
				continue
			}
			err := c.checkCRL(ctx, cert, issuer, url)
			if err == nil {
				return nil
			}
			if _, ok := errors.AsType[*RevokedError](err); ok {
				return err
			}
			problems = append(problems, err.Error())
		}
	}
	if len(problems) == 0 {
		return nil // the certificate names no source for this mode
	}
	return fmt.Errorf("%w for serial %s (%s): %s", ErrRevocationUnavailable, serialHex(cert), cert.Subject, strings.Join(problems, "; "))
}

func (c *revocationChecker) checkOCSP(ctx context.Context, cert, issuer *x509.Certificate, url string) error {
	now := c.now()
	key := url + "|" + issuerKey(issuer) + "|" + serialHex(cert)
	resp, ok := c.ocspCache.get(key, now)
	if !ok {
		var err error
		resp, err = c.ocspFlight.do(key, func() (*ocsp.Response, error) {
			r, _, err := verify.QueryOCSP(ctx, verify.OCSPQuery{Cert: cert, Issuer: issuer, URL: url, Client: c.client, At: now})
			if err != nil {
				return nil, err
			}
			if err := ocspUsable(r, now, c.maxAge); err != nil {
				return nil, fmt.Errorf("OCSP %s: %w", url, err)
			}
			c.ocspCache.put(key, r, c.expiry(r.NextUpdate, now), now)
			return r, nil
		})
		if err != nil {
			return err
		}
	}
	if resp.Status == ocsp.Revoked {
		return &RevokedError{Serial: serialHex(cert), Subject: cert.Subject.String(), Reason: revocation.Reason(resp.RevocationReason),
			RevokedAt: resp.RevokedAt, Source: "OCSP " + url}
	}
	return nil
}

// ocspUsable judges what QueryOCSP leaves to its caller: the status and the freshness.
func ocspUsable(r *ocsp.Response, now time.Time, maxAge time.Duration) error {
	switch {
	case r.Status == ocsp.Unknown:
		return errors.New(`the responder answers "unknown"`)
	case r.Status != ocsp.Good && r.Status != ocsp.Revoked:
		return fmt.Errorf("unexpected status %d", r.Status)
	case r.Status == ocsp.Revoked:
		return nil // revoked is final, however old the answer
	case r.ThisUpdate.After(now.Add(clockSkew)):
		return fmt.Errorf("response thisUpdate %s is in the future", r.ThisUpdate.UTC().Format(time.RFC3339))
	case !r.NextUpdate.IsZero() && now.After(r.NextUpdate):
		return fmt.Errorf("response expired at %s", r.NextUpdate.UTC().Format(time.RFC3339))
	case r.NextUpdate.IsZero() && now.Sub(r.ThisUpdate) > maxAge:
		// Without a nextUpdate nothing bounds a "good" answer's life: an old one replayed over
		// plain HTTP would hide a revocation forever.
		return fmt.Errorf("response without nextUpdate is from %s, older than %s", r.ThisUpdate.UTC().Format(time.RFC3339), maxAge)
	}
	return nil
}

func (c *revocationChecker) checkCRL(ctx context.Context, cert, issuer *x509.Certificate, url string) error {
	now := c.now()
	key := url + "|" + issuerKey(issuer)
	crl, ok := c.crlCache.get(key, now)
	if !ok {
		var err error
		crl, err = c.crlFlight.do(key, func() (*cachedCRL, error) {
			got, err := c.fetchCRL(ctx, url, issuer, now)
			if err != nil {
				return nil, fmt.Errorf("CRL %s: %w", url, err)
			}
			c.crlCache.put(key, got, c.expiry(got.crl.NextUpdate, now), now)
			return got, nil
		})
		if err != nil {
			return err
		}
	}
	if now.After(crl.crl.NextUpdate) {
		return fmt.Errorf("CRL %s expired at %s", url, crl.crl.NextUpdate.UTC().Format(time.RFC3339))
	}
	if e, ok := crl.revoked[serialHex(cert)]; ok {
		return &RevokedError{Serial: serialHex(cert), Subject: cert.Subject.String(), Reason: revocation.Reason(e.ReasonCode),
			RevokedAt: e.RevocationTime, Source: "CRL " + url}
	}
	return nil
}

// fetchCRL downloads a CRL and accepts it only when the certificate's issuer signed it, it is
// current, and it is complete: RFC 5280 §6.3 scoping (delta CRLs, issuingDistributionPoint,
// indirect entries) is not implemented, so a CRL with any critical extension is refused rather
// than misread.
func (c *revocationChecker) fetchCRL(ctx context.Context, url string, issuer *x509.Certificate, now time.Time) (*cachedCRL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCRLBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxCRLBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxCRLBytes)
	}
	if b, _ := pem.Decode(body); b != nil && b.Type == "X509 CRL" {
		body = b.Bytes
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return nil, err
	}
	switch {
	case !bytes.Equal(crl.RawIssuer, issuer.RawSubject):
		return nil, fmt.Errorf("issued by %s, not %s", crl.Issuer, issuer.Subject)
	case crl.NextUpdate.IsZero():
		return nil, errors.New("no nextUpdate")
	case now.After(crl.NextUpdate):
		return nil, fmt.Errorf("expired at %s", crl.NextUpdate.UTC().Format(time.RFC3339))
	case crl.ThisUpdate.After(now.Add(clockSkew)):
		return nil, fmt.Errorf("thisUpdate %s is in the future", crl.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	for _, ext := range crl.Extensions {
		if ext.Critical {
			return nil, fmt.Errorf("unsupported critical extension %v", ext.Id)
		}
	}
	got := &cachedCRL{crl: crl, revoked: make(map[string]x509.RevocationListEntry, len(crl.RevokedCertificateEntries))}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Sign() <= 0 {
			continue // no certificate has such a serial (RFC 5280 §4.1.2.2); none can match it
		}
		for _, x := range e.Extensions {
			if x.Critical && !x.Id.Equal(oidReasonCode) && !x.Id.Equal(oidInvalidityDate) {
				return nil, fmt.Errorf("entry for serial %x has unsupported critical extension %v", e.SerialNumber, x.Id)
			}
		}
		got.revoked[hex.EncodeToString(e.SerialNumber.Bytes())] = e
	}
	return got, nil
}

// expiry is when a cached answer must be asked again: its nextUpdate, but no later than maxAge
// from now, so that a revocation reaches the proxy within maxAge even from a responder that
// signs long-lived answers.
func (c *revocationChecker) expiry(nextUpdate, now time.Time) time.Time {
	limit := now.Add(c.maxAge)
	if nextUpdate.IsZero() || nextUpdate.After(limit) {
		return limit
	}
	return nextUpdate
}

func firstHTTP(urls []string) string {
	for _, u := range urls {
		if strings.HasPrefix(u, "http://") {
			return u
		}
	}
	return ""
}

func issuerKey(issuer *x509.Certificate) string {
	sum := sha256.Sum256(issuer.Raw)
	return hex.EncodeToString(sum[:])
}

// The CRL entry extensions RFC 5280 §5.3 defines that this check understands.
var (
	oidReasonCode     = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidInvalidityDate = asn1.ObjectIdentifier{2, 5, 29, 24}
)

// serialHex is the serial as the identity header and the logs carry it.
func serialHex(c *x509.Certificate) string {
	s := hex.EncodeToString(c.SerialNumber.Bytes())
	if s == "" {
		return "00"
	}
	return s
}
