package acme

// Directory is the one resource a client must be configured with (RFC 8555 §7.1.1): the URL of
// every other entry point.
type Directory struct {
	NewNonce   string `json:"newNonce"`
	NewAccount string `json:"newAccount"`
	NewOrder   string `json:"newOrder"`
	// NewAuthz is empty when the server does not support pre-authorization (RFC 8555 §7.4.1).
	NewAuthz   string `json:"newAuthz,omitempty"`
	RevokeCert string `json:"revokeCert"`
	KeyChange  string `json:"keyChange"`
	// RenewalInfo is the ARI base URL (RFC 9773 §4); its presence tells clients to ask for
	// renewal windows.
	RenewalInfo string `json:"renewalInfo,omitempty"`
	Meta        *Meta  `json:"meta,omitempty"`
}

// Meta is the directory's optional metadata (RFC 8555 §7.1.1).
type Meta struct {
	TermsOfService string   `json:"termsOfService,omitempty"`
	Website        string   `json:"website,omitempty"`
	CAAIdentities  []string `json:"caaIdentities,omitempty"`
	// ExternalAccountRequired tells clients that newAccount needs an externalAccountBinding
	// (RFC 8555 §7.3.4).
	ExternalAccountRequired bool `json:"externalAccountRequired,omitempty"`
	// Profiles maps each certificate profile name the server offers to a human-readable
	// description (draft-ietf-acme-profiles), as Let's Encrypt publishes it.
	Profiles map[string]string `json:"profiles,omitempty"`
}
