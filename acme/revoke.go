package acme

import (
	"fmt"

	"github.com/anchorpki/anchor/revocation"
)

// RevokeRequest is the payload of a revokeCert request (RFC 8555 §7.6).
type RevokeRequest struct {
	// Certificate is the base64url DER of the certificate; use DER to decode it.
	Certificate string `json:"certificate"`
	// Reason is an RFC 5280 CRLReason code; absent means unspecified.
	Reason *int `json:"reason,omitempty"`
}

// DER decodes the Certificate field; a value that is not unpadded base64url is malformed.
func (r RevokeRequest) DER() ([]byte, error) {
	return decodeB64Field("certificate", r.Certificate)
}

// RevocationReason returns the requested reason, unspecified when absent. A code RFC 5280 does
// not define is badRevocationReason (RFC 8555 §7.6); which defined codes a subscriber may use
// is the server's decision.
func (r RevokeRequest) RevocationReason() (revocation.Reason, error) {
	if r.Reason == nil {
		return revocation.Unspecified, nil
	}
	reason := revocation.Reason(*r.Reason)
	if !reason.Valid() {
		return 0, BadRevocationReason(fmt.Sprintf("reason %d is not an RFC 5280 CRLReason code", *r.Reason))
	}
	return reason, nil
}
