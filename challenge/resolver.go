package challenge

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// maxCNAMEChain bounds alias chains. Resolvers commonly give up around 8–16 links; a chain
// longer than this is a misconfiguration or a loop, and the user gets told which.
const maxCNAMEChain = 8

// resolver sends every query the validator makes to one DNS server. It speaks DNS itself rather
// than using net.Resolver because CAA (type 257) is not something net.Resolver can ask for, and
// because tests must be able to point every lookup at a server on loopback.
type resolver struct {
	addr string
}

func newResolver(addr string) (*resolver, error) {
	if addr == "" {
		cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err != nil {
			return nil, fmt.Errorf("challenge: no Resolver configured and reading the system's: %w", err)
		}
		if len(cfg.Servers) == 0 {
			return nil, fmt.Errorf("challenge: no Resolver configured and /etc/resolv.conf lists no nameserver")
		}
		addr = net.JoinHostPort(cfg.Servers[0], cfg.Port)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("challenge: Resolver %q is not host:port: %w", addr, err)
	}
	return &resolver{addr: addr}, nil
}

// exchange sends one query, over UDP and then TCP if the answer was truncated. Rcodes other than
// NOERROR and NXDOMAIN are failures: RFC 8659 §3 forbids treating a failed CAA lookup as "no
// records", and a SERVFAIL on A or TXT tells the user more than "not found" would.
func (r *resolver) exchange(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, false) // the DNS flag day 2020 size: no IP fragmentation
	what := dns.TypeToString[qtype] + " " + strings.TrimSuffix(name, ".")

	resp, err := r.send(ctx, "udp", m)
	if err == nil && resp.Truncated {
		resp, err = r.send(ctx, "tcp", m)
	}
	if err != nil {
		// The detail reaches the ACME client: it names the query, not the CA's resolver,
		// whose address is the CA's internal business (the cause, kept by Unwrap, has it).
		return nil, newError(DNS, err, fmt.Sprintf("querying the CA's resolver for %s: %s", what, describe(err)))
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, newError(DNS, nil, fmt.Sprintf("the CA's resolver answered %s for %s",
			dns.RcodeToString[resp.Rcode], what))
	}
	return resp, nil
}

// send performs one exchange. miekg/dns honours a context's deadline but not its cancellation,
// so the connection is closed when the context ends to unblock the read.
func (r *resolver) send(ctx context.Context, network string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: network}
	if dl, ok := ctx.Deadline(); ok {
		c.Timeout = max(0, time.Until(dl))
	}
	conn, err := c.DialContext(ctx, r.addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	resp, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return resp, err
}

// lookup returns the records of type qtype at name, following CNAMEs. A recursive server
// returns the whole chain in one answer; an authoritative one stops at a CNAME whose target lies
// in another zone, so a target the answer does not cover is asked for again. nx reports that
// the name at the end of the chain does not exist.
func (r *resolver) lookup(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, nx bool, err error) {
	cur := dns.CanonicalName(name)
	seen := map[string]bool{cur: true}
	for {
		msg, err := r.exchange(ctx, cur, qtype)
		if err != nil {
			return nil, false, err
		}
		for {
			rrs, target := answersAt(msg, cur, qtype)
			if len(rrs) > 0 {
				return rrs, false, nil
			}
			if target == "" {
				return nil, msg.Rcode == dns.RcodeNameError, nil
			}
			if seen[target] {
				return nil, false, newError(DNS, nil, fmt.Sprintf("CNAME loop at %s", strings.TrimSuffix(target, ".")))
			}
			if len(seen) > maxCNAMEChain {
				return nil, false, newError(DNS, nil, fmt.Sprintf("CNAME chain from %s longer than %d links",
					strings.TrimSuffix(name, "."), maxCNAMEChain))
			}
			seen[target] = true
			cur = target
			if !mentions(msg, cur) {
				break
			}
		}
	}
}

// answersAt picks the records of msg owned by name: those of type qtype, or else a CNAME target.
func answersAt(msg *dns.Msg, name string, qtype uint16) (rrs []dns.RR, cnameTarget string) {
	for _, rr := range msg.Answer {
		h := rr.Header()
		if !strings.EqualFold(h.Name, name) {
			continue
		}
		if h.Rrtype == qtype {
			rrs = append(rrs, rr)
		} else if c, ok := rr.(*dns.CNAME); ok {
			cnameTarget = dns.CanonicalName(c.Target)
		}
	}
	return rrs, cnameTarget
}

func mentions(msg *dns.Msg, name string) bool {
	for _, rr := range msg.Answer {
		if strings.EqualFold(rr.Header().Name, name) {
			return true
		}
	}
	return false
}

// lookupIP returns the addresses of host, IPv6 first: like Let's Encrypt, the validator tries
// IPv6 and falls back to IPv4, so a broken AAAA record shows up as a clear failure only when
// IPv4 fails too.
func (r *resolver) lookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	var addrs []netip.Addr
	nxCount := 0
	for _, qtype := range []uint16{dns.TypeAAAA, dns.TypeA} {
		rrs, nx, err := r.lookup(ctx, host, qtype)
		if err != nil {
			return nil, err
		}
		if nx {
			nxCount++
		}
		for _, rr := range rrs {
			var ip net.IP
			switch rr := rr.(type) {
			case *dns.AAAA:
				ip = rr.AAAA
			case *dns.A:
				ip = rr.A
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				addrs = append(addrs, a.Unmap())
			}
		}
	}
	switch {
	case len(addrs) > 0:
		return addrs, nil
	case nxCount == 2:
		return nil, newError(DNS, nil, fmt.Sprintf("%s does not exist (NXDOMAIN)", host))
	default:
		return nil, newError(DNS, nil, fmt.Sprintf("no A or AAAA records for %s", host))
	}
}

// hostAddrs resolves a validation target: an IP identifier is its own address (RFC 8738 §3).
func (r *resolver) hostAddrs(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, ok := ipIdentifier(host); ok {
		return []netip.Addr{a}, nil
	}
	return r.lookupIP(ctx, host)
}
