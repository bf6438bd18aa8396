package truststore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// nssTrust is the trust granted: "C" in the SSL field, a CA trusted to issue TLS server
// certificates; nothing for S/MIME or code signing.
const nssTrust = "C,,"

// nssStore is every NSS database of one user, changed with certutil from the NSS tools.
type nssStore struct {
	certutil string
	dbs      []nssDB
	r        *runner
}

type nssDB struct {
	dir    string
	create bool // install creates it when absent
}

func newNSS(o Options, r *runner, what op) (*nssStore, error) {
	if runtime.GOOS == "windows" {
		// Windows' own certutil.exe shadows NSS's; Firefox there can read the system store
		// (security.enterprise_roots.enabled), which is the supported route.
		return nil, fmt.Errorf("%w: the nss store on windows; use the system store", ErrUnsupported)
	}
	var dbs []nssDB
	if len(o.NSSDBs) > 0 {
		for _, d := range o.NSSDBs {
			dbs = append(dbs, nssDB{dir: strings.TrimPrefix(d, "sql:"), create: true})
		}
	} else {
		if o.Home == "" {
			return nil, errors.New("truststore: the nss store needs the home directory (Options.Home) or NSSDBs")
		}
		dbs = nssDatabases(o.Home)
	}
	// Status and uninstall look only at databases that exist; install also at those it may create.
	var use []nssDB
	for _, db := range dbs {
		if exists(filepath.Join(db.dir, "cert9.db")) || (what == opInstall && db.create) {
			use = append(use, db)
		}
	}
	s := &nssStore{dbs: use, r: r}
	if len(use) == 0 {
		return s, nil // nothing to do, and no reason to demand certutil
	}
	p, err := r.tool("certutil")
	if err != nil {
		return nil, err
	}
	s.certutil = p
	return s, nil
}

// nssDatabases lists the NSS databases of the user whose home is home:
//   - $HOME/.pki/nssdb, the shared database Chromium (and Chrome) read user roots from on Linux.
//     It is created when absent: a fresh user has none until Chromium first runs, and a root
//     added later would be missed.
//   - every Firefox profile with a cert9.db (sql: format, Firefox 58+), including the snap and
//     flatpak packages; the profiles are Firefox's to create.
//   - the snap and flatpak Chromium databases, created when the package is installed.
func nssDatabases(home string) []nssDB {
	var dbs []nssDB
	add := func(dir string, create bool) { dbs = append(dbs, nssDB{dir: dir, create: create}) }
	var profiles []string
	switch runtime.GOOS {
	case "darwin":
		// Chrome uses the macOS keychain (the system store); only Firefox keeps its own.
		profiles = []string{filepath.Join(home, "Library", "Application Support", "Firefox", "Profiles")}
	default:
		add(filepath.Join(home, ".pki", "nssdb"), true)
		for _, app := range []string{filepath.Join(home, "snap", "chromium", "current"),
			filepath.Join(home, ".var", "app", "org.chromium.Chromium")} {
			add(filepath.Join(app, ".pki", "nssdb"), isDir(app))
		}
		profiles = []string{
			filepath.Join(home, ".mozilla", "firefox"),
			filepath.Join(home, "snap", "firefox", "common", ".mozilla", "firefox"),
			filepath.Join(home, ".var", "app", "org.mozilla.firefox", ".mozilla", "firefox"),
		}
	}
	for _, p := range profiles {
		found, _ := filepath.Glob(filepath.Join(p, "*", "cert9.db"))
		for _, f := range found {
			add(filepath.Dir(f), false)
		}
	}
	return dbs
}

func (s *nssStore) none() []Result {
	return []Result{{Store: NSS, Note: "no NSS database found (no Chromium or Firefox profile)"}}
}

func (s *nssStore) status(ctx context.Context, t *target) []Result {
	if len(s.dbs) == 0 {
		return s.none()
	}
	var out []Result
	for _, db := range s.dbs {
		res := Result{Store: NSS, Location: "sql:" + db.dir}
		flags, found, err := s.trust(ctx, db.dir, t.name)
		switch {
		case err != nil:
			res.fail(err)
		case !found:
			res.Note = "not installed"
		case !strings.Contains(sslTrust(flags), "C"):
			res.Note = "present, but not trusted for TLS (trust " + flags + ")"
		default:
			res.Installed, res.Note = true, "installed (trust "+flags+")"
		}
		out = append(out, res)
	}
	return out
}

func (s *nssStore) install(ctx context.Context, t *target) []Result {
	if len(s.dbs) == 0 {
		return s.none()
	}
	var out []Result
	for _, db := range s.dbs {
		res := Result{Store: NSS, Location: "sql:" + db.dir}
		if err := s.installOne(ctx, db, t, &res); err != nil {
			res.fail(err)
		}
		out = append(out, res)
	}
	return out
}

func (s *nssStore) installOne(ctx context.Context, db nssDB, t *target, res *Result) error {
	created := false
	if !exists(filepath.Join(db.dir, "cert9.db")) {
		// An empty password is what Chromium and Firefox create themselves: the database holds
		// only public certificates here, and a password would make every browser start prompt.
		if err := os.MkdirAll(db.dir, 0o700); err != nil {
			return s.denied(fmt.Errorf("creating %s: %w", db.dir, err))
		}
		if _, err := s.r.run(ctx, command{path: s.certutil, args: []string{"-N", "--empty-password", "-d", "sql:" + db.dir}}); err != nil {
			return s.denied(fmt.Errorf("creating the NSS database: %w", err))
		}
		created, res.Changed = true, true
	}
	flags, found, err := s.trust(ctx, db.dir, t.name)
	if err != nil {
		return err
	}
	if found && strings.Contains(sslTrust(flags), "C") {
		res.Installed, res.Note = true, "already installed"
		return nil
	}
	// certutil -A on an existing nickname only resets its trust, so this never duplicates.
	if _, err := s.r.run(ctx, command{path: s.certutil, stdin: t.cert.Raw,
		args: []string{"-A", "-d", "sql:" + db.dir, "-n", t.name, "-t", nssTrust}}); err != nil {
		return s.denied(err)
	}
	res.Changed = true
	flags, found, err = s.trust(ctx, db.dir, t.name)
	if err != nil {
		return err
	}
	if !found || !strings.Contains(sslTrust(flags), "C") {
		return fmt.Errorf("certutil added %s but the database does not list it as trusted", t.name)
	}
	res.Installed, res.Note = true, "installed"
	if created {
		res.Note = "installed (created the database)"
	}
	return nil
}

func (s *nssStore) uninstall(ctx context.Context, t *target) []Result {
	if len(s.dbs) == 0 {
		return s.none()
	}
	var out []Result
	for _, db := range s.dbs {
		res := Result{Store: NSS, Location: "sql:" + db.dir, Note: "not installed"}
		// A nickname can hold more than one entry (NSS groups certificates by subject), so
		// delete until it is gone, with a bound in case certutil keeps reporting success.
		for range 10 {
			_, found, err := s.trust(ctx, db.dir, t.name)
			if err != nil {
				res.fail(err)
				break
			}
			if !found {
				break
			}
			if _, err := s.r.run(ctx, command{path: s.certutil, args: []string{"-D", "-d", "sql:" + db.dir, "-n", t.name}}); err != nil {
				res.fail(s.denied(err))
				break
			}
			res.Changed, res.Note = true, "removed"
		}
		out = append(out, res)
	}
	return out
}

// trust returns the trust flags of nickname in the database, from `certutil -L`, whose listing
// is one "nickname   SSL,S/MIME,JAR/XPI" line per certificate.
func (s *nssStore) trust(ctx context.Context, dir, nickname string) (flags string, found bool, err error) {
	out, err := s.r.run(ctx, command{path: s.certutil, args: []string{"-L", "-d", "sql:" + dir}})
	if err != nil {
		return "", false, err
	}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == nickname {
			return f[1], true, nil
		}
	}
	return "", false, nil
}

func sslTrust(flags string) string {
	ssl, _, _ := strings.Cut(flags, ",")
	return ssl
}

func (s *nssStore) denied(err error) error {
	if errors.Is(err, os.ErrPermission) || permissionDenied(err.Error()) {
		return fmt.Errorf("%w (the NSS database belongs to another user? run as its owner)", err)
	}
	return err
}
