package tlsproxy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/anchorpki/anchor/names"
)

// The headers that carry the verified client identity to the upstream. Any header of the client
// request with one of these names, or starting with X-Client-Cert-, is removed before they are
// set, so only the proxy can have written them.
const (
	HeaderClientSubject     = "X-Client-Cert-Subject"     // RFC 4514 string of the subject
	HeaderClientSANs        = "X-Client-Cert-SANs"        // "DNS:a.example, IP:10.0.0.1, email:a@b, URI:spiffe://x"
	HeaderClientSerial      = "X-Client-Cert-Serial"      // even-length lower-case hex
	HeaderClientFingerprint = "X-Client-Cert-Fingerprint" // SHA-256 of the DER, lower-case hex
	HeaderClientVerify      = "X-Client-Verify"           // SUCCESS or NONE
)

// otherForwarding are headers other proxies use to tell an upstream who the client is or what
// it asked for; an app moved from behind nginx or a CDN may trust them, so a client must not
// be able to send them through this proxy.
var otherForwarding = map[string]bool{"x-real-ip": true, "true-client-ip": true, "client-ip": true,
	"x-client-ip": true, "x-original-url": true, "x-rewrite-url": true, "x-original-forwarded-for": true}

// stripUntrusted removes what a client must not be able to say to the upstream: the identity
// headers and the X-Forwarded-* and Forwarded headers, which this proxy sets itself. Names are
// compared after mapping "_" to "-", because CGI-style frameworks (WSGI, Rack, PHP) read
// X_Client_Cert_Serial and X-Client-Cert-Serial as the same variable.
func stripUntrusted(h http.Header) {
	for name := range h {
		n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
		if strings.HasPrefix(n, "x-client-cert") || n == "x-client-verify" || strings.HasPrefix(n, "x-ssl-client") ||
			strings.HasPrefix(n, "x-forwarded") || n == "forwarded" || otherForwarding[n] {
			delete(h, name)
		}
	}
}

// setIdentity writes the identity headers from the connection's verified chain. A certificate
// that was presented but not verified cannot reach this point (the handshake refuses it), so
// NONE means the client sent no certificate.
func setIdentity(h http.Header, cs *tls.ConnectionState) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		h.Set(HeaderClientVerify, "NONE")
		return
	}
	leaf := cs.VerifiedChains[0][0]
	h.Set(HeaderClientVerify, "SUCCESS")
	h.Set(HeaderClientSubject, headerSafe(leaf.Subject.String()))
	if sans := sanList(leaf); sans != "" {
		h.Set(HeaderClientSANs, headerSafe(sans))
	}
	h.Set(HeaderClientSerial, serialHex(leaf))
	h.Set(HeaderClientFingerprint, fingerprint(leaf))
}

// clientSerial is the verified client certificate's serial, for the request log; "" without one.
func clientSerial(cs *tls.ConnectionState) string {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return ""
	}
	return serialHex(cs.VerifiedChains[0][0])
}

// sanList renders the subjectAltName entries with openssl's prefixes, in the order DNS, IP,
// email, URI.
func sanList(c *x509.Certificate) string {
	return strings.Join(names.SANs{DNS: c.DNSNames, IP: c.IPAddresses, Email: c.EmailAddresses, URI: c.URIs}.Prefixed(), ", ")
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// headerSafe escapes control characters as RFC 4514 §2.4 hex pairs (\0a), which a header value
// cannot carry and which a certificate field may hold.
func headerSafe(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			fmt.Fprintf(&b, `\%02x`, c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
