package truststore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/truststore"
)

// nssList returns the trust flags of every nickname in a database, from `certutil -L`.
func nssList(t *testing.T, certutil, dir string) map[string][]string {
	t.Helper()
	out := testkit.Run(t, "", certutil, "-L", "-d", "sql:"+dir).Stdout
	m := map[string][]string{}
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) == 2 && strings.HasPrefix(f[0], "anchor-") {
			m[f[0]] = append(m[f[0]], f[1])
		}
	}
	return m
}

func only(t *testing.T, res []truststore.Result, err error) truststore.Result {
	t.Helper()
	if err != nil {
		t.Fatalf("results %+v: %v", res, err)
	}
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1: %+v", len(res), res)
	}
	return res[0]
}

func TestNSSInstallStatusUninstall(t *testing.T) {
	certutil := testkit.Tool(t, "certutil")
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	nssdb := filepath.Join(home, ".pki", "nssdb")
	o := truststore.Options{Stores: []string{"nss"}, Home: home}
	// Two CAs with the same subject: NSS groups certificates by subject, the names must not.
	a, b := newCA(t, "Example Root CA"), newCA(t, "Example Root CA")
	nameA, nameB := truststore.Name(a.cert), truststore.Name(b.cert)

	// A fresh HOME has no status to report and nothing is created by asking.
	res, err := truststore.Status(ctx, a.cert, o)
	if r := only(t, res, err); r.Installed || r.Location != "" {
		t.Fatalf("status in an empty HOME: %+v", r)
	}
	if _, err := os.Stat(nssdb); !os.IsNotExist(err) {
		t.Fatalf("status created %s", nssdb)
	}

	res, err = truststore.Install(ctx, a.cert, o)
	r := only(t, res, err)
	if !r.Installed || !r.Changed || r.Location != "sql:"+nssdb || !strings.Contains(r.Note, "created") {
		t.Fatalf("first install: %+v", r)
	}
	if fi, err := os.Stat(nssdb); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("%s: %v %v; want a 0700 directory", nssdb, fi, err)
	}
	if got := nssList(t, certutil, nssdb); len(got) != 1 || len(got[nameA]) != 1 || got[nameA][0] != "C,," {
		t.Fatalf("certutil -L after install: %v; want %s with C,,", got, nameA)
	}

	res, err = truststore.Install(ctx, a.cert, o)
	if r := only(t, res, err); !r.Installed || r.Changed || r.Note != "already installed" {
		t.Fatalf("second install: %+v", r)
	}
	res, err = truststore.Install(ctx, b.cert, o)
	if r := only(t, res, err); !r.Installed || !r.Changed {
		t.Fatalf("install of the second CA: %+v", r)
	}
	if got := nssList(t, certutil, nssdb); len(got) != 2 || len(got[nameA]) != 1 || len(got[nameB]) != 1 {
		t.Fatalf("certutil -L after installing twice and a second CA: %v; want one entry each", got)
	}
	res, err = truststore.Status(ctx, a.cert, o)
	if r := only(t, res, err); !r.Installed || r.Changed || !strings.Contains(r.Note, "C,,") {
		t.Fatalf("status: %+v", r)
	}

	res, err = truststore.Uninstall(ctx, a.cert, o)
	if r := only(t, res, err); r.Installed || !r.Changed {
		t.Fatalf("uninstall: %+v", r)
	}
	if got := nssList(t, certutil, nssdb); len(got) != 1 || len(got[nameB]) != 1 {
		t.Fatalf("certutil -L after uninstalling %s: %v; want only %s", nameA, got, nameB)
	}
	// The remaining entry is really the second CA's certificate, not the first's under its name.
	pemB := testkit.Run(t, "", certutil, "-L", "-d", "sql:"+nssdb, "-n", nameB, "-a").Stdout
	if !strings.Contains(strings.ReplaceAll(pemB, "\r", ""), string(pemOf(b.cert))) {
		t.Fatalf("certutil -n %s does not hold the second CA:\n%s", nameB, pemB)
	}
	res, err = truststore.Status(ctx, a.cert, o)
	if r := only(t, res, err); r.Installed || r.Note != "not installed" {
		t.Fatalf("status after uninstall: %+v", r)
	}
	res, err = truststore.Uninstall(ctx, a.cert, o)
	if r := only(t, res, err); r.Installed || r.Changed {
		t.Fatalf("second uninstall: %+v", r)
	}
}

// Firefox keeps one database per profile; an existing one is used and never re-created, and
// snap and flatpak browsers are found in their own trees.
func TestNSSFirefoxProfilesAndSandboxedBrowsers(t *testing.T) {
	certutil := testkit.Tool(t, "certutil")
	t.Parallel()
	ctx := context.Background()
	home := t.TempDir()
	profile := filepath.Join(home, ".mozilla", "firefox", "ab12cd.default-release")
	snapProfile := filepath.Join(home, "snap", "firefox", "common", ".mozilla", "firefox", "xy.default")
	noDB := filepath.Join(home, ".mozilla", "firefox", "empty.profile") // no cert9.db: not Firefox's yet
	for _, d := range []string{profile, snapProfile} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		testkit.Run(t, "", certutil, "-N", "--empty-password", "-d", "sql:"+d)
	}
	// A CA the user trusted before: it must survive.
	other := newCA(t, "Someone Else CA")
	writePEM(t, filepath.Join(home, "other.pem"), other.cert)
	testkit.Run(t, "", certutil, "-A", "-d", "sql:"+profile, "-n", "someone-else", "-t", "C,,", "-i", filepath.Join(home, "other.pem"))
	flatpakChromium := filepath.Join(home, ".var", "app", "org.chromium.Chromium")
	if err := os.MkdirAll(flatpakChromium, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(noDB, 0o700); err != nil {
		t.Fatal(err)
	}

	ca := newCA(t, "Profile Root CA")
	name := truststore.Name(ca.cert)
	o := truststore.Options{Stores: []string{"nss"}, Home: home}
	res, err := truststore.Install(ctx, ca.cert, o)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{filepath.Join(home, ".pki", "nssdb"): true, profile: true, snapProfile: true,
		filepath.Join(flatpakChromium, ".pki", "nssdb"): true}
	if len(res) != len(want) {
		t.Fatalf("install touched %d databases, want %d: %+v", len(res), len(want), res)
	}
	for _, r := range res {
		dir := strings.TrimPrefix(r.Location, "sql:")
		if !want[dir] || !r.Installed {
			t.Fatalf("unexpected result %+v", r)
		}
		if got := nssList(t, certutil, dir); len(got[name]) != 1 || got[name][0] != "C,," {
			t.Fatalf("%s: %v; want %s with C,,", dir, got, name)
		}
	}
	if _, err := os.Stat(filepath.Join(noDB, "cert9.db")); !os.IsNotExist(err) {
		t.Fatalf("a database was created in a profile Firefox has not initialised: %v", err)
	}

	res, err = truststore.Uninstall(ctx, ca.cert, o)
	if err != nil || len(res) != len(want) {
		t.Fatalf("uninstall: %+v %v", res, err)
	}
	for dir := range want {
		if got := nssList(t, certutil, dir); len(got[name]) != 0 {
			t.Fatalf("%s still lists %s: %v", dir, name, got)
		}
	}
	out := testkit.Run(t, "", certutil, "-L", "-d", "sql:"+profile).Stdout
	if !strings.Contains(out, "someone-else") {
		t.Fatalf("uninstall removed another CA:\n%s", out)
	}
}

// NSSDBs names databases explicitly; install creates one that does not exist yet.
func TestNSSExplicitDatabase(t *testing.T) {
	certutil := testkit.Tool(t, "certutil")
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "db")
	ca := newCA(t, "Explicit Root CA")
	res, err := truststore.Install(context.Background(), ca.cert, truststore.Options{Stores: []string{"nss"}, NSSDBs: []string{"sql:" + dir}})
	if r := only(t, res, err); !r.Installed || r.Location != "sql:"+dir {
		t.Fatalf("install: %+v", r)
	}
	if got := nssList(t, certutil, dir); len(got) != 1 {
		t.Fatalf("certutil -L: %v", got)
	}
}
