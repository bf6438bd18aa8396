package restapi_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/restapi"
)

// TestIssueWithCurl is the acceptance test's shape: curl, trusting only the root, issues with
// a bearer token; without one it gets a 401 problem, and with a token limited to
// *.svc.internal a 403 problem for www.example.com.
func TestIssueWithCurl(t *testing.T) {
	t.Parallel()
	curl := testkit.Tool(t, "curl")
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "deploy", "issue,read", nil, nil)
	svc := f.token(t, "svc", "issue", []string{"*.svc.internal"}, nil)
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("root.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.h.Root.Raw}))
	body, _ := json.Marshal(map[string]any{"csr": csrPEM(t, "", "curl.svc.internal"), "profile": "server"})
	write("req.json", body)
	other, _ := json.Marshal(map[string]any{"csr": csrPEM(t, "", "www.example.com")})
	write("other.json", other)

	run := func(args ...string) (int, []byte, string) {
		t.Helper()
		args = append([]string{"--silent", "--show-error", "--cacert", "root.pem", "--include",
			"-H", "Content-Type: application/json"}, args...)
		r := testkit.Exec(t, dir, nil, curl, args...)
		if r.ExitCode != 0 {
			t.Fatalf("curl %s: exit %d: %s", strings.Join(args, " "), r.ExitCode, r.Combined())
		}
		head, payload, _ := strings.Cut(strings.ReplaceAll(r.Stdout, "\r\n", "\n"), "\n\n")
		var code int
		status, _, _ := strings.Cut(head, "\n")
		if fields := strings.Fields(status); len(fields) >= 2 {
			code = atoi(fields[1])
		}
		return code, []byte(payload), head
	}
	url := f.srv.URL + "/api/v1/certificates"

	code, payload, head := run("--oauth2-bearer", tok, "--data-binary", "@req.json", url)
	if code != 201 {
		t.Fatalf("curl issue: %d\n%s\n%s", code, head, payload)
	}
	var got issued
	if err := json.Unmarshal(payload, &got); err != nil || got.Serial == "" || !strings.HasPrefix(got.Certificate, "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("curl issue body %s: %v", payload, err)
	}
	rec, err := f.db.Get(context.Background(), f.auth.Issuer().KeyID(), mustSerial(t, got.Serial))
	if err != nil || rec.Requester != "token:deploy" {
		t.Fatalf("inventory: %+v, %v", rec, err)
	}

	for _, tc := range []struct {
		args   []string
		status int
		typ    string
	}{
		{[]string{"--data-binary", "@req.json", url}, 401, restapi.TypeUnauthorized},
		{[]string{"--oauth2-bearer", svc, "--data-binary", "@other.json", url}, 403, restapi.TypeForbidden},
		{[]string{"--oauth2-bearer", tok, "--data-binary", "{not json", url}, 400, restapi.TypeMalformed},
	} {
		code, payload, head := run(tc.args...)
		var p restapi.Problem
		if code != tc.status || !strings.Contains(strings.ToLower(head), "content-type: application/problem+json") ||
			json.Unmarshal(payload, &p) != nil || p.Type != tc.typ {
			t.Errorf("curl %s: %d %s\n%s", strings.Join(tc.args, " "), code, head, payload)
		}
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
