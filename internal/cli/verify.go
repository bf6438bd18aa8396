package cli

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/verify"
)

// verifyReport is what `anchor verify` prints: the library's verdict, where the trust anchors
// came from and the time it was judged at.
type verifyReport struct {
	*verify.Result
	Roots     string    `json:"roots"` // the --roots file, the local CA's root file, or "system"
	RootCount int       `json:"root_count"`
	At        time.Time `json:"at"`
}

// verifyFlags are the command's flags, kept in one value so the helpers below can read them.
type verifyFlags struct {
	roots, intermediates, host, email, purpose, at, profile string
	ekus, crls                                              []string
	fetchCRL, ocsp, asJSON                                  bool
	maxDepth                                                int
}

func (e *env) verifyCommand() *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify CERT|-",
		Short: "Decide whether a certificate is trusted, and say why",
		Long: `Verify a certificate as a TLS client would: build a path to a trusted root, then check
signatures, validity, host name or email, key usages, path length, name constraints, and
optionally revocation by CRL and OCSP. Every check is listed with its result; each failure is
named. Exit status: 0 trusted, 1 not trusted (the failing checks are named on standard error),
2 usage error.

CERT is a file (PEM or DER) or "-" for standard input. A bundle is read leaf first; the other
certificates in it join --intermediates. Every file flag takes a PEM bundle; an empty file holds
no certificates (for --roots, that means nothing is trusted).

Trust: --roots trusts exactly the certificates in that file. Without it, the root of the local
CA (ca/root.pem in the --data directory) is trusted when it exists, else the system roots
($SSL_CERT_FILE or the distribution's bundle, plus $SSL_CERT_DIR). The output says which.

Purpose: with neither --purpose nor --eku, serverAuth is required when --host is given or the
profile is webpki, and nothing otherwise. --purpose server and client require serverAuth and
clientAuth; --eku requires each listed usage (a name or a dotted OID); given together, every
usage of both is required. --purpose any (or --eku anyExtendedKeyUsage) requires no extended key
usage at all, also with --host; it cannot be combined with other --eku values or --profile webpki.`,
		Example: `  anchor verify server.pem --host www.example.com
  anchor verify chain.pem --roots root.pem --purpose client
  anchor verify leaf.pem --intermediates inter.pem --roots root.pem --crl root.crl --crl inter.crl
  anchor verify leaf.pem --fetch-crl --ocsp --at 2026-01-15T12:00:00Z --json
  anchor verify app.pem --eku codeSigning,1.3.6.1.4.1.311.10.3.13 --max-depth 1
  openssl s_client -connect example.com:443 -showcerts </dev/null | anchor verify - --host example.com --profile webpki`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(cmd)
			if err != nil {
				return err
			}
			leaf, roots, err := e.verifyInputs(args[0], &f, &opts)
			if err != nil {
				return err
			}
			opts.HTTPClient = e.httpClient
			rep := verifyReport{Result: verify.Verify(cmd.Context(), leaf, opts), Roots: roots, RootCount: len(opts.Roots), At: opts.At}
			return e.renderVerdict(f.asJSON, rep, func(w io.Writer) { rep.text(w, displayName(args[0])) }, rep.Err())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.roots, "roots", "", "trust only the certificates in this file (default: the local CA's root, else the system roots)")
	fl.StringVar(&f.intermediates, "intermediates", "", "untrusted intermediate certificates for path building")
	fl.StringVar(&f.host, "host", "", "DNS name or IP address the certificate must be valid for")
	fl.StringVar(&f.email, "email", "", "email address the certificate must be valid for")
	fl.StringVar(&f.purpose, "purpose", "", "required purpose: server, client or any (see above for the default)")
	fl.StringSliceVar(&f.ekus, "eku", nil, "required extended key usages: "+verifyEKUNames()+" or dotted OIDs, comma-separated")
	fl.StringVar(&f.at, "at", "", "verify at this RFC 3339 time instead of now, e.g. 2026-01-15T12:00:00Z")
	fl.StringArrayVar(&f.crls, "crl", nil, "CRLs to check revocation against, PEM or DER (repeatable)")
	fl.BoolVar(&f.fetchCRL, "fetch-crl", false, "also fetch CRLs from the certificates' http:// distribution points")
	fl.BoolVar(&f.ocsp, "ocsp", false, "ask the OCSP responder of every certificate below the root")
	fl.IntVar(&f.maxDepth, "max-depth", 0, fmt.Sprintf("most intermediate CA certificates allowed, 0 for none (default %d)", verify.DefaultMaxDepth))
	fl.StringVar(&f.profile, "profile", string(verify.RFC5280), "rule set: rfc5280, or webpki to add the CA/Browser Forum Baseline Requirements")
	fl.BoolVar(&f.asJSON, "json", false, "print the verdict as JSON")
	return cmd
}

// options turns the flags that name no file into verify.Options. It always sets At, so the
// output can say what "now" was.
func (f *verifyFlags) options(cmd *cobra.Command) (verify.Options, error) {
	o := verify.Options{Host: f.host, Email: f.email, FetchCRL: f.fetchCRL, OCSP: f.ocsp,
		At: time.Now().UTC().Truncate(time.Second)}
	if f.at != "" {
		t, err := time.Parse(time.RFC3339Nano, f.at)
		if err != nil {
			return o, usagef("--at %q is not an RFC 3339 time such as 2026-01-15T12:00:00Z", f.at)
		}
		o.At = t.UTC()
	}
	switch p := verify.Profile(f.profile); p {
	case verify.RFC5280, verify.WebPKI:
		o.Profile = p
	default:
		return o, usagef("--profile %q: want %s or %s", f.profile, verify.RFC5280, verify.WebPKI)
	}
	if cmd.Flags().Changed("max-depth") {
		switch {
		case f.maxDepth < 0:
			return o, usagef("--max-depth must not be negative")
		case f.maxDepth == 0:
			o.MaxDepth = verify.NoIntermediates // the library's 0 means its default
		default:
			o.MaxDepth = f.maxDepth
		}
	}
	var err error
	o.EKUs, err = f.extKeyUsages(o.Profile)
	return o, err
}

// verifyInputs reads CERT and the file flags into o, and returns the leaf and where the roots
// came from.
func (e *env) verifyInputs(cert string, f *verifyFlags, o *verify.Options) (*x509.Certificate, string, error) {
	name := displayName(cert)
	data, err := e.readInput(cert)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", name, err)
	}
	bundle, err := verifyParseCerts(name, data)
	if err != nil {
		return nil, "", err
	}
	if len(bundle) == 0 {
		return nil, "", fmt.Errorf("%s: no certificate (the file is empty)", name)
	}
	inters, err := e.verifyReadCerts(f.intermediates)
	if err != nil {
		return nil, "", err
	}
	o.Intermediates = slices.Concat(bundle[1:], inters)
	var roots string
	if o.Roots, roots, err = e.verifyRoots(f.roots); err != nil {
		return nil, "", err
	}
	// Trusting the local CA's root, its intermediate is a candidate too: what `anchor issue`
	// writes then verifies without --intermediates.
	if layout := (ca.Layout{Dir: e.dataDir()}); f.roots == "" && roots == layout.RootCert() {
		if local, err := pemfile.ReadCertificates(layout.IntermediateCert()); err == nil {
			o.Intermediates = append(o.Intermediates, local...)
		}
	}
	for _, p := range f.crls {
		crls, err := e.verifyReadCRLs(p)
		if err != nil {
			return nil, "", err
		}
		o.CRLs = append(o.CRLs, crls...)
	}
	return bundle[0], roots, nil
}

// extKeyUsages combines --purpose and --eku. --purpose any is anyExtendedKeyUsage, which the
// library reads as "no purpose required", also in place of the serverAuth a host check implies.
func (f *verifyFlags) extKeyUsages(profile verify.Profile) ([]asn1.ObjectIdentifier, error) {
	var out []asn1.ObjectIdentifier
	add := func(oid asn1.ObjectIdentifier) {
		if !slices.ContainsFunc(out, oid.Equal) {
			out = append(out, oid)
		}
	}
	switch f.purpose {
	case "":
	case "server":
		add(verify.ExtKeyUsageByName["serverAuth"])
	case "client":
		add(verify.ExtKeyUsageByName["clientAuth"])
	case "any":
		switch {
		case len(f.ekus) > 0:
			return nil, usagef("--purpose any requires no extended key usage; it contradicts --eku")
		case profile == verify.WebPKI:
			return nil, usagef("--purpose any cannot be combined with --profile webpki, which requires serverAuth")
		}
		return []asn1.ObjectIdentifier{verify.ExtKeyUsageByName["anyExtendedKeyUsage"]}, nil
	default:
		return nil, usagef("--purpose %q: want server, client or any", f.purpose)
	}
	for _, s := range f.ekus {
		oid, err := verify.ParseEKU(strings.TrimSpace(s))
		if err != nil {
			return nil, usagef("--eku %q: want one of %s, or a dotted OID", s, verifyEKUNames())
		}
		add(oid)
	}
	return out, nil
}

func verifyEKUNames() string {
	names := make([]string, 0, len(verify.ExtKeyUsageByName))
	for n := range verify.ExtKeyUsageByName {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// verifyRoots returns the trust anchors and where they came from.
func (e *env) verifyRoots(flag string) ([]*x509.Certificate, string, error) {
	if flag != "" {
		roots, err := e.verifyReadCerts(flag)
		return roots, displayName(flag), err
	}
	local := ca.Layout{Dir: e.dataDir()}.RootCert()
	if _, err := os.Stat(local); err == nil {
		roots, err := e.verifyReadCerts(local)
		return roots, local, err
	}
	return e.systemRoots(), "system", nil
}

// systemRoots reads the trust store as crypto/x509 does on Linux (root_unix.go, root_linux.go):
// $SSL_CERT_FILE or the first bundle that exists, plus every file in $SSL_CERT_DIR's
// directories or the default ones. x509.SystemCertPool cannot be used: a CertPool does not
// give its certificates back, and verify.Options wants them. Like Go, it skips what does not
// parse: one odd certificate in a distribution's bundle must not make every verdict fail.
func (e *env) systemRoots() []*x509.Certificate {
	files := []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/cert.pem"}
	if f := e.getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	dirs := []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
	if d := e.getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	var roots []*x509.Certificate
	seen := map[string]bool{}
	add := func(data []byte) {
		for _, c := range lenientCerts(data) {
			// The directories hold the bundle's certificates again, under hash names too; one
			// copy each keeps the reported count true.
			if !seen[string(c.Raw)] {
				seen[string(c.Raw)] = true
				roots = append(roots, c)
			}
		}
	}
	for _, f := range files {
		if data, err := os.ReadFile(f); err == nil {
			add(data)
			break
		}
	}
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, ent := range entries {
			if data, err := os.ReadFile(filepath.Join(d, ent.Name())); err == nil {
				add(data)
			}
		}
	}
	return roots
}

// lenientCerts is x509.CertPool.AppendCertsFromPEM returning the certificates.
func lenientCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type != "CERTIFICATE" || len(b.Headers) != 0 {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

// verifyReadCerts reads the certificates of a file flag; "" and an empty file give none.
func (e *env) verifyReadCerts(path string) ([]*x509.Certificate, error) {
	if path == "" {
		return nil, nil
	}
	data, err := e.readInput(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayName(path), err)
	}
	return verifyParseCerts(displayName(path), data)
}

// verifyParseCerts parses a PEM bundle or DER certificate. Empty input is no certificates,
// not an error: pemfile leaves that choice to its callers.
func verifyParseCerts(name string, data []byte) ([]*x509.Certificate, error) {
	blocks, err := pemfile.Decode(data)
	if err != nil || len(blocks) == 0 {
		return nil, verifyNamed(name, err)
	}
	certs, err := pemfile.ParseCertificates(blocks)
	return certs, verifyNamed(name, err)
}

// verifyReadCRLs reads a --crl file: PEM (any number of CRLs) or DER; an empty file gives none.
func (e *env) verifyReadCRLs(path string) ([]*x509.RevocationList, error) {
	name := displayName(path)
	data, err := e.readInput(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	blocks, err := pemfile.Decode(data)
	if err != nil || len(blocks) == 0 {
		return nil, verifyNamed(name, err)
	}
	crls, err := pemfile.ParseCRLs(blocks)
	return crls, verifyNamed(name, err)
}

// verifyNamed puts the file name into a pemfile error, which names only the line and block when
// it decodes bytes.
func verifyNamed(name string, err error) error {
	if err == nil {
		return nil
	}
	if pe, ok := errors.AsType[*pemfile.Error](err); ok {
		named := *pe
		named.File = name
		return &named
	}
	return fmt.Errorf("%s: %w", name, err)
}

// renderVerdict prints a report with a verification verdict, as JSON or text, and turns a
// rejection into verifyRejected: verify and probe answer alike.
func (e *env) renderVerdict(asJSON bool, rep any, text func(io.Writer), verdict error) error {
	if err := render(e.stdout, asJSON, rep, text); err != nil {
		return err
	}
	if rej, ok := errors.AsType[*verify.Rejection](verdict); ok {
		return verifyRejected{rej}
	}
	return nil
}

// verifyRejected is the verdict "not trusted" as an error: exit 1, and one line on standard
// error naming the failing checks; the details are in the report on standard output.
type verifyRejected struct{ rej *verify.Rejection }

func (v verifyRejected) Error() string { return "certificate not trusted: " + failedNames(v.rej) }
func (v verifyRejected) Unwrap() error { return v.rej }

// failedNames lists each failing check once: a check may fail at several depths.
func failedNames(rej *verify.Rejection) string {
	var names []string
	for _, c := range rej.Failed {
		if !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return strings.Join(names, ", ")
}

func (r verifyReport) text(w io.Writer, name string) {
	if rej, ok := errors.AsType[*verify.Rejection](r.Err()); ok {
		printf(w, "%s: NOT TRUSTED (failed: %s)\n", name, failedNames(rej))
	} else {
		printf(w, "%s: trusted\n", name)
	}
	printf(w, "  roots: %s (%s)\n", r.Roots, countNoun(r.RootCount, "certificate"))
	printf(w, "  at:    %s\n", r.At.Format(time.RFC3339Nano))
	printf(w, "chain (%s tried):\n", countNoun(r.PathsTried, "path"))
	for i, c := range r.ChainSummary {
		printf(w, "  [%d] %s\n", i, c.Subject)
		printf(w, "      issuer:  %s\n", c.Issuer)
		printf(w, "      serial:  %s\n", c.Serial)
		printf(w, "      valid:   %s to %s\n", c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339))
		printf(w, "      sha256:  %s\n", c.SHA256)
	}
	printf(w, "checks:\n")
	for _, c := range r.Checks {
		printf(w, "  %-4s  %s\n", strings.ToUpper(string(c.Status)), c)
	}
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
