// Package acmeserver is an ACME server (RFC 8555) in front of a ca.Authority: the protocol that
// certbot, lego, Caddy, cert-manager and every other ACME client speak, with external account
// binding (§7.3.4), key rollover (§7.3.5), IP identifiers (RFC 8738), tls-alpn-01 (RFC 8737),
// CAA with account and method binding (RFC 8659, RFC 8657) and renewal information (ARI,
// RFC 9773).
//
// It holds no state of its own: accounts, orders, authorizations and spent nonces live in the
// Store, so several processes sharing one database serve one ACME service. Nonces are MACed
// with a secret kept in the same database; a nonce issued by one process is accepted by any
// other, once. Certificates are issued only through the Authority, so the CA's policy, lints
// and durable inventory apply as on every other path, and each is recorded with the requesting
// account's URL.
//
// Validation runs in the background after a client answers a challenge; clients poll the
// authorization, as RFC 8555 §7.5.1 describes, and are told when with Retry-After. The
// challenges are checked by package challenge against the real network (or a test's loopback
// servers), never assumed.
//
// Every error reaches the client as an RFC 7807 problem document of an RFC 8555 §6.7 type;
// internal errors are logged and sent as a generic serverInternal.
package acmeserver
