package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
)

// trustJSON is the part of `anchor trust ... --json` the tests read.
type trustJSON struct {
	Action      string `json:"action"`
	Name        string `json:"name"`
	Certificate struct {
		File string `json:"file"`
	} `json:"certificate"`
	Results []struct {
		Store     string `json:"store"`
		Location  string `json:"location"`
		Installed bool   `json:"installed"`
		Changed   bool   `json:"changed"`
		Note      string `json:"note"`
		Error     string `json:"error"`
	} `json:"results"`
	Notes []string `json:"notes"`
}

func (a *anchor) trustJSON(args ...string) trustJSON {
	a.t.Helper()
	var out trustJSON
	if err := json.Unmarshal([]byte(a.ok(append(args, "--json")...)), &out); err != nil {
		a.t.Fatal(err)
	}
	return out
}

// trustHome points HOME, which decides the NSS databases, at a fresh directory.
func trustHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("SUDO_USER", "")
	return home
}

// The browser flow: HOME's ~/.pki/nssdb gets the data directory's root with trust C,, — what
// Chromium on Linux reads.
func TestTrustNSS(t *testing.T) {
	certutil := testkit.Tool(t, "certutil")
	home := trustHome(t)
	a := newAnchor(t)
	a.ok("ca", "init", "--name", "Trust Corp")
	nssdb := filepath.Join(home, ".pki", "nssdb")

	out := a.ok("trust", "install", "--store", "nss")
	if !strings.Contains(out, "sql:"+nssdb) || !strings.Contains(out, "installed (created the database)") {
		t.Fatalf("install output:\n%s", out)
	}
	st := a.trustJSON("trust", "status", "--store", "nss")
	if !strings.HasPrefix(st.Name, "anchor-trust-corp-root-ca-") || st.Certificate.File != a.path("anchor-data/ca/root.pem") {
		t.Fatalf("status names %q from %q", st.Name, st.Certificate.File)
	}
	if len(st.Results) != 1 || !st.Results[0].Installed || st.Results[0].Location != "sql:"+nssdb {
		t.Fatalf("status: %+v", st.Results)
	}
	list := testkit.Run(t, "", certutil, "-L", "-d", "sql:"+nssdb).Stdout
	if !hasNSSEntry(list, st.Name, "C,,") {
		t.Fatalf("certutil -L does not list %s with C,,:\n%s", st.Name, list)
	}

	if out := a.ok("trust", "install", "--store", "nss"); !strings.Contains(out, "already installed") {
		t.Fatalf("second install:\n%s", out)
	}
	if n := strings.Count(testkit.Run(t, "", certutil, "-L", "-d", "sql:"+nssdb).Stdout, st.Name); n != 1 {
		t.Fatalf("%s listed %d times after installing twice", st.Name, n)
	}

	un := a.trustJSON("trust", "uninstall", "--store", "nss")
	if len(un.Results) != 1 || un.Results[0].Installed || !un.Results[0].Changed {
		t.Fatalf("uninstall: %+v", un.Results)
	}
	if list := testkit.Run(t, "", certutil, "-L", "-d", "sql:"+nssdb).Stdout; strings.Contains(list, st.Name) {
		t.Fatalf("certutil -L still lists %s:\n%s", st.Name, list)
	}
	if out := a.ok("trust", "status", "--store", "nss"); !strings.Contains(out, "not installed") {
		t.Fatalf("status after uninstall:\n%s", out)
	}
}

func hasNSSEntry(list, nick, trust string) bool {
	for line := range strings.Lines(list) {
		if f := strings.Fields(line); len(f) == 2 && f[0] == nick && f[1] == trust {
			return true
		}
	}
	return false
}

// The system store (Debian, under --system-root) and a Java keystore in one command, for a
// ROOT.pem named on the command line; openssl trusts a leaf through the bundle, then no more.
func TestTrustSystemAndJava(t *testing.T) {
	testkit.Tool(t, "update-ca-certificates")
	keytool := testkit.Tool(t, "keytool")
	trustHome(t)
	a := newAnchor(t)
	a.ok("ca", "init", "--name", "Sys Corp")
	a.ok("issue", "svc.example", "--out-cert", "svc.pem", "--out-key", "svc.key")
	if err := os.Rename(a.path("anchor-data/ca/root.pem"), a.path("root.pem")); err != nil {
		t.Fatal(err)
	}
	a.write("storepass.txt", "p4ss-word\n")
	sysroot := filepath.Join(a.dir, "sysroot")
	flags := []string{"root.pem", "--store", "system,java", "--system-root", sysroot,
		"--java-keystore", "trust.p12", "--java-storepass-file", "storepass.txt"}
	bundle := filepath.Join(sysroot, "etc", "ssl", "certs", "ca-certificates.crt")
	verify := func() testkit.Result {
		return a.openssl("verify", "-CAfile", bundle, "-untrusted", "anchor-data/ca/intermediate.pem", "-purpose", "sslserver", "svc.pem")
	}

	in := a.trustJSON(append([]string{"trust", "install"}, flags...)...)
	if len(in.Results) != 2 || in.Results[0].Store != "system" || in.Results[1].Store != "java" {
		t.Fatalf("install results: %+v", in.Results)
	}
	for _, r := range in.Results {
		if !r.Installed || !r.Changed || r.Error != "" {
			t.Fatalf("install: %+v", r)
		}
	}
	if want := filepath.Join(sysroot, "usr", "local", "share", "ca-certificates", in.Name+".crt"); in.Results[0].Location != want {
		t.Fatalf("system file %s, want %s", in.Results[0].Location, want)
	}
	if r := verify(); r.ExitCode != 0 {
		t.Fatalf("openssl verify with the generated bundle: %s", r.Combined())
	}
	list := testkit.Run(t, a.dir, keytool, "-J-Duser.language=en", "-list", "-keystore", "trust.p12", "-storepass", "p4ss-word").Stdout
	if !strings.Contains(list, in.Name+",") {
		t.Fatalf("keytool -list lacks %s:\n%s", in.Name, list)
	}

	un := a.trustJSON(append([]string{"trust", "uninstall"}, flags...)...)
	for _, r := range un.Results {
		if r.Installed || !r.Changed || r.Note != "removed" {
			t.Fatalf("uninstall: %+v", r)
		}
	}
	if r := verify(); r.ExitCode == 0 {
		t.Fatalf("openssl still verifies after uninstall: %s", r.Combined())
	}
	list = testkit.Run(t, a.dir, keytool, "-J-Duser.language=en", "-list", "-keystore", "trust.p12", "-storepass", "p4ss-word").Stdout
	if strings.Contains(list, in.Name) {
		t.Fatalf("keytool -list still has %s:\n%s", in.Name, list)
	}
}

func TestTrustErrors(t *testing.T) {
	home := trustHome(t)
	a := newAnchor(t)
	r := a.run("trust", "install", "--store", "nss")
	if r.code != 1 || !strings.Contains(r.stderr, "no root certificate at") || !strings.Contains(r.stderr, "anchor ca init") {
		t.Fatalf("install without a CA: exit %d\n%s", r.code, r.stderr)
	}
	a.ok("ca", "init")
	a.ok("issue", "leaf.example", "--out-cert", "leaf.pem", "--out-key", "leaf.key")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"leaf", []string{"trust", "install", "leaf.pem", "--store", "nss"}, 1, "not a CA certificate"},
		{"unknown store", []string{"trust", "status", "--store", "nss,keychain"}, 2, `unknown store "keychain"`},
		{"two files", []string{"trust", "status", "a.pem", "b.pem"}, 2, "accepts at most 1 arg"},
		{"missing file", []string{"trust", "status", "nope.pem", "--store", "nss"}, 1, "nope.pem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := a.run(tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("anchor %s: exit %d, want %d with %q\n%s%s", strings.Join(tc.args, " "), r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Fatalf("failed commands wrote into HOME: %v", entries)
	}

	// Without certutil the user learns which package to install; nothing else is touched.
	t.Setenv("PATH", t.TempDir())
	r = a.run("trust", "install", "--store", "nss")
	if r.code != 1 || !strings.Contains(r.stderr, "certutil not found: install libnss3-tools (Debian/Ubuntu) or nss-tools (Fedora/RHEL)") ||
		!strings.Contains(r.stdout, "error: certutil not found") {
		t.Fatalf("install without certutil: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// Under sudo the default leaves out the per-user nss store, and says so.
func TestTrustUnderSudoDefaultsToSystem(t *testing.T) {
	testkit.Tool(t, "update-ca-certificates")
	trustHome(t)
	t.Setenv("SUDO_USER", "alice")
	a := newAnchor(t)
	a.ok("ca", "init")
	st := a.trustJSON("trust", "status", "--system-root", a.path("sysroot"))
	if len(st.Results) != 1 || st.Results[0].Store != "system" || st.Results[0].Installed ||
		len(st.Notes) != 1 || !strings.Contains(st.Notes[0], "--store nss' as alice") {
		t.Fatalf("status under sudo: %+v", st)
	}
	st = a.trustJSON("trust", "status", "--store", "system,nss", "--system-root", a.path("sysroot"))
	if len(st.Results) != 2 || len(st.Notes) != 0 {
		t.Fatalf("status under sudo with --store named: %+v", st)
	}
}

func TestTrustHelp(t *testing.T) {
	a := newAnchor(t)
	for _, sub := range []string{"install", "uninstall", "status"} {
		out := a.ok("trust", sub, "--help")
		for _, want := range []string{"Examples:", "anchor trust " + sub, "default system,nss", "--store", "--json", "DATA/ca/root.pem"} {
			if !strings.Contains(out, want) {
				t.Errorf("trust %s --help lacks %q", sub, want)
			}
		}
	}
}
