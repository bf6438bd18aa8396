package challenge

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/anchorpki/anchor/acme"
)

// TLSALPN01 validates a tls-alpn-01 challenge (RFC 8737 §3): a TLS handshake on TLSALPN01Port
// offering only acme-tls/1 must negotiate it, and the certificate must name exactly the
// identifier and carry a critical acmeIdentifier extension holding SHA-256(keyAuth). The
// certificate is self-signed by design, so no chain is verified. For an IP identifier the SNI is
// the reverse-DNS name (RFC 8738 §6) and the certificate must name the address as an iPAddress.
func (v *Validator) TLSALPN01(ctx context.Context, domain, keyAuth string) error {
	if strings.HasPrefix(domain, "*.") {
		return errWildcard("tls-alpn-01")
	}
	return v.attempt(ctx, "tls-alpn-01", domain, func(ctx context.Context) error {
		return v.tlsALPN01(ctx, domain, keyAuth)
	})
}

func (v *Validator) tlsALPN01(ctx context.Context, domain, keyAuth string) error {
	sni := domain
	ip, isIP := ipIdentifier(domain)
	if isIP {
		arpa, err := dns.ReverseAddr(ip.String())
		if err != nil {
			return fmt.Errorf("challenge: reverse name of %s: %w", ip, err)
		}
		sni = strings.TrimSuffix(arpa, ".")
	}
	addrs, err := v.dns.hostAddrs(ctx, domain)
	if err != nil {
		return err
	}
	raw, err := dial(ctx, addrs, v.tlsPort)
	if err != nil {
		return err
	}
	defer raw.Close()
	where := raw.RemoteAddr().String()

	conn := tls.Client(raw, &tls.Config{
		ServerName:         sni,
		NextProtos:         []string{acme.ALPNProto},
		InsecureSkipVerify: true, // RFC 8737 §3: the challenge certificate is self-signed
		MinVersion:         tls.VersionTLS12,
	})
	if err := conn.HandshakeContext(ctx); err != nil {
		if ctx.Err() != nil {
			return newError(Connection, ctx.Err(), fmt.Sprintf("TLS handshake with %s: %s", where, describe(ctx.Err())))
		}
		return newError(TLS, err, fmt.Sprintf("TLS handshake with %s (SNI %s): %s", where, sni, describe(err)))
	}
	state := conn.ConnectionState()
	if state.NegotiatedProtocol != acme.ALPNProto {
		return newError(TLS, nil, fmt.Sprintf("%s (SNI %s) did not negotiate ALPN protocol %q; is the tls-alpn-01 responder running?",
			where, sni, acme.ALPNProto))
	}
	if len(state.PeerCertificates) == 0 {
		return newError(TLS, nil, fmt.Sprintf("%s sent no certificate", where))
	}
	cert := state.PeerCertificates[0]

	if err := checkIdentifier(cert, domain, ip, isIP); err != "" {
		return newError(IncorrectResponse, nil, fmt.Sprintf("certificate from %s: %s", where, err))
	}
	sum := sha256.Sum256([]byte(keyAuth))
	if err := checkACMEIdentifier(cert, sum[:]); err != "" {
		return newError(IncorrectResponse, nil, fmt.Sprintf("certificate from %s: %s", where, err))
	}
	return nil
}

// checkIdentifier enforces RFC 8737 §3: the subjectAltName holds exactly one entry, the
// identifier being validated. It returns "" or what is wrong.
func checkIdentifier(cert *x509.Certificate, domain string, ip netip.Addr, isIP bool) string {
	n := len(cert.DNSNames) + len(cert.IPAddresses) + len(cert.EmailAddresses) + len(cert.URIs)
	var names []string
	names = append(names, cert.DNSNames...)
	for _, a := range cert.IPAddresses {
		names = append(names, a.String())
	}
	want := normalizeName(domain)
	ok := false
	if isIP {
		if n == 1 && len(cert.IPAddresses) == 1 {
			got, valid := netip.AddrFromSlice(cert.IPAddresses[0])
			ok = valid && got.Unmap() == ip
		}
		want = ip.String()
	} else {
		ok = n == 1 && len(cert.DNSNames) == 1 && normalizeName(cert.DNSNames[0]) == want
	}
	if ok {
		return ""
	}
	return fmt.Sprintf("subjectAltName must hold exactly %q, found %q (%d entries)", want, names, n)
}

// checkACMEIdentifier finds the acmeIdentifier extension and compares its digest. RFC 8737 §3
// requires the extension to be critical, so that software unaware of it never treats the
// challenge certificate as an ordinary one.
func checkACMEIdentifier(cert *x509.Certificate, want []byte) string {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(acme.OIDACMEIdentifier) {
			continue
		}
		if !ext.Critical {
			return "the acmeIdentifier extension (1.3.6.1.5.5.7.1.31) must be critical"
		}
		var got []byte
		rest, err := asn1.Unmarshal(ext.Value, &got)
		if err != nil || len(rest) != 0 || len(got) != sha256.Size {
			return "the acmeIdentifier extension must be an OCTET STRING holding a 32-byte SHA-256 digest"
		}
		// Constant time, though the digest is not secret: the habit costs nothing here.
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Sprintf("acmeIdentifier is %x, expected SHA-256 of the key authorization, %x", got, want)
		}
		return ""
	}
	return "no acmeIdentifier extension (1.3.6.1.5.5.7.1.31)"
}
