package acmeclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// tlsALPN01 is a standalone tls-alpn-01 responder (RFC 8737): it completes handshakes that
// offer only the acme-tls/1 protocol with the challenge certificate for the SNI name, and
// nothing else.
type tlsALPN01 struct {
	ln    net.Listener
	mu    sync.Mutex
	certs map[string]*tls.Certificate // SNI → challenge certificate
	wg    sync.WaitGroup
}

func startTLSALPN01(host string, port int) (*tlsALPN01, error) {
	ln, err := listen(host, port)
	if err != nil {
		return nil, err
	}
	s := &tlsALPN01{ln: ln, certs: map[string]*tls.Certificate{}}
	cfg := &tls.Config{NextProtos: []string{acme.ALPNProto}, MinVersion: tls.VersionTLS12,
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			// RFC 8737 §3: only a handshake offering acme-tls/1 gets a challenge certificate.
			if len(h.SupportedProtos) != 1 || h.SupportedProtos[0] != acme.ALPNProto {
				return nil, errors.New("tls-alpn-01 responder: not an acme-tls/1 handshake")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if c, ok := s.certs[strings.ToLower(h.ServerName)]; ok {
				return c, nil
			}
			return nil, errors.New("tls-alpn-01 responder: no challenge for " + h.ServerName)
		}}
	s.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					tc.Close() // RFC 8737 §3: the validator only needs the handshake
				}
			})
		}
	})
	return s, nil
}

func (s *tlsALPN01) present(_ context.Context, cl *xacme.Client, domain string, ch *xacme.Challenge) error {
	cert, err := cl.TLSALPN01ChallengeCert(ch.Token, domain)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.certs[sniName(domain)] = &cert
	s.mu.Unlock()
	return nil
}

func (s *tlsALPN01) cleanup(_ context.Context, _ *xacme.Client, domain string, _ *xacme.Challenge) error {
	s.mu.Lock()
	delete(s.certs, sniName(domain))
	s.mu.Unlock()
	return nil
}

func (s *tlsALPN01) close() error {
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// sniName is the server name a validator sends for domain: the name itself, or for an IP
// address its reverse-mapping name (RFC 8738 §6).
func sniName(domain string) string {
	ip := net.ParseIP(domain)
	if ip == nil {
		return strings.ToLower(domain)
	}
	arpa, _ := dns.ReverseAddr(ip.String()) // cannot fail for a parsed address
	return strings.TrimSuffix(arpa, ".")
}
