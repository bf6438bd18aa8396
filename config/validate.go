package config

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/anchorpki/anchor/names"
)

// Validate checks the values of c, as Parse does for a file: for use after flags or code have
// changed a Config. It returns nil or an *Error listing every problem, without line numbers.
func (c Config) Validate() error {
	if ps := c.problems(); len(ps) > 0 {
		return &Error{Problems: ps}
	}
	return nil
}

// checker collects problems; each method checks one kind of value under its key path.
type checker struct{ problems []Problem }

func (k *checker) add(key, format string, args ...any) {
	k.problems = append(k.problems, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (c Config) problems() []Problem {
	var k checker
	listenOK := k.hostPort("listen", c.Listen, true)
	httpOK := k.hostPort("http_listen", c.HTTPListen, true)
	if listenOK && httpOK && c.Listen == c.HTTPListen && !strings.HasSuffix(c.Listen, ":0") {
		k.add("http_listen", "is the same address as listen; HTTPS and plain HTTP each need their own port")
	}
	if c.URL != "" {
		k.baseURL("url", c.URL)
	}
	k.db("db", c.DB)

	k.oneOf("log.level", c.Log.Level, "debug", "info", "warn", "error")
	k.oneOf("log.format", c.Log.Format, "json", "text")

	k.positive("ocsp.validity", c.OCSP.Validity)
	validity := k.positive("crl.validity", c.CRL.Validity)
	refresh := k.positive("crl.refresh_before", c.CRL.RefreshBefore)
	if validity && refresh && c.CRL.RefreshBefore >= c.CRL.Validity {
		k.add("crl.refresh_before", "%s is not shorter than crl.validity (%s), "+
			"so every CRL would be replaced as soon as it is signed", c.CRL.RefreshBefore, c.CRL.Validity)
	}

	k.atLeast("api.max_body_bytes", c.API.MaxBodyBytes, 1)
	k.atLeast("api.page_size", int64(c.API.PageSize), 1)
	k.oneOf("tls.min_version", c.TLS.MinVersion, "1.2", "1.3")

	k.port("acme.http01_port", c.ACME.HTTP01Port)
	k.port("acme.tlsalpn01_port", c.ACME.TLSALPN01Port)
	if c.ACME.Resolver != "" {
		k.hostPort("acme.resolver", c.ACME.Resolver, false)
	}
	k.webURL("acme.terms_of_service", c.ACME.TermsOfService)
	k.webURL("acme.website", c.ACME.Website)
	for i, id := range c.ACME.CAAIdentities {
		k.caaIdentity(fmt.Sprintf("acme.caa_identities[%d]", i), id)
	}
	k.rateLimit("acme.rate_limits.new_orders", c.ACME.RateLimits.NewOrders)
	k.rateLimit("acme.rate_limits.failed_validations", c.ACME.RateLimits.FailedValidations)

	k.each("policy.allowed_dns", c.Policy.AllowedDNS, checkDomain)
	k.each("policy.denied_dns", c.Policy.DeniedDNS, checkDomain)
	k.each("policy.allowed_ips", c.Policy.AllowedIPs, checkPrefix)
	k.each("policy.denied_ips", c.Policy.DeniedIPs, checkPrefix)
	k.each("policy.key_types", c.Policy.KeyTypes, checkKeyType)
	k.positive("policy.max_validity", c.Policy.MaxValidity)
	return k.problems
}

// hostPort checks a host:port address. A listener may leave the host empty (every interface);
// a server to connect to may not.
func (k *checker) hostPort(key, addr string, listener bool) bool {
	example := "127.0.0.1:8443"
	if !listener {
		example = "10.0.0.53:53"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		k.add(key, "want host:port such as %s, got %q", example, addr)
		return false
	}
	ok := true
	// Port 0 asks the kernel for a free port: useful for a listener (tests, side-by-side
	// instances), meaningless for a server to connect to.
	low := 1
	if listener {
		low = 0
	}
	if n, err := strconv.Atoi(port); err != nil || n < low || n > 65535 || port[0] == '+' {
		k.add(key, "port %q is not a number from %d to 65535", port, low)
		ok = false
	}
	switch {
	case host == "" && listener:
	case host == "":
		k.add(key, "want host:port such as %s, got no host in %q", example, addr)
		ok = false
	case !validHost(host):
		k.add(key, "host %q is neither an IP address nor a host name", host)
		ok = false
	}
	return ok
}

func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	return names.ValidateDNSName(host) == nil && !strings.HasPrefix(host, "*")
}

func (k *checker) port(key string, n int) {
	if n < 1 || n > 65535 {
		k.add(key, "want a port from 1 to 65535, got %d", n)
	}
}

// baseURL checks the URL written into certificates: its paths are appended to it, so a query
// or fragment would end up in the middle of every pointer, and credentials would be published.
func (k *checker) baseURL(key, s string) {
	u, ok := k.httpURL(key, s)
	if !ok {
		return
	}
	switch {
	case strings.ContainsAny(s, "?#"):
		k.add(key, "must not have a query or fragment: paths such as /ocsp are appended to it")
	case u.User != nil:
		k.add(key, "must not carry a user name or password: it is published in every certificate")
	}
}

// webURL checks an optional link shown to ACME clients.
func (k *checker) webURL(key, s string) {
	if s != "" {
		k.httpURL(key, s)
	}
}

func (k *checker) httpURL(key, s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" ||
		strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		k.add(key, "want an absolute http:// or https:// URL, got %q", s)
		return nil, false
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			k.add(key, "port %q is not a number from 1 to 65535", p)
			return nil, false
		}
	}
	return u, true
}

// sqlitePrefixes are the spellings store.Open accepts in front of a SQLite path.
var sqlitePrefixes = []string{"sqlite://", "sqlite:", "file://", "file:"}

// db checks a DSN the way store.Open will read it. A PostgreSQL DSN is never quoted back: it may
// hold a password.
func (k *checker) db(key, dsn string) {
	if dsn == "" {
		return
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if _, err := url.Parse(dsn); err != nil {
			k.add(key, "not a valid postgres:// URL (the value is not shown: it may hold a password)")
		}
		return
	}
	path := dsn
	for _, p := range sqlitePrefixes {
		if rest, ok := strings.CutPrefix(path, p); ok {
			path = rest
			break
		}
	}
	scheme, _, isURL := strings.Cut(path, "://")
	if isURL && path == dsn && scheme != "" && !strings.ContainsAny(scheme, `/\`) {
		k.add(key, "unsupported database %q: want postgres://... or a SQLite file path", scheme+"://")
		return
	}
	switch {
	case strings.Contains(path, "dbname=") || strings.Contains(path, "host=") && strings.Contains(path, " "):
		k.add(key, "looks like a PostgreSQL key=value DSN; write it as a postgres:// URL "+
			"(the value is not shown: it may hold a password)")
	case path == "":
		k.add(key, "empty SQLite path; leave db empty for anchor.db in the data directory")
	case strings.ContainsAny(path, "?#"):
		k.add(key, "SQLite path %q must not contain '?' or '#': the store sets its own options", path)
	case strings.HasPrefix(path, ":"):
		k.add(key, "SQLite path %q is an in-memory database, which is not durable; give a file", path)
	case strings.ContainsRune(path, 0):
		k.add(key, "SQLite path contains a NUL byte")
	}
}

func (k *checker) oneOf(key, v string, allowed ...string) {
	if !slices.Contains(allowed, v) {
		k.add(key, "want one of %s, got %q", strings.Join(allowed, ", "), v)
	}
}

func (k *checker) positive(key string, d Duration) bool {
	if d <= 0 {
		k.add(key, "want a duration above zero, got %s", d)
		return false
	}
	return true
}

func (k *checker) atLeast(key string, n, least int64) {
	if n < least {
		k.add(key, "want at least %d, got %d", least, n)
	}
}

func (k *checker) rateLimit(key string, r RateLimit) {
	if r.Limit < 0 {
		k.add(key+".limit", "want 0 (no limit) or more, got %d", r.Limit)
	}
	k.positive(key+".window", r.Window)
}

// caaIdentity checks an issuer domain name (RFC 8659 §4.2): a plain domain name, no wildcard.
func (k *checker) caaIdentity(key, id string) {
	if err := names.ValidateDNSName(strings.ToLower(id)); err != nil || strings.HasPrefix(id, "*") {
		k.add(key, "want an issuer domain name such as ca.example.com, got %q", id)
	}
}

// each checks every item of a list under its own indexed key.
func (k *checker) each(key string, items []string, check func(string) error) {
	for i, s := range items {
		if err := check(s); err != nil {
			k.add(fmt.Sprintf("%s[%d]", key, i), "%v", err)
		}
	}
}
