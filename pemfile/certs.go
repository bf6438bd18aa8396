package pemfile

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
)

// certificateTypes are the PEM labels a certificate is found under: RFC 7468 §5's, openssl's
// older "X509 CERTIFICATE", and "TRUSTED CERTIFICATE" (openssl x509 -trustout: the certificate
// followed by openssl's trust settings, which are ignored here).
var certificateTypes = map[string]bool{"CERTIFICATE": true, "X509 CERTIFICATE": true, "TRUSTED CERTIFICATE": true}

// ParseCertificates parses every certificate block, in order, skipping blocks of other types
// (a key next to its certificate is normal). A certificate that does not parse is an *Error with
// its block index. No certificate at all is an error wrapping ErrNoCertificate that says what
// was found instead.
func ParseCertificates(blocks []Block) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, b := range blocks {
		if !certificateTypes[b.Type] {
			continue
		}
		der := b.Bytes
		if b.Type == "TRUSTED CERTIFICATE" {
			der = firstElement(der)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, &Error{Block: b.Index, Type: b.Type, Err: err}
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, &Error{Err: newDetail(ErrNoCertificate, "expected a certificate, found %s", found(blocks))}
	}
	return certs, nil
}

// firstElement returns the first DER element of b, or b if it has none.
func firstElement(b []byte) []byte {
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(b, &v); err != nil {
		return b
	}
	return v.FullBytes
}

// ParseCRLs parses every "X509 CRL" block (RFC 7468 §6), in order, like ParseCertificates. It
// parses; it does not check signatures or freshness (package verify does).
func ParseCRLs(blocks []Block) ([]*x509.RevocationList, error) {
	var crls []*x509.RevocationList
	for _, b := range blocks {
		if b.Type != "X509 CRL" {
			continue
		}
		c, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return nil, &Error{Block: b.Index, Type: b.Type, Err: err}
		}
		crls = append(crls, c)
	}
	if len(crls) == 0 {
		return nil, &Error{Err: newDetail(ErrNoCRL, "expected a CRL, found %s", found(blocks))}
	}
	return crls, nil
}

// found describes what blocks hold, for "expected X, found Y".
func found(blocks []Block) string {
	if len(blocks) == 0 {
		return "nothing"
	}
	var types []string
	for _, b := range blocks {
		if !slices.Contains(types, b.Type) {
			types = append(types, b.Type)
		}
	}
	return strings.Join(types, ", ")
}

// ReadCertificates reads every certificate in a PEM bundle or DER file; errors name the file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	blocks, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := ParseCertificates(blocks)
	if err != nil {
		return nil, inFile(path, err)
	}
	return certs, nil
}

// ReadCertificate returns the first certificate in a file: the leaf of a chain file, by the
// convention of RFC 8555 §9.1 and every web server. It is an error if there is none.
func ReadCertificate(path string) (*x509.Certificate, error) {
	certs, err := ReadCertificates(path)
	if err != nil {
		return nil, err
	}
	return certs[0], nil
}

// String makes a Block print usefully in test failures and logs, without its bytes.
func (b Block) String() string {
	return fmt.Sprintf("block %d (%s, %d bytes)", b.Index, b.Type, len(b.Bytes))
}
