package acme

import (
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// Order is an order resource (RFC 8555 §7.1.3): the client's request for one certificate and
// the state of getting it.
type Order struct {
	Status      Status       `json:"status"`
	Expires     time.Time    `json:"expires,omitzero"`
	Identifiers []Identifier `json:"identifiers"`
	NotBefore   time.Time    `json:"notBefore,omitzero"`
	NotAfter    time.Time    `json:"notAfter,omitzero"`
	// Error says why an invalid order failed.
	Error          *Problem `json:"error,omitempty"`
	Authorizations []string `json:"authorizations"`
	Finalize       string   `json:"finalize"`
	// Certificate is set once the order is valid.
	Certificate string `json:"certificate,omitempty"`
	// Replaces is the ARI CertID of the certificate this order renews (RFC 9773 §5).
	Replaces string `json:"replaces,omitempty"`
	// Profile is the certificate profile chosen from Meta.Profiles (draft-ietf-acme-profiles).
	Profile string `json:"profile,omitempty"`
}

// NewOrderRequest is the payload of a newOrder request (RFC 8555 §7.4).
type NewOrderRequest struct {
	Identifiers []Identifier `json:"identifiers"`
	NotBefore   time.Time    `json:"notBefore,omitzero"`
	NotAfter    time.Time    `json:"notAfter,omitzero"`
	Replaces    string       `json:"replaces,omitempty"`
	Profile     string       `json:"profile,omitempty"`
}

// FinalizeRequest is the payload of a finalize request (RFC 8555 §7.4).
type FinalizeRequest struct {
	// CSR is the base64url DER of a PKCS#10 request; use DER to decode it.
	CSR string `json:"csr"`
}

// DER decodes the CSR field. A value that is not unpadded base64url is malformed; whether the
// bytes are an acceptable CSR is for the caller to judge, answering badCSR (RFC 8555 §7.4).
func (r FinalizeRequest) DER() ([]byte, error) {
	return decodeB64Field("csr", r.CSR)
}

// decodeB64Field decodes a base64url field as RFC 8555 §6.1 defines it: the URL-safe alphabet,
// no padding, no whitespace, and canonical trailing bits, so one DER has one spelling.
func decodeB64Field(field, s string) ([]byte, error) {
	if s == "" {
		return nil, Malformed("field \"" + field + "\" is missing or empty")
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err == nil && strings.ContainsAny(s, "\r\n") {
		// encoding/base64 skips newlines; RFC 8555 §6.1 allows none.
		err = errors.New("line breaks are not allowed")
	}
	if err != nil {
		return nil, Malformed("field \"" + field + "\" is not unpadded base64url (RFC 8555 §6.1): " + err.Error())
	}
	return b, nil
}
