package acmeclient_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/acmeclient"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

func itoa(n int) string { return strconv.Itoa(n) }

// checkDir verifies the files of an obtained certificate: modes, the key matching the leaf,
// fullchain = cert + chain, and the chain verifying to the CA for every name.
func checkDir(t *testing.T, f *fixture, dir string, names ...string) *x509.Certificate {
	t.Helper()
	for name, mode := range map[string]fs.FileMode{"key.pem": 0o600, "account.key": 0o600, "state.json": 0o600,
		"cert.pem": 0o644, "chain.pem": 0o644, "fullchain.pem": 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %o, want %o", name, fi.Mode().Perm(), mode)
		}
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		t.Fatalf("fullchain.pem and key.pem: %v", err)
	}
	leaf, err := pemfile.ReadCertificate(filepath.Join(dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pemfile.ReadCertificates(filepath.Join(dir, "chain.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 1+len(chain) || !slices.Equal(pair.Certificate[0], leaf.Raw) || len(chain) == 0 {
		t.Fatalf("fullchain.pem holds %d certificates, cert.pem + chain.pem %d", len(pair.Certificate), 1+len(chain))
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	ca := f.auth.Chain()
	roots.AddCert(ca[len(ca)-1])
	for _, c := range chain {
		inter.AddCert(c)
	}
	for _, n := range names {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: roots, Intermediates: inter}); err != nil {
			t.Errorf("verifying for %s: %v", n, err)
		}
	}
	return leaf
}

func readState(t *testing.T, dir string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestObtainHTTP01Standalone(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := filepath.Join(t.TempDir(), "certs")
	res, err := f.client(dir).Obtain(context.Background(), f.request(f.standaloneHTTP01(), "a.test", "B.test", "127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	leaf := checkDir(t, f, dir, "a.test", "b.test", "127.0.0.1")
	if !res.Renewed || res.Serial != hex.EncodeToString(leaf.SerialNumber.Bytes()) || !res.NotAfter.Equal(leaf.NotAfter) {
		t.Errorf("result %+v", res)
	}
	if got := res.Domains; !slices.Equal(got, []string{"a.test", "b.test", "127.0.0.1"}) {
		t.Errorf("result domains %v", got)
	}
	if k, _ := keys.TypeOf(leaf.PublicKey); k != keys.ECP256 {
		t.Errorf("default key type %s, want ec-p256", k)
	}
	st := readState(t, dir)
	if st["directory"] != f.dir || !strings.Contains(st["account"].(string), "/acme/") || st["key_type"] != "ec-p256" ||
		st["challenge"].(map[string]any)["type"] != "http-01" || len(st["domains"].([]any)) != 3 {
		t.Errorf("state.json: %v", st)
	}
	// The inventory has the certificate, recorded by the CA.
	if _, err := f.db.Get(context.Background(), f.auth.Chain()[0].SubjectKeyId, leaf.SerialNumber); err != nil {
		t.Errorf("inventory lookup of %x: %v", leaf.SerialNumber, err)
	}
}

func TestObtainKeyTypes(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	for _, kt := range []keys.Type{keys.ECP384, keys.RSA2048, keys.Ed25519} {
		t.Run(string(kt), func(t *testing.T) {
			dir := t.TempDir()
			req := f.request(f.standaloneHTTP01(), "c.test")
			req.KeyType = kt
			if _, err := f.client(dir).Obtain(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			leaf := checkDir(t, f, dir, "c.test")
			if got, _ := keys.TypeOf(leaf.PublicKey); got != kt {
				t.Errorf("key type %s, want %s", got, kt)
			}
		})
	}
}

func TestObtainTLSALPN01(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := t.TempDir()
	ch := acmeclient.Challenge{Type: "tls-alpn-01", Port: f.alpn, Address: "127.0.0.1"}
	if _, err := f.client(dir).Obtain(context.Background(), f.request(ch, "alpn.test")); err != nil {
		t.Fatal(err)
	}
	checkDir(t, f, dir, "alpn.test")
	// The responder is gone once the order is done.
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(f.alpn))); err == nil {
		c.Close()
		t.Error("the tls-alpn-01 responder still listens after obtaining")
	}
}

func TestObtainWebroot(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "index.html"), []byte("site"), 0o644)
	f.serveDir(root)
	dir := t.TempDir()
	ch := acmeclient.Challenge{Type: "http-01", Webroot: root}
	if _, err := f.client(dir).Obtain(context.Background(), f.request(ch, "web.test", "w.test")); err != nil {
		t.Fatal(err)
	}
	checkDir(t, f, dir, "web.test", "w.test")
	if _, err := os.Stat(filepath.Join(root, ".well-known")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the challenge directories were left in the webroot: %v", err)
	}
}

func TestObtainDNS01Hook(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	dir := t.TempDir()
	ch := acmeclient.Challenge{Type: "dns-01", DNSHook: f.dnsHook()}
	if _, err := f.client(dir).Obtain(context.Background(), f.request(ch, "dns.test", "*.dns.test")); err != nil {
		t.Fatal(err)
	}
	checkDir(t, f, dir, "dns.test", "x.dns.test")
	calls := strings.Split(strings.TrimSpace(f.hookCalls.String()), "\n")
	var present, cleanup int
	for _, c := range calls {
		fields := strings.Fields(c)
		if fields[1] != "_acme-challenge.dns.test." || len(fields[2]) != 43 {
			t.Errorf("hook call %q: want the FQDN with its trailing dot and a 43-character value", c)
		}
		switch fields[0] {
		case "present":
			present++
		case "cleanup":
			cleanup++
		}
	}
	if present != 2 || cleanup != 2 {
		t.Errorf("hook calls %q: want present and cleanup for each of two authorizations", calls)
	}
}

func TestObtainEAB(t *testing.T) {
	f := newFixture(t, fixtureOptions{eabRequired: true})
	ctx := context.Background()
	_, err := f.client(t.TempDir()).Obtain(ctx, f.request(f.standaloneHTTP01(), "a.test"))
	if err == nil || !strings.Contains(err.Error(), "acme: urn:ietf:params:acme:error:externalAccountRequired") {
		t.Fatalf("without EAB: %v; want externalAccountRequired", err)
	}
	mac := make([]byte, 32)
	rand.Read(mac)
	if err := f.db.CreateEABKey(ctx, store.EABKey{KeyID: "kid-1", Name: "test", HMACKey: mac}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	req := f.request(f.standaloneHTTP01(), "a.test")
	req.EAB = &acmeclient.EAB{KeyID: "kid-1", HMACKey: base64.RawURLEncoding.EncodeToString(mac)}
	if _, err := f.client(dir).Obtain(ctx, req); err != nil {
		t.Fatal(err)
	}
	checkDir(t, f, dir, "a.test")
	k, err := f.db.EABKey(ctx, "kid-1")
	if err != nil || k.AccountID == "" {
		t.Errorf("EAB key not bound: %+v %v", k, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "state.json")); strings.Contains(string(b), req.EAB.HMACKey) {
		t.Error("state.json holds the EAB MAC key")
	}
	// Renewing needs no EAB: the account exists.
	if _, err := f.client(dir).Renew(ctx, acmeclient.RenewRequest{Force: true}); err != nil {
		t.Fatalf("renew of an EAB account: %v", err)
	}
}

func TestObtainErrors(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name string
		req  acmeclient.ObtainRequest
		want string
	}{
		{"nothing answers the challenge", f.request(acmeclient.Challenge{Type: "http-01", Webroot: t.TempDir()}, "b.test"),
			"b.test: acme: urn:ietf:params:acme:error:connection: "},
		{"port in use", f.request(acmeclient.Challenge{Type: "http-01", Port: busyPort, Address: "127.0.0.1"}, "a.test"),
			"challenge server on 127.0.0.1:" + itoa(busyPort) + ": address already in use"},
		{"rejected identifier", f.request(f.standaloneHTTP01(), "bad..name"), "invalid request"},
		{"no challenge", f.request(acmeclient.Challenge{Type: "http-02"}, "a.test"), `challenge type "http-02"`},
		{"wildcard needs dns-01", f.request(f.standaloneHTTP01(), "*.w.test"), "the server offers no http-01 challenge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(t.TempDir()).Obtain(ctx, tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %v; want one line containing %q", err, tc.want)
			}
		})
	}
}
