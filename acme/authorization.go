package acme

import "time"

// Authorization is an authorization resource (RFC 8555 §7.1.4): the account's proof of control
// over one identifier.
type Authorization struct {
	// Identifier never carries a "*." prefix; a wildcard order's authorization names the base
	// domain and sets Wildcard (RFC 8555 §7.1.4).
	Identifier Identifier  `json:"identifier"`
	Status     Status      `json:"status"`
	Expires    time.Time   `json:"expires,omitzero"`
	Challenges []Challenge `json:"challenges"`
	Wildcard   bool        `json:"wildcard,omitempty"`
}

// The challenge types this package knows (RFC 8555 §8.3, §8.4; RFC 8737).
const (
	ChallengeHTTP01    = "http-01"
	ChallengeDNS01     = "dns-01"
	ChallengeTLSALPN01 = "tls-alpn-01"
)

// Challenge is a challenge object (RFC 8555 §8): one way to prove control of an authorization's
// identifier.
type Challenge struct {
	Type      string    `json:"type"`
	URL       string    `json:"url"`
	Status    Status    `json:"status"`
	Validated time.Time `json:"validated,omitzero"`
	// Error says why an invalid challenge failed.
	Error *Problem `json:"error,omitempty"`
	// Token is the random value the key authorization is built from (RFC 8555 §8.3).
	Token string `json:"token,omitempty"`
}
