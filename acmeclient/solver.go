package acmeclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// Challenge says how control of the domains is proven. Exactly one way is set: Type
// http-01 with Port (a standalone server) or Webroot (files under a web server's root),
// tls-alpn-01 with Port, or dns-01 with DNSHook.
type Challenge struct {
	Type    string `json:"type"`               // acme.ChallengeHTTP01, ChallengeTLSALPN01 or ChallengeDNS01
	Port    int    `json:"port,omitempty"`     // of the standalone server
	Address string `json:"address,omitempty"`  // the standalone server listens on; "": every address
	Webroot string `json:"webroot,omitempty"`  // http-01: DIR/.well-known/acme-challenge/TOKEN
	DNSHook string `json:"dns_hook,omitempty"` // dns-01: `CMD present|cleanup FQDN VALUE`
}

func (ch Challenge) check() error {
	switch ch.Type {
	case acme.ChallengeHTTP01:
		if (ch.Port == 0) == (ch.Webroot == "") {
			return errors.New("http-01 needs a port or a webroot, not both")
		}
	case acme.ChallengeTLSALPN01:
		if ch.Port == 0 {
			return errors.New("tls-alpn-01 needs a port")
		}
	case acme.ChallengeDNS01:
		if ch.DNSHook == "" {
			return errors.New("dns-01 needs a hook command")
		}
	default:
		return fmt.Errorf("challenge type %q: give http-01, tls-alpn-01 or dns-01", ch.Type)
	}
	if ch.Port < 0 || ch.Port > 65535 {
		return fmt.Errorf("port %d out of range", ch.Port)
	}
	return nil
}

// solver publishes the response to one challenge and takes it down again.
type solver interface {
	present(ctx context.Context, cl *xacme.Client, domain string, ch *xacme.Challenge) error
	cleanup(ctx context.Context, cl *xacme.Client, domain string, ch *xacme.Challenge) error
	close() error
}

// solve answers every pending authorization of order, one at a time, and waits for each to be
// valid. Authorizations the account holds already (RFC 8555 §7.1.4: servers may reuse valid
// ones) need nothing. A standalone server is started only when one is needed.
func (c *Client) solve(ctx context.Context, cl *xacme.Client, chc Challenge, order *xacme.Order) error {
	var s solver
	defer func() {
		if s != nil {
			s.close()
		}
	}()
	for _, u := range order.AuthzURLs {
		z, err := cl.GetAuthorization(ctx, u)
		if err != nil {
			return fmt.Errorf("authorization: %w", wireError(err))
		}
		if z.Status == xacme.StatusValid {
			continue
		}
		var ch *xacme.Challenge
		for _, x := range z.Challenges {
			if x.Type == chc.Type {
				ch = x
			}
		}
		if ch == nil {
			return fmt.Errorf("%s: the server offers no %s challenge for it", z.Identifier.Value, chc.Type)
		}
		if s == nil {
			if s, err = newSolver(chc, c.hooks); err != nil {
				return err
			}
		}
		if err := c.answer(ctx, cl, s, z, ch); err != nil {
			return err
		}
	}
	return nil
}

func (c *Client) answer(ctx context.Context, cl *xacme.Client, s solver, z *xacme.Authorization, ch *xacme.Challenge) error {
	domain := z.Identifier.Value
	if z.Wildcard {
		domain = "*." + domain
	}
	if err := s.present(ctx, cl, domain, ch); err != nil {
		return fmt.Errorf("%s: %w", domain, err)
	}
	defer func() {
		if err := s.cleanup(context.WithoutCancel(ctx), cl, domain, ch); err != nil {
			c.log.WarnContext(ctx, "acme: challenge cleanup failed", "domain", domain, "error", err.Error())
		}
	}()
	if _, err := cl.Accept(ctx, ch); err != nil {
		return fmt.Errorf("%s: %w", domain, wireError(err))
	}
	if _, err := cl.WaitAuthorization(ctx, z.URI); err != nil {
		if _, ok := errors.AsType[*xacme.AuthorizationError](err); ok {
			return wireError(err)
		}
		return fmt.Errorf("%s: %w", domain, wireError(err))
	}
	return nil
}

func newSolver(ch Challenge, hooks HookRunner) (solver, error) {
	switch {
	case ch.Type == acme.ChallengeHTTP01 && ch.Webroot != "":
		return &webroot{dir: ch.Webroot}, nil
	case ch.Type == acme.ChallengeHTTP01:
		s, err := startHTTP01(ch.Address, ch.Port)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	case ch.Type == acme.ChallengeTLSALPN01:
		s, err := startTLSALPN01(ch.Address, ch.Port)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		return &dnsHook{cmd: ch.DNSHook, hooks: hooks}, nil
	}
}

// listen opens a challenge server's socket and says plainly why it could not:
// "challenge server on :80: permission denied".
func listen(host string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if se, ok := errors.AsType[*os.SyscallError](err); ok {
			err = se.Err
		}
		return nil, fmt.Errorf("challenge server on %s: %w", addr, err)
	}
	return ln, nil
}
