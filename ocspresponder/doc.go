// Package ocspresponder answers OCSP requests (RFC 6960) under the RFC 5019 lightweight
// profile, from the CA's certificate inventory. It reads certificate status; it never writes
// (StatusSource has only Status), never decides revocation (package ca) and never opens a socket
// (package server mounts ServeHTTP).
//
// Status is read from the inventory on every request, so a revocation recorded by any process
// (`anchor revoke`, another server sharing the database) is answered at once, with no refresh
// step. Signed responses are cached by (issuer, CertID hash algorithm, serial) together with the
// status they encode; a cached response is served only while the inventory still reports that
// status and the response is within the first half of its validity. The steady state is one
// indexed read and no signature. A StatusCache in front of the inventory removes that read too:
// it keeps statuses while the store's revocation epoch stands, so another process's revocation
// is answered within its recheck interval (50 ms) and one the caller reports through Invalidate
// at once; `anchor serve` uses it.
//
// Decisions a relying party or operator may want to know:
//
//   - A serial this issuer never issued (store.ErrNotFound), a non-positive serial and a serial
//     longer than 20 octets are answered "unknown" (RFC 6960 §2.2), never "good".
//   - A pending row (serial reserved, TBS recorded, no DER recorded) is answered "unknown".
//     Boulder answers "good" for a serial once a precertificate exists, because the precertificate
//     is public in CT logs and commits the CA to the final certificate. Here nothing is public
//     before the DER is recorded: the CA returns a certificate only after recording it
//     (ARCHITECTURE.md, "One issuance", step 5), so nobody holds the certificate of a pending
//     row. "good" would vouch for a certificate the inventory cannot show and store.Revoke
//     cannot revoke (it refuses pending rows with ErrNotIssued); "revoked" would be cached by
//     clients for a day and is wrong for a row that is merely in flight (or not yet replicated).
//     "unknown" responses are never cached here and are sent with Cache-Control: no-store, so the
//     first request after RecordIssued commits is answered "good".
//   - Requests must carry exactly one Request (RFC 5019 §2.1.1); anything else, unparseable DER,
//     a version other than v1, an unsupported critical request extension and an oversized
//     request are answered malformedRequest. A request whose CertID does not name one of
//     Options.Issuers (by SHA-1, SHA-256, SHA-384 or SHA-512 issuerNameHash and issuerKeyHash) is
//     answered unauthorized (RFC 5019 §2.2.3). A failing inventory or signer is answered
//     internalError, never "good".
//   - The signature of a signed request is ignored (RFC 5019 §2.1.2 allows it).
//   - The nonce extension (RFC 8954) is ignored: a cached response cannot echo it, and RFC 5019
//     §2.1 lets a responder leave it out. Clients such as `openssl ocsp` then warn "no nonce in
//     response" and accept the response.
//   - Over HTTP, every answer to an OCSP request is an OCSPResponse with HTTP status 200,
//     including malformedRequest for a body or path larger than Options.MaxRequestBytes (rather
//     than 413), so that every client sees an OCSP status it can report. Only a method other
//     than GET, HEAD or POST gets a bare 405.
//   - Responses name the responder by name (ResponderID byName) and take producedAt from the
//     system clock truncated to the minute, as golang.org/x/crypto/ocsp encodes them. thisUpdate
//     is Options.Now truncated to the minute too, so it never follows producedAt and a client
//     whose clock is a little behind still accepts it; nextUpdate is thisUpdate + Validity.
//   - nextUpdate never passes the delegated responder certificate's notAfter: a response that
//     outlived its signer would fail verification before its nextUpdate.
package ocspresponder
