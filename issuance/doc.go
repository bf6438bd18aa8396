// Package issuance is the only code that signs with a CA key. It turns a Request and a Profile
// into a to-be-signed certificate (TBS), has it linted, and signs it. It does not decide whether
// a request is allowed (package policy) or record what was signed (package ca).
//
// The TBS is encoded here rather than by x509.CreateCertificate because CreateCertificate signs
// and then verifies its own signature: linting before signing would cost two signatures and a
// verification per certificate. Prepare builds the exact bytes that Sign will sign, so what was
// linted is what is issued.
package issuance
