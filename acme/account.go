package acme

import "encoding/json"

// Account is an account resource (RFC 8555 §7.1.2).
type Account struct {
	Status               Status   `json:"status"`
	Contact              []string `json:"contact,omitempty"`
	TermsOfServiceAgreed bool     `json:"termsOfServiceAgreed,omitempty"`
	// ExternalAccountBinding is the flattened JWS the client sent (RFC 8555 §7.3.4), kept raw
	// because verifying it needs the exact bytes and a MAC key only the server holds.
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
	// Orders is the URL of the account's order list (RFC 8555 §7.1.2.1).
	Orders string `json:"orders"`
}

// NewAccountRequest is the payload of a newAccount request (RFC 8555 §7.3).
type NewAccountRequest struct {
	Contact              []string `json:"contact,omitempty"`
	TermsOfServiceAgreed bool     `json:"termsOfServiceAgreed,omitempty"`
	// OnlyReturnExisting asks for the account of the signing key without creating one
	// (RFC 8555 §7.3.1); an unknown key is then accountDoesNotExist.
	OnlyReturnExisting     bool            `json:"onlyReturnExisting,omitempty"`
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
}

// KeyChangeRequest is the payload of the inner JWS of a keyChange request (RFC 8555 §7.3.5),
// which is signed by the new key and names the old one.
type KeyChangeRequest struct {
	Account string `json:"account"`
	// OldKey is kept raw so the server can compare it with the account's key as a JWK without
	// this package choosing a key representation.
	OldKey json.RawMessage `json:"oldKey"`
}
