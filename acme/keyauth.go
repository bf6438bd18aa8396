package acme

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// ALPNProto is the ALPN protocol name a tls-alpn-01 validation handshake negotiates
// (RFC 8737 §6.2).
const ALPNProto = "acme-tls/1"

// OIDACMEIdentifier is id-pe-acmeIdentifier (RFC 8737 §6.1), the critical extension of a
// tls-alpn-01 certificate.
var OIDACMEIdentifier = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of an account key, base64url-encoded, as it
// appears in key authorizations (RFC 8555 §8.1). A private key yields the thumbprint of its
// public half.
func Thumbprint(jwk *jose.JSONWebKey) (string, error) {
	if jwk == nil || jwk.Key == nil {
		return "", BadPublicKey("no account key")
	}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", BadPublicKey("cannot compute the JWK thumbprint: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// KeyAuthorization returns token "." thumbprint(jwk) (RFC 8555 §8.1), what every challenge type
// proves knowledge of. The token must be base64url (RFC 8555 §8.3): a client puts it in a URL
// path and a file name, so a hostile server's "../" must not get that far.
func KeyAuthorization(token string, jwk *jose.JSONWebKey) (string, error) {
	if err := ValidateToken(token); err != nil {
		return "", err
	}
	tp, err := Thumbprint(jwk)
	if err != nil {
		return "", err
	}
	return token + "." + tp, nil
}

// ValidateToken checks that a challenge token is non-empty and uses only the base64url
// alphabet (RFC 8555 §8.3, §8.4; RFC 8737 §3).
func ValidateToken(token string) error {
	if token == "" {
		return Malformed("the challenge token is empty")
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return Malformed(fmt.Sprintf("the challenge token %q contains %q, outside the base64url alphabet", token, c))
		}
	}
	return nil
}

// HTTP01Path is the path an http-01 response is served at (RFC 8555 §8.3).
func HTTP01Path(token string) string {
	return "/.well-known/acme-challenge/" + token
}

// HTTP01Body is the body of an http-01 response: the key authorization itself (RFC 8555 §8.3).
// Servers compare it after trimming trailing whitespace, which RFC 8555 §8.3 permits.
func HTTP01Body(keyAuth string) []byte {
	return []byte(keyAuth)
}

// DNS01Name is the TXT record name for a dns-01 challenge (RFC 8555 §8.4); a wildcard
// identifier uses the base domain's record.
func DNS01Name(domain string) string {
	if len(domain) > 2 && domain[:2] == "*." {
		domain = domain[2:]
	}
	return "_acme-challenge." + domain
}

// DNS01TXT is the TXT record value for a dns-01 challenge: base64url(SHA-256(keyAuth))
// (RFC 8555 §8.4).
func DNS01TXT(keyAuth string) string {
	sum := sha256.Sum256([]byte(keyAuth))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TLSALPN01Extension returns the acmeIdentifier extension of a tls-alpn-01 certificate
// (RFC 8737 §3): critical, its value the DER OCTET STRING of SHA-256(keyAuth). The certificate
// also carries the identifier as its only SAN and is served under ALPNProto.
func TLSALPN01Extension(keyAuth string) pkix.Extension {
	sum := sha256.Sum256([]byte(keyAuth))
	// A fixed-size OCTET STRING: tag 0x04, length 32, the digest. Marshalling a []byte cannot
	// fail, so building it by hand avoids an error path that never happens.
	value := append([]byte{0x04, sha256.Size}, sum[:]...)
	return pkix.Extension{Id: OIDACMEIdentifier, Critical: true, Value: value}
}
