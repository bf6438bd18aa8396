package cli_test

import (
	"os"
	"strings"
	"testing"
)

// Acceptance 6: each bad input gives a one-line error naming the file and the problem, exit 1,
// and leaves no file behind.
func TestBadInput(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	a.write("pass.txt", "right\n")
	a.write("wrong.txt", "wrong\n")
	a.ok("key", "create", "--out", "enc.key", "--passphrase-file", "pass.txt")
	a.ok("key", "create", "--out", "plain.key")
	a.ok("issue", "good.example", "--out-cert", "good.pem", "--out-key", "good.key")
	a.write("malformed.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n")
	a.write("garbage.der", "\x30\x82\x01\x00garbage that claims to be DER")
	good, _ := os.ReadFile(a.path("good.pem"))
	a.write("notacsr.pem", string(good))
	// A CSR whose signature was altered: flip a byte near the end of the DER.
	r := a.openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "x.key",
		"-subj", "/CN=x.example", "-outform", "DER", "-out", "x.der")
	if r.ExitCode != 0 {
		t.Fatal(r.Combined())
	}
	der, _ := os.ReadFile(a.path("x.der"))
	der[len(der)-3] ^= 0xff
	a.write("badsig.csr", string(der))

	tests := []struct {
		name   string
		args   []string
		out    string // a file that must not exist afterwards
		substr []string
	}{
		{"malformed PEM", []string{"ca", "sign", "malformed.pem", "--out", "o1.pem"}, "o1.pem", []string{"malformed.pem"}},
		{"DER that is not a CSR", []string{"ca", "sign", "garbage.der", "--out", "o2.pem"}, "o2.pem", []string{"garbage.der"}},
		{"certificate given as CSR", []string{"ca", "sign", "notacsr.pem", "--out", "o3.pem"}, "o3.pem", []string{"notacsr.pem"}},
		{"CSR with bad signature", []string{"ca", "sign", "badsig.csr", "--out", "o4.pem"}, "o4.pem", []string{"badsig.csr", "signature"}},
		{"wrong passphrase", []string{"csr", "create", "--key", "enc.key", "--passphrase-file", "wrong.txt", "--subject", "CN=a", "--san", "a.example", "--out", "o5.csr"}, "o5.csr", []string{"enc.key", "passphrase"}},
		{"missing passphrase", []string{"csr", "create", "--key", "enc.key", "--subject", "CN=a", "--san", "a.example", "--out", "o6.csr"}, "o6.csr", []string{"enc.key", "passphrase"}},
		{"unknown key type", []string{"key", "create", "--type", "dsa-1024", "--out", "o7.key"}, "o7.key", []string{"dsa-1024"}},
		{"SAN that is not a name", []string{"issue", "not a name!", "--out-cert", "o8.pem", "--out-key", "o8.key"}, "o8.key", []string{"not a name!"}},
		{"malformed PEM inspected", []string{"inspect", "malformed.pem"}, "", []string{"malformed.pem"}},
		{"key where a key is garbage", []string{"csr", "create", "--key", "garbage.der", "--subject", "CN=a", "--out", "o9.csr"}, "o9.csr", []string{"garbage.der"}},
		{"missing file", []string{"inspect", "no-such-file.pem"}, "", []string{"no-such-file.pem"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(tc.args...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			if lines := strings.Count(strings.TrimRight(r.stderr, "\n"), "\n") + 1; lines != 1 {
				t.Errorf("error is %d lines, want 1:\n%s", lines, r.stderr)
			}
			for _, s := range tc.substr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("error %q does not mention %q", strings.TrimSpace(r.stderr), s)
				}
			}
			if tc.out != "" {
				if _, err := os.Stat(a.path(tc.out)); err == nil {
					t.Errorf("%s was written despite the error", tc.out)
				}
			}
			if strings.Contains(r.stderr, "panic") {
				t.Errorf("panic: %s", r.stderr)
			}
		})
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	a := newAnchor(t)
	for _, args := range [][]string{{"key", "create"}, {"no-such-command"}, {"ca", "sign"}, {"list", "--status", "bogus"}, {"key", "create", "--bogus-flag"}} {
		if r := a.run(args...); r.code != 2 {
			t.Errorf("anchor %v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
}

func TestInitRefusesExistingCA(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")
	root1, _ := os.ReadFile(a.path("anchor-data/ca/root.pem"))
	r := a.run("ca", "init")
	if r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Fatalf("second init: exit %d: %s", r.code, r.stderr)
	}
	root2, _ := os.ReadFile(a.path("anchor-data/ca/root.pem"))
	if string(root1) != string(root2) {
		t.Fatal("second init changed the root")
	}
}

func TestHelpHasExamples(t *testing.T) {
	a := newAnchor(t)
	for _, cmd := range [][]string{{"key", "create"}, {"csr", "create"}, {"cert", "self-signed"}, {"ca", "init"}, {"ca", "root"},
		{"ca", "sign"}, {"issue"}, {"list"}, {"inspect"}} {
		out := a.ok(append(cmd, "--help")...)
		if !strings.Contains(out, "Examples:") {
			t.Errorf("anchor %v --help has no example", cmd)
		}
	}
}
