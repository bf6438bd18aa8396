package acme

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// RenewalInfo is the body of a renewalInfo response (RFC 9773 §4.2): when the server would like
// the certificate renewed.
type RenewalInfo struct {
	SuggestedWindow SuggestedWindow `json:"suggestedWindow"`
	// ExplanationURL points at a page explaining the window, e.g. an incident report.
	ExplanationURL string `json:"explanationURL,omitempty"`
}

// SuggestedWindow is the renewal window of RFC 9773 §4.2; End must be after Start.
type SuggestedWindow struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// CertID returns the ARI identifier of a certificate (RFC 9773 §4.1): the base64url key
// identifier of its Authority Key Identifier extension, a dot, and the base64url content octets
// of its DER serial number (with the leading zero DER requires for a high first bit). A
// certificate without an AKI key identifier has no CertID.
func CertID(cert *x509.Certificate) (string, error) {
	if len(cert.AuthorityKeyId) == 0 {
		return "", fmt.Errorf("acme: certificate %x has no authority key identifier, so no ARI CertID", cert.SerialNumber)
	}
	if cert.SerialNumber == nil {
		return "", fmt.Errorf("acme: certificate has no serial number, so no ARI CertID")
	}
	der, err := asn1.Marshal(cert.SerialNumber)
	if err != nil {
		return "", fmt.Errorf("acme: encoding serial %x: %w", cert.SerialNumber, err)
	}
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(der, &raw); err != nil {
		return "", fmt.Errorf("acme: encoding serial %x: %w", cert.SerialNumber, err)
	}
	return base64.RawURLEncoding.EncodeToString(cert.AuthorityKeyId) + "." +
		base64.RawURLEncoding.EncodeToString(raw.Bytes), nil
}

// ParseCertID splits an ARI CertID into the authority key identifier and serial number. Both
// parts must be non-empty unpadded base64url, and the serial must be a positive integer in
// minimal DER form, so each certificate has exactly one CertID. Errors are malformed problems.
func ParseCertID(s string) (aki []byte, serial *big.Int, err error) {
	akiPart, serialPart, ok := strings.Cut(s, ".")
	// encoding/base64 skips line breaks, which would give one certificate several CertIDs.
	if !ok || strings.Contains(serialPart, ".") || strings.ContainsAny(s, "\r\n") {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q is not two base64url parts joined by a dot (RFC 9773 §4.1)", s))
	}
	aki, err = base64.RawURLEncoding.Strict().DecodeString(akiPart)
	if err != nil || len(aki) == 0 {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q: the key identifier is not non-empty base64url", s))
	}
	content, err := base64.RawURLEncoding.Strict().DecodeString(serialPart)
	if err != nil || len(content) == 0 {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q: the serial number is not non-empty base64url", s))
	}
	if len(content) > 1 && (content[0] == 0 && content[1]&0x80 == 0 || content[0] == 0xff && content[1]&0x80 != 0) {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q: the serial number is not in minimal DER form", s))
	}
	if content[0]&0x80 != 0 {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q: the serial number is negative", s))
	}
	serial = new(big.Int).SetBytes(content)
	if serial.Sign() == 0 {
		return nil, nil, Malformed(fmt.Sprintf("ARI CertID %q: the serial number is zero", s))
	}
	return aki, serial, nil
}
