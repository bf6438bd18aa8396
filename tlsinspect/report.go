package tlsinspect

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"net"
	"strings"
	"time"

	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/verify"
)

// Report is what a probe saw, ready for text or JSON. Field names are stable.
type Report struct {
	Address     string    `json:"address"`
	ServerName  string    `json:"server_name"` // the host name the leaf was checked against
	SNI         string    `json:"sni"`         // what was sent; "" when ServerName is an IP address (RFC 6066 §3)
	At          time.Time `json:"at"`          // the verification time
	Version     string    `json:"version"`     // "TLS 1.3"
	CipherSuite string    `json:"cipher_suite"`
	// KeyExchange is the negotiated group ("X25519MLKEM768", "X25519", "P-256"); "" for the
	// RSA key exchange of TLS 1.2, which has none.
	KeyExchange string     `json:"key_exchange"`
	ALPNOffered []string   `json:"alpn_offered"`
	ALPN        string     `json:"alpn"` // "" when none was agreed
	ClientAuth  ClientAuth `json:"client_auth"`
	Resumption  Resumption `json:"resumption"`
	// Chain is the certificates as the server sent them, in its order, leaf first.
	Chain      []Certificate  `json:"chain"`
	OCSPStaple *Staple        `json:"ocsp_staple"` // nil: the server stapled nothing
	Verdict    *verify.Result `json:"verdict"`     // built from Chain and Options.Roots, not from the order sent
}

// ClientAuth is what the server asked of the client (RFC 8446 §4.3.2, RFC 5246 §7.4.4).
type ClientAuth struct {
	Requested bool `json:"requested"`
	// AcceptableCAs are the issuer names the server listed; empty means any.
	AcceptableCAs []string `json:"acceptable_cas"`
	Sent          string   `json:"sent,omitempty"` // subject of the certificate sent, if any
}

// Resumption says whether a second connection resumed the first one's session.
type Resumption struct {
	Tried   bool `json:"tried"` // Options.Reconnect
	Resumed bool `json:"resumed"`
}

// Certificate describes one certificate as sent.
type Certificate struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	Serial    string    `json:"serial"` // even-length lower-case hex, as `anchor list` prints it
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// DaysLeft is the whole days from the verification time to NotAfter: negative once expired.
	DaysLeft           int      `json:"days_left"`
	PublicKey          string   `json:"public_key"` // "ECDSA P-256", "RSA 2048", "Ed25519"
	SignatureAlgorithm string   `json:"signature_algorithm"`
	IsCA               bool     `json:"is_ca"`
	SANs               []string `json:"sans"`               // "DNS:example.com", "IP:10.0.0.1", "email:…", "URI:…"
	SHA256             string   `json:"sha256_fingerprint"` // colon hex, as `openssl x509 -fingerprint -sha256`
}

func (p *prober) report(c *conn) *Report {
	st := c.state
	rep := &Report{
		Address: p.addr, ServerName: p.o.ServerName, SNI: st.ServerName,
		Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		KeyExchange: groupName(st.CurveID), ALPNOffered: p.o.ALPN, ALPN: st.NegotiatedProtocol,
		ClientAuth: ClientAuth{AcceptableCAs: []string{}},
	}
	if net.ParseIP(p.o.ServerName) != nil {
		rep.SNI = "" // crypto/tls does not send an IP address as SNI
	}
	if c.requested != nil {
		rep.ClientAuth.Requested = true
		rep.ClientAuth.AcceptableCAs = acceptableCAs(c.requested.AcceptableCAs)
	}
	if c.sent && p.o.ClientCert != nil && len(p.o.ClientCert.Certificate) > 0 {
		if leaf, err := x509.ParseCertificate(p.o.ClientCert.Certificate[0]); err == nil {
			rep.ClientAuth.Sent = leaf.Subject.String()
		}
	}
	return rep
}

// describeChain fills Chain once the verification time is known.
func describeChain(certs []*x509.Certificate, at time.Time) []Certificate {
	out := make([]Certificate, 0, len(certs))
	for _, c := range certs {
		out = append(out, describe(c, at))
	}
	return out
}

func describe(c *x509.Certificate, at time.Time) Certificate {
	serial := ""
	if c.SerialNumber != nil {
		serial = hex.EncodeToString(c.SerialNumber.Bytes())
	}
	return Certificate{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: serial,
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), DaysLeft: daysBetween(at, c.NotAfter),
		PublicKey: keys.Describe(c.PublicKey), SignatureAlgorithm: c.SignatureAlgorithm.String(), IsCA: c.IsCA,
		SANs: sans(c), SHA256: Fingerprint(c.Raw),
	}
}

// daysBetween counts whole days from at to t, rounding towards zero: a certificate that expires
// in 36 hours "expires in 1 day", one that expired 36 hours ago "expired 1 day ago".
func daysBetween(at, t time.Time) int {
	return int(t.Sub(at) / (24 * time.Hour))
}

// Fingerprint is the SHA-256 of der in upper-case colon hex, as openssl prints it.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	var b strings.Builder
	for i, x := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{x})))
	}
	return b.String()
}

func sans(c *x509.Certificate) []string {
	return names.SANs{DNS: c.DNSNames, IP: c.IPAddresses, Email: c.EmailAddresses, URI: c.URIs}.Prefixed()
}

// acceptableCAs renders the DER distinguished names of a CertificateRequest. A name that does
// not parse is shown as hex rather than dropped: the list is the server's, not ours to edit.
func acceptableCAs(ders [][]byte) []string {
	out := make([]string, 0, len(ders))
	for _, der := range ders {
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
			out = append(out, "(unparsable name "+hex.EncodeToString(der)+")")
			continue
		}
		var n pkix.Name
		n.FillFromRDNSequence(&rdn)
		out = append(out, n.String())
	}
	return out
}

// groupName names a key exchange group as people write it.
func groupName(id tls.CurveID) string {
	switch id {
	case 0:
		return ""
	case tls.CurveP256:
		return "P-256"
	case tls.CurveP384:
		return "P-384"
	case tls.CurveP521:
		return "P-521"
	}
	return id.String() // X25519, X25519MLKEM768, or CurveID(n) for one Go does not know
}
