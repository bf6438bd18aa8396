// Package truststore installs a CA certificate into the trust stores of the machine it runs on,
// removes it, and reports where it is installed: the operating system's store ("system"), the NSS
// databases Chromium and Firefox read ("nss"), and a Java keystore ("java").
//
// It owns the external commands of host integration (update-ca-certificates, update-ca-trust,
// certutil, keytool, security, certutil.exe) and runs them with paths taken from Options, so a
// test points every store at a temporary directory. It reads no environment variable: the
// caller passes the home directory and Java home.
//
// Every store knows the certificate under one name derived from the certificate itself (Name),
// so installing twice changes nothing, uninstalling removes only that certificate, and two
// anchor CAs live side by side.
package truststore

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/anchorpki/anchor/pemfile"
)

// Store names, as accepted in Options.Stores and by `anchor trust --store`.
const (
	System = "system"
	NSS    = "nss"
	Java   = "java"
)

// AllStores lists every store this package knows, in the order it processes them.
var AllStores = []string{System, NSS, Java}

// DefaultStores is what Options.Stores nil means: the operating system and the browsers. Java is
// opt-in because its cacerts is shared by every JVM on the machine and on Debian is rebuilt by
// ca-certificates-java, which already copies the system store's roots into it.
var DefaultStores = []string{System, NSS}

var (
	// ErrNotCA is returned for a certificate that is not a CA: trusting a leaf as an anchor is
	// never what the user meant.
	ErrNotCA = errors.New("truststore: not a CA certificate")
	// ErrUnknownStore is returned for a store name outside AllStores.
	ErrUnknownStore = errors.New("truststore: unknown store")
	// ErrNeedsRoot wraps a permission error on a store only an administrator may change.
	ErrNeedsRoot = errors.New("permission denied: this store can only be changed as root (run with sudo)")
	// ErrUnsupported is returned for a store this operating system does not have.
	ErrUnsupported = errors.New("truststore: not supported on this system")
)

// Options says which stores to use and where they are. Zero values mean the machine's defaults.
type Options struct {
	Stores []string // names from AllStores; nil: DefaultStores

	// SystemRoot prefixes every path of the system store, and the update command is told about
	// it (update-ca-certificates --certsconf, --localcertsdir, ...): tests and image builds use
	// it. "": "/", the running system.
	SystemRoot string

	// Home is the user's home directory, under which the NSS databases of Chromium and Firefox
	// (including their snap and flatpak variants) are found. Required for the nss store unless
	// NSSDBs is set.
	Home string
	// NSSDBs names NSS database directories ("sql:" prefix optional) to use instead of those
	// found under Home. Install creates a database that does not exist yet.
	NSSDBs []string

	// JavaHome locates cacerts and keytool. "": the Java runtime of `java` on the PATH.
	JavaHome string
	// JavaKeystore is the keystore to change. "": JavaHome's lib/security/cacerts. Install
	// creates an explicitly named keystore that does not exist yet.
	JavaKeystore string
	// JavaStorepass is the keystore password. "": "changeit", the JDK's default.
	JavaStorepass string

	LookPath func(file string) (string, error) // finds external tools; nil: exec.LookPath
	Logger   *slog.Logger                      // commands run, at debug level; nil: discard
}

// Result is the state of the certificate in one location of one store after an operation.
type Result struct {
	Store     string `json:"store"`              // System, NSS or Java
	Location  string `json:"location,omitempty"` // the file, database or keystore
	Installed bool   `json:"installed"`          // present and trusted after the operation
	Changed   bool   `json:"changed"`            // this operation modified the location
	Note      string `json:"note,omitempty"`     // what happened, in words
	Error     string `json:"error,omitempty"`    // why this location failed
	err       error
}

func (r *Result) fail(err error) {
	r.err = err
	r.Error = err.Error()
}

// Name is what anchor calls cert in every store (NSS nickname, keytool alias, file name):
// "anchor-", a slug of the subject's common name, and the first 8 hex digits of the SHA-256 of
// the certificate. The hash makes it unique per certificate, so a renewed root with the same
// name gets its own entry and uninstalling one root never removes another.
func Name(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	label := cert.Subject.CommonName
	if label == "" && len(cert.Subject.Organization) > 0 {
		label = cert.Subject.Organization[0]
	}
	s := slug(label)
	if s == "" {
		s = "ca"
	}
	return "anchor-" + s + "-" + hex.EncodeToString(sum[:4])
}

// slug keeps ASCII letters and digits, lowercased, with single dashes between words, at most
// 40 characters: safe as a file name, an NSS nickname and a keytool alias (which JKS lowercases).
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > 40 {
		out = out[:40]
	}
	return strings.TrimRight(out, "-")
}

// Install adds cert to the selected stores as a trusted CA for TLS server authentication. It
// goes on after a store fails; the error joins every failure and each Result says its own.
func Install(ctx context.Context, cert *x509.Certificate, o Options) ([]Result, error) {
	return run(ctx, cert, o, opInstall)
}

// Uninstall removes the entries Install made for cert; entries of other certificates, and the
// same certificate added under another name, are left alone.
func Uninstall(ctx context.Context, cert *x509.Certificate, o Options) ([]Result, error) {
	return run(ctx, cert, o, opUninstall)
}

// Status reports, without changing anything, whether cert is installed in each location.
func Status(ctx context.Context, cert *x509.Certificate, o Options) ([]Result, error) {
	return run(ctx, cert, o, opStatus)
}

type op int

const (
	opStatus op = iota
	opInstall
	opUninstall
)

// target is the certificate in the forms the stores need.
type target struct {
	cert *x509.Certificate
	name string
	pem  []byte
}

// backend is one store; each method reports every location it handled, failures included.
type backend interface {
	status(ctx context.Context, t *target) []Result
	install(ctx context.Context, t *target) []Result
	uninstall(ctx context.Context, t *target) []Result
}

func run(ctx context.Context, cert *x509.Certificate, o Options, what op) ([]Result, error) {
	if err := CheckCA(cert); err != nil {
		return nil, err
	}
	stores, err := selectStores(o.Stores)
	if err != nil {
		return nil, err
	}
	t := &target{cert: cert, name: Name(cert), pem: pemfile.Encode("CERTIFICATE", cert.Raw)}
	r := newRunner(o)
	var results []Result
	for _, s := range stores {
		b, err := newBackend(s, o, r, what)
		if err != nil {
			res := Result{Store: s}
			res.fail(err)
			results = append(results, res)
			continue
		}
		switch what {
		case opInstall:
			results = append(results, b.install(ctx, t)...)
		case opUninstall:
			results = append(results, b.uninstall(ctx, t)...)
		default:
			results = append(results, b.status(ctx, t)...)
		}
	}
	var errs []error
	for _, res := range results {
		if res.err != nil {
			where := res.Store
			if res.Location != "" {
				where += " " + res.Location
			}
			errs = append(errs, fmt.Errorf("%s: %w", where, res.err))
		}
	}
	return results, errors.Join(errs...)
}

func newBackend(store string, o Options, r *runner, what op) (backend, error) {
	switch store {
	case System:
		return newSystem(o, r)
	case NSS:
		return newNSS(o, r, what)
	default:
		return newJava(o, r)
	}
}

// CheckCA refuses a certificate that cannot be a trust anchor for TLS: one without
// basicConstraints cA=TRUE (RFC 5280 §4.2.1.9), which every verifier would reject as an issuer.
func CheckCA(cert *x509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("%w: no certificate", ErrNotCA)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return fmt.Errorf("%w: %q has no basicConstraints CA:TRUE; give the CA's root certificate, not a leaf",
			ErrNotCA, cert.Subject.String())
	}
	return nil
}

func selectStores(names []string) ([]string, error) {
	if len(names) == 0 {
		return DefaultStores, nil
	}
	var out []string
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if !slices.Contains(AllStores, n) {
			return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownStore, n, strings.Join(AllStores, ", "))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	// Process in a fixed order whatever order the caller named them in.
	slices.SortFunc(out, func(a, b string) int { return slices.Index(AllStores, a) - slices.Index(AllStores, b) })
	return out, nil
}

// containsDER reports whether a PEM bundle holds the certificate der.
func containsDER(bundle, der []byte) bool {
	for {
		var b *pem.Block
		b, bundle = pem.Decode(bundle)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && string(b.Bytes) == string(der) {
			return true
		}
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
