package e2e

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/internal/testkit/dnsserver"
	"github.com/anchorpki/anchor/pemfile"
)

// acmeServer is anchor serve with ACME validation pointed at loopback: every name resolves to
// 127.0.0.1 through a test DNS server, and http-01 and tls-alpn-01 connect to ports the ACME
// client under test listens on. Nothing else differs from production: real validation, real
// CA, real inventory.
type acmeServer struct {
	*server
	dns           *dnsserver.Server
	http01, alpn  int // the validation ports
	directory     string
	root          string // path of the CA's root, for the clients' trust
	clientEnvBase []string
}

func startACMEServer(t *testing.T, names ...string) *acmeServer {
	t.Helper()
	dns := dnsserver.Start(t)
	dns.Add(t, "anchor.test. 60 IN SOA ns.anchor.test. hostmaster.anchor.test. 1 60 60 600 60")
	for _, n := range names {
		dns.Add(t, n+". 60 IN A 127.0.0.1")
	}
	a := &acmeServer{server: newServer(t, filepath.Join(t.TempDir(), "data")), dns: dns,
		http01: portOf(t, testkit.FreeAddr(t)), alpn: portOf(t, testkit.FreeAddr(t))}
	a.extra = []string{"--acme-http01-port", strconv.Itoa(a.http01), "--acme-tlsalpn01-port", strconv.Itoa(a.alpn),
		"--acme-resolver", dns.Addr}
	a.start()
	t.Cleanup(a.stop)
	a.directory = "https://" + a.https + "/acme/directory"
	a.root = filepath.Join(a.data, "ca", "root.pem")
	return a
}

func portOf(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// run runs an external client with a bounded time and returns its combined output.
func runClient(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	done := make(chan struct{})
	began := time.Now()
	defer func() {
		t.Logf("%s %s: %s", filepath.Base(name), args[len(args)-1], time.Since(began).Round(time.Millisecond))
	}()
	timer := time.AfterFunc(3*time.Minute, func() { cmd.Process.Kill(); close(done) })
	out, err := cmd.CombinedOutput()
	if !timer.Stop() {
		<-done
		t.Fatalf("%s %s: killed after 3 minutes\n%s", name, strings.Join(args, " "), out)
	}
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func leafSerial(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	certs, err := pemfile.ReadCertificates(path)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

// listed returns the inventory rows of anchor list --json for serial.
func (a *acmeServer) listed(t *testing.T, serial *big.Int) map[string]any {
	t.Helper()
	var rows []map[string]any
	if err := json.Unmarshal([]byte(a.anchor("list", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	want := hex.EncodeToString(serial.Bytes())
	for _, r := range rows {
		if r["serial"] == want {
			return r
		}
	}
	t.Fatalf("serial %s is not in anchor list", want)
	return nil
}

// crlLists fetches the CRL the certificate names and reports whether it lists the certificate.
func crlLists(t *testing.T, cert *x509.Certificate) bool {
	t.Helper()
	if len(cert.CRLDistributionPoints) == 0 {
		t.Fatal("the certificate names no CRL distribution point")
	}
	resp, err := http.Get(cert.CRLDistributionPoints[0])
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("CRL at %s: %v", cert.CRLDistributionPoints[0], err)
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber.Cmp(cert.SerialNumber) == 0 {
			return true
		}
	}
	return false
}

// ocspSays asks the OCSP responder the certificate names, with openssl, and returns its verdict.
func ocspSays(t *testing.T, a *acmeServer, certPath, chainPath string) string {
	t.Helper()
	cert := leafSerial(t, certPath)
	out := runClient(t, nil, testkit.OpenSSL(t), "ocsp", "-issuer", chainPath, "-cert", certPath,
		"-url", cert.OCSPServer[0], "-CAfile", a.root)
	switch {
	case strings.Contains(out, ": revoked"):
		return "revoked"
	case strings.Contains(out, ": good"):
		return "good"
	}
	t.Fatalf("openssl ocsp: %s", out)
	return ""
}

func TestCertbot(t *testing.T) {
	certbot := testkit.Tool(t, "certbot")
	name := "certbot.anchor.test"
	a := startACMEServer(t, name)
	dir := t.TempDir()
	env := []string{"REQUESTS_CA_BUNDLE=" + a.root}
	common := []string{"--non-interactive", "--server", a.directory, "--config-dir", filepath.Join(dir, "config"),
		"--work-dir", filepath.Join(dir, "work"), "--logs-dir", filepath.Join(dir, "logs")}
	args := func(a ...string) []string { return append(append([]string{}, a...), common...) }

	runClient(t, env, certbot, args("register", "--agree-tos", "-m", "ops@example.com")...)
	runClient(t, env, certbot, args("certonly", "--standalone", "--http-01-address", "127.0.0.1",
		"--http-01-port", strconv.Itoa(a.http01), "-d", name, "--key-type", "ecdsa")...)
	live := filepath.Join(dir, "config", "live", name)
	first := leafSerial(t, filepath.Join(live, "cert.pem"))
	if first.DNSNames[0] != name {
		t.Fatalf("certbot got a certificate for %v", first.DNSNames)
	}
	row := a.listed(t, first.SerialNumber)
	if req, _ := row["requester"].(string); !strings.HasPrefix(req, "acme:https://"+a.https+"/acme/acct/") {
		t.Fatalf("anchor list shows requester %q, want the ACME account URL", req)
	}

	// Renewal reuses the settings certbot stored, port included.
	runClient(t, env, certbot, args("renew", "--force-renewal", "--no-random-sleep-on-renew")...)
	second := leafSerial(t, filepath.Join(live, "cert.pem"))
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Fatal("certbot renew --force-renewal kept the same certificate")
	}
	if ocspSays(t, a, filepath.Join(live, "cert.pem"), filepath.Join(live, "chain.pem")) != "good" {
		t.Fatal("OCSP does not say good before the revocation")
	}

	runClient(t, env, certbot, args("revoke", "--cert-path", filepath.Join(live, "cert.pem"), "--reason", "keycompromise",
		"--no-delete-after-revoke")...)
	if got := ocspSays(t, a, filepath.Join(live, "cert.pem"), filepath.Join(live, "chain.pem")); got != "revoked" {
		t.Fatalf("OCSP says %s after certbot revoke", got)
	}
	if !crlLists(t, second) {
		t.Fatal("the CRL does not list the certificate certbot revoked")
	}
	if row := a.listed(t, second.SerialNumber); row["status"] != "revoked" {
		t.Fatalf("anchor list shows %v after the revocation", row["status"])
	}
}

// dnsHook serves the lego exec provider's calls: the hook script posts present and cleanup
// here, and the record goes into the test DNS server the ACME server asks.
func dnsHook(t *testing.T, a *acmeServer) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fqdn, value := r.FormValue("fqdn"), r.FormValue("value")
		if r.URL.Path == "/present" && fqdn != "" && value != "" {
			a.dns.Add(t, fqdn+" 60 IN TXT \""+value+"\"")
		}
	}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	script := filepath.Join(t.TempDir(), "hook.sh")
	body := "#!/bin/sh\nexec curl -sf --data-urlencode \"fqdn=$2\" --data-urlencode \"value=$3\" http://" + ln.Addr().String() + "/$1\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return script
}

func TestLego(t *testing.T) {
	lego := testkit.Tool(t, "lego")
	testkit.Tool(t, "curl")
	names := []string{"http.lego.anchor.test", "tls.lego.anchor.test", "lego.anchor.test"}
	a := startACMEServer(t, names...)
	hook := dnsHook(t, a)
	path := t.TempDir()
	env := []string{"LEGO_CA_CERTIFICATES=" + a.root, "EXEC_PATH=" + hook, "EXEC_PROPAGATION_TIMEOUT=30", "EXEC_POLLING_INTERVAL=1", "EXEC_SEQUENCE_INTERVAL=1"}
	base := []string{"--server", a.directory, "--email", "ops@example.com", "--accept-tos", "--path", path}
	certFile := func(domain string) string {
		return filepath.Join(path, "certificates", strings.ReplaceAll(domain, "*", "_")+".crt")
	}
	httpArgs := []string{"--http", "--http.port", "127.0.0.1:" + strconv.Itoa(a.http01)}
	dnsArgs := []string{"--dns", "exec", "--dns.resolvers", a.dns.Addr, "--dns.disable-cp"}

	steps := []struct {
		name    string
		domains []string
		solver  []string
	}{
		{"http-01", names[:1], httpArgs},
		{"tls-alpn-01", names[1:2], []string{"--tls", "--tls.port", "127.0.0.1:" + strconv.Itoa(a.alpn)}},
		{"dns-01 wildcard", []string{"*.lego.anchor.test", "lego.anchor.test"}, dnsArgs},
	}
	for _, s := range steps {
		args := append(append([]string{}, base...), s.solver...)
		for _, d := range s.domains {
			args = append(args, "--domains", d)
		}
		runClient(t, env, lego, append(args, "run")...)
		cert := leafSerial(t, certFile(s.domains[0]))
		for _, d := range s.domains {
			if !contains(cert.DNSNames, d) {
				t.Fatalf("%s: certificate names %v, want %s", s.name, cert.DNSNames, d)
			}
		}
	}

	// Renew the http-01 certificate (--days beyond its lifetime makes it due now), then revoke.
	before := leafSerial(t, certFile(names[0]))
	runClient(t, env, lego, append(append(append([]string{}, base...), httpArgs...), "--domains", names[0], "renew", "--days", "1000", "--no-random-sleep")...)
	after := leafSerial(t, certFile(names[0]))
	if after.SerialNumber.Cmp(before.SerialNumber) == 0 {
		t.Fatal("lego renew kept the same certificate")
	}
	runClient(t, env, lego, append(append([]string{}, base...), "--domains", names[0], "revoke", "--reason", "1", "--keep")...)
	if !crlLists(t, after) {
		t.Fatal("the CRL does not list the certificate lego revoked")
	}
	if row := a.listed(t, after.SerialNumber); row["status"] != "revoked" {
		t.Fatalf("anchor list shows %v after lego revoke", row["status"])
	}
	issuerPath := filepath.Join(path, "certificates", names[0]+".issuer.crt")
	if got := ocspSays(t, a, certFile(names[0]), issuerPath); got != "revoked" {
		t.Fatalf("OCSP says %s after lego revoke", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
