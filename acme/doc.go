// Package acme is the wire vocabulary of the Automatic Certificate Management Environment: the
// JSON objects and request bodies of RFC 8555 with their exact field names, the statuses they
// move through, the problem documents errors travel in (RFC 7807, RFC 8555 §6.7), key
// authorizations for the http-01, dns-01 (RFC 8555 §8) and tls-alpn-01 (RFC 8737) challenges, IP
// identifiers (RFC 8738), renewal information (ARI, RFC 9773) and the account binding fields of
// RFC 8555 §7.3.4. It is shared by the ACME server (package acmeserver) and client (package
// acmeclient) so both speak the same words.
//
// It only defines types and pure functions over bytes: it does no I/O, verifies no JWS, keeps
// no state and decides nothing about policy. Request bodies are decoded with DecodeStrict, which
// ignores unknown fields as RFC 8555 §7.1 requires but rejects wrong types and trailing data,
// and every error it returns is a *Problem ready to send.
package acme
