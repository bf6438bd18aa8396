package truststore

import (
	"context"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// storepassEnv carries the keystore password to keytool (-storepass:env), so it never appears
// in the process list the way -storepass would put it.
const storepassEnv = "ANCHOR_TRUSTSTORE_STOREPASS"

// javaStore is one Java keystore, changed with keytool.
type javaStore struct {
	keystore string
	explicit bool // named by the caller: install may create it
	keytool  string
	pass     string
	r        *runner
}

func newJava(o Options, r *runner) (*javaStore, error) {
	s := &javaStore{keystore: o.JavaKeystore, explicit: o.JavaKeystore != "", pass: o.JavaStorepass, r: r}
	if s.pass == "" {
		s.pass = "changeit"
	}
	home := o.JavaHome
	if home == "" && !s.explicit {
		java, err := r.tool("java")
		if err != nil {
			return nil, err
		}
		// bin/java is usually a chain of symlinks (/usr/bin/java → /etc/alternatives/java →
		// /usr/lib/jvm/…/bin/java); the runtime's home is two levels above the real file.
		real, err := filepath.EvalSymlinks(java)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", java, err)
		}
		home = filepath.Dir(filepath.Dir(real))
	}
	if !s.explicit {
		// JDK 9 and later keep cacerts in lib/security, JDK 8 in jre/lib/security.
		for _, c := range []string{filepath.Join(home, "lib", "security", "cacerts"), filepath.Join(home, "jre", "lib", "security", "cacerts")} {
			if exists(c) {
				s.keystore = c
				break
			}
		}
		if s.keystore == "" {
			return nil, fmt.Errorf("no cacerts keystore in the Java home %s; name the keystore", home)
		}
	}
	exe := "keytool"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if kt := filepath.Join(home, "bin", exe); home != "" && exists(kt) {
		s.keytool = kt
	} else {
		p, err := r.tool("keytool")
		if err != nil {
			return nil, err
		}
		s.keytool = p
	}
	return s, nil
}

// keytool runs one keytool subcommand on the keystore. English messages are forced so the
// output reads the same whatever the user's locale.
func (s *javaStore) keytoolRun(ctx context.Context, stdin []byte, args ...string) (string, error) {
	full := append([]string{args[0], "-J-Duser.language=en", "-J-Duser.country=US", "-noprompt",
		"-keystore", s.keystore, "-storepass:env", storepassEnv}, args[1:]...)
	out, err := s.r.run(ctx, command{path: s.keytool, args: full, stdin: stdin, env: []string{storepassEnv + "=" + s.pass}})
	if err != nil && permissionDenied(out) {
		return out, fmt.Errorf("%w: %w", ErrNeedsRoot, err)
	}
	return out, err
}

// entries maps every alias of the keystore to its certificate (DER), from `keytool -list -rfc`.
func (s *javaStore) entries(ctx context.Context) (map[string][]byte, error) {
	if !exists(s.keystore) {
		return nil, nil
	}
	out, err := s.keytoolRun(ctx, nil, "-list", "-rfc")
	if err != nil {
		return nil, err
	}
	m := map[string][]byte{}
	for _, entry := range strings.Split(out, "Alias name: ")[1:] {
		alias, body, _ := strings.Cut(entry, "\n")
		// A trusted-certificate entry holds one certificate; a key entry its chain, leaf first.
		if b, _ := pem.Decode([]byte(body)); b != nil {
			m[strings.TrimSpace(alias)] = b.Bytes
		}
	}
	return m, nil
}

// lookup reports whether the keystore has our alias and, if the certificate sits there under
// another alias (ca-certificates-java adds system roots as "debian:NAME.pem"), which.
func (s *javaStore) lookup(ctx context.Context, t *target) (ours bool, other string, err error) {
	m, err := s.entries(ctx)
	if err != nil {
		return false, "", err
	}
	for alias, der := range m {
		if string(der) != string(t.cert.Raw) {
			continue
		}
		if alias == t.name {
			ours = true
		} else {
			other = alias
		}
	}
	return ours, other, nil
}

func (s *javaStore) result() Result { return Result{Store: Java, Location: s.keystore} }

func (s *javaStore) status(ctx context.Context, t *target) []Result {
	res := s.result()
	ours, other, err := s.lookup(ctx, t)
	switch {
	case err != nil:
		res.fail(err)
	case ours:
		res.Installed, res.Note = true, "installed"
	case other != "":
		res.Installed, res.Note = true, "present as alias "+other+" (not added by anchor)"
	default:
		res.Note = "not installed"
	}
	return []Result{res}
}

func (s *javaStore) install(ctx context.Context, t *target) []Result {
	res := s.result()
	if err := s.installOne(ctx, t, &res); err != nil {
		res.fail(err)
	}
	return []Result{res}
}

func (s *javaStore) installOne(ctx context.Context, t *target, res *Result) error {
	created := !exists(s.keystore)
	if created && !s.explicit {
		return fmt.Errorf("keystore %s does not exist", s.keystore)
	}
	ours, other, err := s.lookup(ctx, t)
	if err != nil {
		return err
	}
	if ours || other != "" {
		res.Installed, res.Note = true, "already installed"
		if !ours {
			res.Note += " as alias " + other
		}
		return nil
	}
	if _, err := s.keytoolRun(ctx, t.pem, "-importcert", "-alias", t.name); err != nil {
		return err
	}
	res.Changed = true
	if ours, _, err = s.lookup(ctx, t); err != nil {
		return err
	}
	if !ours {
		return fmt.Errorf("keytool imported %s but the keystore does not list it", t.name)
	}
	res.Installed, res.Note = true, "installed"
	if created {
		res.Note = "installed (created the keystore)"
	}
	return nil
}

func (s *javaStore) uninstall(ctx context.Context, t *target) []Result {
	res := s.result()
	ours, other, err := s.lookup(ctx, t)
	switch {
	case err != nil:
		res.fail(err)
	case ours:
		if _, err := s.keytoolRun(ctx, nil, "-delete", "-alias", t.name); err != nil {
			res.fail(err)
			break
		}
		res.Changed, res.Note = true, "removed"
		if other != "" {
			res.Installed, res.Note = true, "removed; still present as alias "+other+" (not added by anchor)"
		}
	case other != "":
		res.Installed, res.Note = true, "not added by anchor: present as alias "+other+", left alone"
	default:
		res.Note = "not installed"
	}
	return []Result{res}
}
