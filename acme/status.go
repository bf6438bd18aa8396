package acme

// Status is the state of an ACME object (RFC 8555 §7.1.6). One type serves all objects because
// the RFC shares the words between them; the comments say which object uses which.
type Status string

const (
	// StatusPending: an order or authorization awaiting validation, or a challenge not yet
	// attempted.
	StatusPending Status = "pending"
	// StatusReady: an order whose authorizations are all valid, awaiting finalization.
	StatusReady Status = "ready"
	// StatusProcessing: an order being finalized, or a challenge being validated.
	StatusProcessing Status = "processing"
	// StatusValid: an account in good standing, an issued order, a satisfied authorization or
	// a passed challenge.
	StatusValid Status = "valid"
	// StatusInvalid: a failed order, authorization or challenge.
	StatusInvalid Status = "invalid"
	// StatusDeactivated: an account or authorization deactivated by its client.
	StatusDeactivated Status = "deactivated"
	// StatusRevoked: an account or authorization revoked by the server.
	StatusRevoked Status = "revoked"
	// StatusExpired: an authorization whose expiry has passed.
	StatusExpired Status = "expired"
)
