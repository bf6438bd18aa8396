// Package verify decides, as a TLS client would, whether to trust a certificate, and explains
// every check it made. It builds candidate certification paths from the leaf to a configured
// trust anchor (RFC 4158 style: depth first over every candidate issuer, bounded, loop free,
// preferring paths that validate) and validates each with its own implementation of RFC 5280
// §6.1 rather than crypto/x509.Verify, which hides its reasons, ignores CRLs and depth limits,
// and differs from RFC 5280 in places.
//
// Every decision is a Check with a stable machine name ("signature", "validity",
// "name_constraints", "webpki:leaf_eku", …), a status and a human reason. Result.Err turns the
// failing checks into a *Rejection.
//
// Choices that RFC 5280 leaves open, or where this package is stricter or looser than it:
//
//   - Trust anchors are certificates. Their own signature is not checked, but their validity
//     period, basicConstraints, keyUsage, key identifiers, critical extensions, pathLen and
//     name constraints are, as OpenSSL, Go and x509-limbo expect: an expired root fails.
//     A version 1 trust anchor (no extensions at all) is accepted as a CA by configuration.
//   - Host names follow RFC 9525: only subjectAltName dNSName and iPAddress entries are
//     identities; the subject common name is never used (Options.LegacyCommonName restores the
//     RFC 6125 §6.4.4 fallback under the rfc5280 profile). A wildcard is a whole left-most label
//     matching one label, and needs two labels after it.
//   - Extended key usage chains (as browsers and Go do) in both profiles: the leaf and every CA
//     certificate that carries the extension must allow each required purpose or
//     anyExtendedKeyUsage. With no EKUs given, serverAuth is required when Host is set or the
//     profile is webpki, and nothing otherwise.
//   - keyUsage bits that contradict the purpose (RFC 5280 §4.2.1.12) fail under webpki and only
//     warn under rfc5280, which ties keyUsage to no protocol.
//   - SHA-1 (and MD5) signatures are rejected in both profiles; Options.AllowSHA1 re-admits SHA-1
//     under rfc5280.
//   - MaxDepth counts intermediate CA certificates that are not self-issued (RFC 5280 §6.1.4(l)
//     and x509-limbo's max_chain_depth); the leaf and the trust anchor are not counted.
//   - The RFC 5280 profile MUSTs that x509-limbo tests are enforced on every certificate of the
//     path: key identifiers (§4.2.1.1-2), critical basicConstraints in CA certificates, the
//     criticality of AKI, SKI, AIA, nameConstraints and policyConstraints, a non-empty issuer
//     and CA subject, a critical SAN with an empty subject, and (below the anchor) a positive
//     serial number of at most 20 octets. Non-critical nameConstraints are allowed under webpki
//     (BR 7.1.2.5.2).
//   - Revocation is hard-fail: when CRLs are supplied or fetched, every certificate below the
//     anchor needs a usable CRL from its issuer; a CRL that names the issuer but does not verify,
//     is stale, or is out of scope is not used and says so. OCSP network errors and "unknown"
//     answers fail the revocation_ocsp check.
//
// The check names are the Check* constants; the extensions this package understands (and may
// therefore be critical) are listed in extensions.go. Certificate policies are processed with
// a TLS client's inputs (any policy acceptable), so only policyConstraints in the path can make
// them fail. Not implemented: delta and indirect CRLs, OCSP stapling, IDNA conversion of Host
// (pass A-labels), public-suffix checks on wildcards.
package verify
