package csr

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"strings"

	"github.com/anchorpki/anchor/pemfile"
)

// pemTypes are the PEM labels a PKCS#10 request travels under: RFC 7468 §7's, and the
// "NEW CERTIFICATE REQUEST" that Netscape and older Microsoft tools wrote and openssl still reads.
var pemTypes = map[string]bool{"CERTIFICATE REQUEST": true, "NEW CERTIFICATE REQUEST": true}

// Parse reads one certificate request, PEM or DER, and verifies its self-signature. Input that
// is not a request returns an error wrapping ErrMalformed with the reason (a certificate, a
// different PEM block, trailing bytes); a request whose signature does not verify returns one
// wrapping ErrBadSignature. Text around a PEM block is ignored, as openssl does; more than one
// request in the input is an error, since which one was meant is a guess.
func Parse(data []byte) (*x509.CertificateRequest, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	// One DER SEQUENCE spanning the whole input is DER even if its bytes happen to contain
	// "-----BEGIN" (a subject may); anything else with a BEGIN line is PEM.
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(data, &seq); (err == nil && len(rest) == 0) || !bytes.Contains(data, []byte("-----BEGIN")) {
		return parseDER(data)
	}
	// pemfile reports a damaged block with its line, where encoding/pem would skip it silently.
	blocks, err := pemfile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	var der []byte
	var others []string
	n := 0
	for _, b := range blocks {
		if !pemTypes[b.Type] {
			others = append(others, b.Type)
			continue
		}
		n++
		if der == nil {
			der = b.Bytes
		}
	}
	switch {
	case n > 1:
		return nil, fmt.Errorf("%w: %d certificate requests in one input; expected one", ErrMalformed, n)
	case n == 0 && len(others) > 0:
		return nil, fmt.Errorf("%w: found a PEM %s block, not a CERTIFICATE REQUEST", ErrMalformed, others[0])
	case n == 0:
		return nil, fmt.Errorf("%w: no PEM block", ErrMalformed)
	}
	return parseDER(der)
}

// parseDER parses and verifies one DER request.
func parseDER(der []byte) (*x509.CertificateRequest, error) {
	if len(der) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	if der[0] != 0x30 {
		return nil, fmt.Errorf("%w: not DER: does not start with a SEQUENCE (first byte 0x%02x)", ErrMalformed, der[0])
	}
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(der, &outer)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: not DER (%v)", ErrMalformed, err)
	case len(rest) > 0:
		return nil, fmt.Errorf("%w: trailing data after the request (%d bytes)", ErrMalformed, len(rest))
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		if _, certErr := x509.ParseCertificate(der); certErr == nil {
			return nil, fmt.Errorf("%w: this is a certificate, not a certificate request", ErrMalformed)
		}
		return nil, fmt.Errorf("%w: not a PKCS#10 CertificationRequest (RFC 2986 §4.2): %s", ErrMalformed, shorten(err))
	}
	// RFC 2986 §3: the signature proves the requester holds the private key; without this check
	// anyone could ask for a certificate binding a name to somebody else's public key.
	if err := req.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return req, nil
}

// shorten drops the Go struct dump encoding/asn1 appends to a structural error ("tags don't
// match (16 vs {class:1 ...}) {optional:false ...} certificateRequest @2"), which tells an
// operator nothing.
func shorten(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " ("); i > 0 {
		return msg[:i]
	}
	return msg
}
