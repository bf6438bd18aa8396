// Package dnsserver is a small authoritative DNS server on 127.0.0.1 for tests: every name a
// validator or ACME server test looks up is answered from records the test adds, so no test
// needs the network. It answers like an authoritative server for one zone holding all the
// names: records of the asked type, else a CNAME at the name (whose target it does not chase,
// as when the target lives in another zone), else NODATA or NXDOMAIN. It is test-only
// (internal/archtest TestOnly), because it listens on sockets and would be a liability in the
// binary.
package dnsserver

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server answers UDP and TCP queries on the same 127.0.0.1 port until the test ends.
type Server struct {
	// Addr is host:port of both listeners, ready for challenge.Options.Resolver.
	Addr string

	mu      sync.Mutex
	records map[string][]dns.RR // by canonical owner name
	rcodes  map[string]int      // forced response codes, by canonical name
	queries []string
}

// Start listens on a free 127.0.0.1 port (UDP and TCP alike) and stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{records: map[string][]dns.RR{}, rcodes: map[string]int{}}
	pc, l := listenPair(t)
	s.Addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: s}, {Listener: l, Handler: s}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return s
}

// listenPair finds a port free for both UDP and TCP; a free UDP port may be taken for TCP.
func listenPair(t testing.TB) (net.PacketConn, net.Listener) {
	t.Helper()
	var lastErr error
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("dnsserver: listening on UDP: %v", err)
		}
		l, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, l
		}
		pc.Close()
		lastErr = err
	}
	t.Fatalf("dnsserver: no port free for both UDP and TCP: %v", lastErr)
	return nil, nil
}

// Add adds records in zone-file syntax, e.g. "a.test. A 127.0.0.1" or
// `a.test. CAA 0 issue "anchor.test"`. A name without a trailing dot is taken as absolute.
func (s *Server) Add(t testing.TB, records ...string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, line := range records {
		rr, err := dns.NewRR("$ORIGIN .\n" + line)
		if err != nil || rr == nil {
			t.Fatalf("dnsserver: bad record %q: %v", line, err)
		}
		name := dns.CanonicalName(rr.Header().Name)
		s.records[name] = append(s.records[name], rr)
	}
}

// SetRcode makes every query for name fail with rcode, e.g. dns.RcodeServerFailure.
func (s *Server) SetRcode(name string, rcode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcodes[dns.CanonicalName(name)] = rcode
}

// Queries returns the questions received so far, as "TYPE name." strings in arrival order.
func (s *Server) Queries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)

	s.mu.Lock()
	s.queries = append(s.queries, fmt.Sprintf("%s %s", dns.TypeToString[q.Qtype], name))
	if rc, ok := s.rcodes[name]; ok {
		m.Rcode = rc
	} else {
		m.Answer, m.Rcode = s.answer(name, q.Qtype)
	}
	s.mu.Unlock()

	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(opt.UDPSize(), false)
		size = int(opt.UDPSize())
	}
	if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
		m.Truncate(size) // sets TC, so the client retries over TCP as a real server would make it
	}
	_ = w.WriteMsg(m)
}

func (s *Server) answer(name string, qtype uint16) ([]dns.RR, int) {
	var out []dns.RR
	var cname dns.RR
	for _, rr := range s.records[name] {
		switch rr.Header().Rrtype {
		case qtype:
			out = append(out, dns.Copy(rr))
		case dns.TypeCNAME:
			cname = rr
		}
	}
	if len(out) == 0 && cname != nil {
		out = []dns.RR{dns.Copy(cname)}
	}
	if len(out) > 0 || s.exists(name) {
		return out, dns.RcodeSuccess
	}
	return nil, dns.RcodeNameError
}

// exists reports whether name owns records or is an empty non-terminal above a name that does;
// RFC 8020 makes NXDOMAIN mean "nothing at or below this name".
func (s *Server) exists(name string) bool {
	if len(s.records[name]) > 0 {
		return true
	}
	for owner := range s.records {
		if strings.HasSuffix(owner, "."+name) {
			return true
		}
	}
	return false
}
