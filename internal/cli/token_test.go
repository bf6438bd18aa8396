package cli_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/restapi"
	"github.com/anchorpki/anchor/store"
)

var tokenRE = regexp.MustCompile(`^anc_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$`)

type listedToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token"`
	Scopes     []string   `json:"scopes"`
	AllowNames []string   `json:"allow_names"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	Status     string     `json:"status"`
}

func decodeStrict(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
}

func TestTokenCreateListRevoke(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	r := a.run("token", "create", "--name", "deploy", "--scope", "issue,read", "--allow-names", "*.svc.internal,10.0.0.0/8", "--expires", "90d")
	if r.code != 0 || !tokenRE.MatchString(r.stdout) {
		t.Fatalf("token create: exit %d, stdout %q (want the token alone), stderr %s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, `Created token "deploy"`) || !strings.Contains(r.stderr, "shown only now") {
		t.Errorf("stderr %q", r.stderr)
	}
	tok := strings.TrimSpace(r.stdout)
	id, secret, err := apitoken.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}

	// The inventory keeps the hash, never the secret.
	db, err := store.Open(context.Background(), filepath.Join(a.dir, "anchor-data", "anchor.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.Token(context.Background(), id)
	db.Close()
	if err != nil || !apitoken.Verify(stored.Hash, secret) || stored.Name != "deploy" {
		t.Fatalf("stored token %+v, %v", stored, err)
	}
	raw, _ := os.ReadFile(filepath.Join(a.dir, "anchor-data", "anchor.db"))
	if strings.Contains(string(raw), tok[21:]) {
		t.Fatal("the token's secret is in the database file")
	}

	out := a.ok("token", "list")
	for _, want := range []string{"ID", "LAST USED", id, "deploy", "issue,read", "*.svc.internal,10.0.0.0/8", "never", "active"} {
		if !strings.Contains(out, want) {
			t.Errorf("token list lacks %q:\n%s", want, out)
		}
	}
	var list []listedToken
	jsonOut := a.ok("token", "list", "--json")
	decodeStrict(t, jsonOut, &list)
	if len(list) != 1 || list[0].ID != id || list[0].Status != "active" || list[0].Token != "" || list[0].ExpiresAt == nil ||
		list[0].ExpiresAt.Sub(time.Now()) < 89*24*time.Hour || strings.Contains(jsonOut, "hash") {
		t.Fatalf("token list --json: %s", jsonOut)
	}

	// A live name cannot be reused.
	r = a.run("token", "create", "--name", "deploy", "--scope", "read")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, `a token named "deploy" exists`) {
		t.Fatalf("duplicate name: exit %d %q %q", r.code, r.stdout, r.stderr)
	}

	if out := a.ok("token", "revoke", "deploy"); !strings.Contains(out, `Revoked token "deploy" (id `+id+")") {
		t.Fatalf("revoke: %s", out)
	}
	if out := a.ok("token", "revoke", id); !strings.Contains(out, "already revoked") {
		t.Fatalf("revoke again: %s", out)
	}
	decodeStrict(t, a.ok("token", "list", "--json"), &list)
	if list[0].Status != "revoked" || list[0].RevokedAt == nil {
		t.Fatalf("after revoke: %+v", list[0])
	}
	if r := a.run("token", "revoke", "nobody"); r.code != 1 || !strings.Contains(r.stderr, `no API token with id or name "nobody"`) {
		t.Fatalf("revoke unknown: exit %d %s", r.code, r.stderr)
	}
	// The name is free again.
	a.ok("token", "create", "--name", "deploy", "--scope", "read")
}

func TestTokenCreateJSON(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	var v listedToken
	decodeStrict(t, a.ok("token", "create", "--name", "ops", "--scope", "read,revoke", "--json"), &v)
	if !tokenRE.MatchString(v.Token+"\n") || v.Name != "ops" || strings.Join(v.Scopes, ",") != "revoke,read" ||
		len(v.AllowNames) != 0 || v.ExpiresAt != nil || v.Status != "active" || !strings.HasPrefix(v.Token, "anc_"+v.ID+"_") {
		t.Fatalf("create --json: %+v", v)
	}
}

func TestTokenUsageErrors(t *testing.T) {
	a := newAnchor(t)
	if r := a.run("token", "list"); r.code != 1 || !strings.Contains(r.stderr, "anchor ca init") {
		t.Fatalf("token list without a CA: exit %d %s", r.code, r.stderr)
	}
	a.ok("ca", "init")
	tests := []struct {
		args []string
		msg  string
	}{
		{[]string{"--name", "x"}, "--scope is required"},
		{[]string{"--scope", "read"}, "--name is required"},
		{[]string{"--name", "x", "--scope", "admin"}, `unknown scope "admin"`},
		{[]string{"--name", "x", "--scope", "read", "--expires", "soon"}, "--expires: invalid duration"},
		{[]string{"--name", "x", "--scope", "read", "--expires", "0d"}, "--expires must be positive"},
		{[]string{"--name", "x", "--scope", "read", "--allow-names", "a.*.example"}, "invalid name pattern"},
		{[]string{"--name", "x", "--scope", "read", "--allow-names", "10.0.0.0/40"}, "not a valid CIDR prefix"},
	}
	for _, tc := range tests {
		r := a.run(append([]string{"token", "create"}, tc.args...)...)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("token create %s: exit %d, stdout %q, stderr %q; want exit 2 and %q", strings.Join(tc.args, " "), r.code, r.stdout, r.stderr, tc.msg)
		}
	}
	if r := a.run("token", "revoke"); r.code != 2 {
		t.Errorf("token revoke without an argument: exit %d", r.code)
	}
}

// TestTokenWithRESTAPI is the acceptance: a token created while the server runs issues
// through the REST API with curl, the certificate is in `anchor list`, a token limited to
// *.svc.internal gets a 403 problem for www.example.com, no token a 401, and a token revoked
// while the server runs is refused from the next request on.
func TestTokenWithRESTAPI(t *testing.T) {
	curl := testkit.Tool(t, "curl")
	a := newAnchor(t)
	a.ok("ca", "init")
	a.ok("issue", "localhost", "127.0.0.1", "--out-cert", "localhost.pem", "--out-key", "localhost.key", "--out-chain", "chain.pem")

	// The server side, as `anchor serve` wires it.
	auth, loaded, db := a.authority()
	api, err := restapi.New(restapi.Options{Authority: auth, Inventory: db, Tokens: db})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(a.path("chain.pem"), a.path("localhost.key"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(loaded.Root)
	srv := httptest.NewUnstartedServer(api)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: roots}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	url := srv.URL + "/api/v1/certificates"

	tok := strings.TrimSpace(a.ok("token", "create", "--name", "deploy", "--scope", "issue,read"))
	svc := strings.TrimSpace(a.ok("token", "create", "--name", "svc", "--scope", "issue", "--allow-names", "*.svc.internal"))
	a.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "app.key",
		"-subj", "/CN=app.svc.internal", "-addext", "subjectAltName=DNS:app.svc.internal", "-out", "app.csr")
	a.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "www.key",
		"-subj", "/CN=www.example.com", "-addext", "subjectAltName=DNS:www.example.com", "-out", "www.csr")
	for _, n := range []string{"app", "www"} {
		csrPEM, err := os.ReadFile(a.path(n + ".csr"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"csr": string(csrPEM), "profile": "server"})
		a.write(n+".json", string(body))
	}
	curlCall := func(args ...string) (int, string) {
		t.Helper()
		args = append([]string{"--silent", "--show-error", "--cacert", "anchor-data/ca/root.pem",
			"-H", "Content-Type: application/json", "--write-out", "\n%{http_code} %{content_type}"}, args...)
		r := testkit.Exec(t, a.dir, nil, curl, args...)
		if r.ExitCode != 0 {
			t.Fatalf("curl: exit %d: %s", r.ExitCode, r.Combined())
		}
		i := strings.LastIndex(r.Stdout, "\n")
		var code int
		status, ctype, _ := strings.Cut(r.Stdout[i+1:], " ")
		for _, c := range status {
			code = code*10 + int(c-'0')
		}
		if code >= 400 && ctype != "application/problem+json" {
			t.Errorf("%d answered with Content-Type %q", code, ctype)
		}
		return code, r.Stdout[:i]
	}

	code, body := curlCall("--oauth2-bearer", tok, "--data-binary", "@app.json", url)
	if code != 201 {
		t.Fatalf("issue with a token: %d %s", code, body)
	}
	var issued struct{ Serial, Certificate string }
	if err := json.Unmarshal([]byte(body), &issued); err != nil || issued.Serial == "" {
		t.Fatalf("issue response %s: %v", body, err)
	}
	if out := a.ok("list", "--san", "app.svc.internal"); !strings.Contains(out, issued.Serial) {
		t.Fatalf("anchor list does not show %s:\n%s", issued.Serial, out)
	}
	var listed []struct {
		Serial    string `json:"serial"`
		Requester string `json:"requester"`
	}
	if err := json.Unmarshal([]byte(a.ok("list", "--san", "app.svc.internal", "--json")), &listed); err != nil ||
		len(listed) != 1 || listed[0].Requester != "token:deploy" {
		t.Fatalf("anchor list --json: %+v, %v", listed, err)
	}

	code, body = curlCall("--oauth2-bearer", svc, "--data-binary", "@www.json", url)
	if code != 403 || !strings.Contains(body, `"type": "urn:anchor:problem:forbidden"`) || !strings.Contains(body, "www.example.com") {
		t.Fatalf("www.example.com with a *.svc.internal token: %d %s", code, body)
	}
	if code, body = curlCall("--data-binary", "@app.json", url); code != 401 || !strings.Contains(body, "urn:anchor:problem:unauthorized") {
		t.Fatalf("no token: %d %s", code, body)
	}
	if out := a.ok("token", "list"); !regexp.MustCompile(`deploy .* 20\d\d-\d\d-\d\d \d\d:\d\d\s+active`).MatchString(out) {
		t.Errorf("token list does not show deploy as used:\n%s", out)
	}

	a.ok("token", "revoke", "deploy")
	if code, body = curlCall("--oauth2-bearer", tok, "--data-binary", "@app.json", url); code != 401 || !strings.Contains(body, "token revoked") {
		t.Fatalf("revoked token: %d %s", code, body)
	}
}
