package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/acmeclient"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/tlsproxy"
)

// acmeClientCommands are `anchor acme obtain` and `anchor acme renew`: the ACME client.
func (e *env) acmeClientCommands() []*cobra.Command {
	return []*cobra.Command{e.acmeObtainCommand(), e.acmeRenewCommand()}
}

// challengeFlags choose how control of the names is proven; exactly one is given.
type challengeFlags struct {
	http01Port, tlsALPN01Port int
	webroot, dnsHook, address string
}

func (c *challengeFlags) register(fl *pflag.FlagSet, prefix string) {
	fl.IntVar(&c.http01Port, prefix+"http-01-port", 0, "http-01: answer on this port with a built-in server (the CA connects to port 80)")
	fl.StringVar(&c.webroot, prefix+"webroot", "", "http-01: write the response under this web server document root")
	fl.IntVar(&c.tlsALPN01Port, prefix+"tls-alpn-01-port", 0, "tls-alpn-01: answer on this port with a built-in server (the CA connects to port 443)")
	fl.StringVar(&c.dnsHook, prefix+"dns-hook", "", "dns-01: `CMD`, run as CMD present|cleanup FQDN VALUE to publish the TXT record")
	fl.StringVar(&c.address, prefix+"challenge-address", "", "address the built-in challenge servers listen on (default: all)")
}

func (c *challengeFlags) challenge(prefix string) (acmeclient.Challenge, error) {
	var set []string
	ch := acmeclient.Challenge{Address: c.address}
	if c.http01Port != 0 {
		set, ch.Type, ch.Port = append(set, "--"+prefix+"http-01-port"), acme.ChallengeHTTP01, c.http01Port
	}
	if c.webroot != "" {
		set, ch.Type, ch.Webroot = append(set, "--"+prefix+"webroot"), acme.ChallengeHTTP01, absPath(c.webroot)
	}
	if c.tlsALPN01Port != 0 {
		set, ch.Type, ch.Port = append(set, "--"+prefix+"tls-alpn-01-port"), acme.ChallengeTLSALPN01, c.tlsALPN01Port
	}
	if c.dnsHook != "" {
		set, ch.Type, ch.DNSHook = append(set, "--"+prefix+"dns-hook"), acme.ChallengeDNS01, c.dnsHook
	}
	switch {
	case len(set) == 0:
		return ch, usagef("give one challenge method: --%shttp-01-port N, --%swebroot DIR, --%stls-alpn-01-port N or --%sdns-hook CMD",
			prefix, prefix, prefix, prefix)
	case len(set) > 1:
		return ch, usagef("give one challenge method, not %s", strings.Join(set, " and "))
	case c.http01Port < 0 || c.http01Port > 65535 || c.tlsALPN01Port < 0 || c.tlsALPN01Port > 65535:
		return ch, usagef("challenge port out of range")
	}
	return ch, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// acmeError turns the library's errors into the command line's: a bad request is a usage
// error (exit 2), an encrypted account key says which flag is missing.
func acmeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, acmeclient.ErrInvalidRequest):
		return usageError{err}
	case errors.Is(err, keys.ErrPassphraseRequired):
		return fmt.Errorf("%w (give --passphrase-file)", err)
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return fmt.Errorf("%w (give --roots with the CA's root certificate)", err)
	}
	return err
}

func acmeLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func (e *env) acmeObtainCommand() *cobra.Command {
	var (
		directory, outDir, keyType, email, passFile, roots, deployHook, eabKID, eabHMAC string
		domains                                                                         []string
		ch                                                                              challengeFlags
		asJSON                                                                          bool
	)
	cmd := &cobra.Command{
		Use:   "obtain --directory URL --domain NAME... (--http-01-port N | --webroot DIR | --tls-alpn-01-port N | --dns-hook CMD) --out-dir DIR",
		Short: "Obtain a certificate from an ACME CA into a directory",
		Long: `Obtain a certificate from any ACME (RFC 8555) CA: anchor serve, Let's Encrypt, step-ca, ...

The account key is created in --out-dir (account.key, encrypted with --passphrase-file) and
reused afterwards; --eab-kid and --eab-hmac bind a new account to an external account when the
CA requires it. Control of each name is proven with one challenge:

  --http-01-port N      a built-in HTTP server on port N (the CA connects to port 80)
  --webroot DIR         files under DIR/.well-known/acme-challenge/, for a web server already
                        serving the names; removed afterwards
  --tls-alpn-01-port N  a built-in TLS server on port N (the CA connects to port 443)
  --dns-hook CMD        runs "CMD present FQDN VALUE" before and "CMD cleanup FQDN VALUE" after
                        (FQDN like _acme-challenge.example.com. with its trailing dot, as lego's
                        exec provider); the only way to get a wildcard

--out-dir receives cert.pem (the leaf), chain.pem (its issuers), fullchain.pem (both), key.pem
(a fresh key, 0600), account.key and state.json, which "anchor acme renew" reads: renewing needs
nothing but --out-dir. --deploy-hook runs after this and every renewal with ANCHOR_CERT_DIR and
ANCHOR_DOMAINS set. --roots trusts the CA's HTTPS with a PEM bundle instead of the system roots.`,
		Example: `  anchor acme obtain --directory https://ca.internal:8443/acme/directory --roots anchor-data/ca/root.pem \
      --domain app.internal --domain 10.0.0.5 --http-01-port 80 --out-dir /etc/anchor/app
  anchor acme obtain --directory https://acme-v02.api.letsencrypt.org/directory --email ops@example.com \
      --domain example.com --webroot /var/www/html --out-dir certs --deploy-hook 'systemctl reload nginx'
  anchor acme obtain --directory URL --domain '*.example.com' --dns-hook /usr/local/bin/dns-update \
      --eab-kid KID --eab-hmac HMAC --key-type rsa-3072 --passphrase-file pass.txt --out-dir certs --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case directory == "":
				return usagef("acme obtain: --directory is required")
			case len(domains) == 0:
				return usagef("acme obtain: give at least one --domain")
			case outDir == "":
				return usagef("acme obtain: --out-dir is required")
			case (eabKID == "") != (eabHMAC == ""):
				return usagef("acme obtain: --eab-kid and --eab-hmac go together")
			}
			chc, err := ch.challenge("")
			if err != nil {
				return err
			}
			kt, err := keys.ParseType(keyType)
			if err != nil {
				return usagef("acme obtain: --key-type %q: give %s", keyType, typeList())
			}
			pass, err := e.readPassphrase(passFile, "")
			if err != nil {
				return err
			}
			c, err := acmeclient.New(acmeclient.Options{Dir: outDir, Passphrase: pass, RootsFile: roots, Logger: acmeLogger(e.stderr, slog.LevelWarn)})
			if err != nil {
				return err
			}
			req := acmeclient.ObtainRequest{Directory: directory, Domains: domains, Challenge: chc, KeyType: kt, Email: email, DeployHook: deployHook}
			if eabKID != "" {
				req.EAB = &acmeclient.EAB{KeyID: eabKID, HMACKey: eabHMAC}
			}
			res, err := c.Obtain(cmd.Context(), req)
			if res != nil {
				render(e.stdout, asJSON, res, func(w io.Writer) { acmeText(w, "obtained", res) })
			}
			return acmeError(err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&directory, "directory", "", "ACME directory URL (required)")
	fl.StringSliceVar(&domains, "domain", nil, "DNS name or IP address to obtain (repeatable)")
	ch.register(fl, "")
	fl.StringVar(&eabKID, "eab-kid", "", "external account binding key ID")
	fl.StringVar(&eabHMAC, "eab-hmac", "", "external account binding MAC key (base64url)")
	fl.StringVar(&keyType, "key-type", string(keys.DefaultType), "certificate key type: "+typeList())
	fl.StringVar(&email, "email", "", "contact address of a new account")
	fl.StringVar(&passFile, "passphrase-file", "", "file holding the passphrase that encrypts account.key")
	fl.StringVar(&roots, "roots", "", "PEM bundle trusted for the CA's HTTPS (default: system roots; remembered for renew)")
	fl.StringVar(&deployHook, "deploy-hook", "", "command run after each new certificate (env ANCHOR_CERT_DIR, ANCHOR_DOMAINS)")
	fl.StringVar(&outDir, "out-dir", "", "directory for the certificate, key and state (required)")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (e *env) acmeRenewCommand() *cobra.Command {
	var (
		outDir, passFile, roots string
		force, daemon, asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "renew --out-dir DIR [--force] [--daemon]",
		Short: "Renew the certificate of a directory when it is due",
		Long: `Renew the certificate "anchor acme obtain" put in --out-dir, with the settings it recorded
there (state.json), when it is due; otherwise say when it will be and exit 0.

Due means: the CA publishes renewal information (ARI, RFC 9773) and a point chosen at random
inside its suggested window has passed (the point is fixed per certificate, so checks agree;
a revoked certificate's window lies in the past, so it is renewed at once); or, from a CA
without ARI, two thirds of the lifetime have passed (less up to a twentieth, fixed per
certificate); or the certificate has expired. --force renews regardless. The new order names
the certificate it replaces when the CA speaks ARI.

--daemon keeps checking, sleeping until the next check (the CA's Retry-After, at most a day)
and stopping on SIGTERM or Ctrl-C; failed checks are retried after 5 minutes, then less often.`,
		Example: `  anchor acme renew --out-dir /etc/anchor/app
  anchor acme renew --out-dir certs --force --passphrase-file pass.txt
  anchor acme renew --out-dir /etc/anchor/app --daemon --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outDir == "" {
				return usagef("acme renew: --out-dir is required")
			}
			if daemon && force {
				return usagef("acme renew: --force renews once; it does not go with --daemon")
			}
			pass, err := e.readPassphrase(passFile, "")
			if err != nil {
				return err
			}
			level := slog.LevelWarn
			if daemon {
				level = slog.LevelInfo
			}
			c, err := acmeclient.New(acmeclient.Options{Dir: outDir, Passphrase: pass, RootsFile: roots, Logger: acmeLogger(e.stderr, level)})
			if err != nil {
				return err
			}
			show := func(res *acmeclient.Result) {
				render(e.stdout, asJSON, res, func(w io.Writer) { acmeText(w, "renewed", res) })
			}
			if !daemon {
				res, err := c.Renew(cmd.Context(), acmeclient.RenewRequest{Force: force})
				if res != nil {
					show(res)
				}
				return acmeError(err)
			}
			err = c.RunRenewals(cmd.Context(), time.Time{}, func(res *acmeclient.Result, err error) {
				if res != nil {
					show(res)
				}
				if err != nil {
					fmt.Fprintln(e.stderr, "anchor: "+oneLine(acmeError(err).Error()))
				}
			})
			if errors.Is(err, context.Canceled) {
				return nil // SIGTERM: a normal end
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&outDir, "out-dir", "", "directory written by anchor acme obtain (required)")
	fl.BoolVar(&force, "force", false, "renew even if not due")
	fl.BoolVar(&daemon, "daemon", false, "keep running and renew whenever due")
	fl.StringVar(&passFile, "passphrase-file", "", "file holding the passphrase of an encrypted account.key")
	fl.StringVar(&roots, "roots", "", "PEM bundle trusted for the CA's HTTPS (default: the one given to obtain, else system roots)")
	fl.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// acmeText is the text form of a Result.
func acmeText(w io.Writer, verb string, r *acmeclient.Result) {
	if r.Renewed {
		fmt.Fprintf(w, "%s certificate for %s (serial %s, %s)\n", verb, strings.Join(r.Domains, ", "), r.Serial, r.Reason)
		fmt.Fprintf(w, "valid until %s; files in %s: cert.pem chain.pem fullchain.pem key.pem\n", r.NotAfter.Format(time.RFC3339), r.Dir)
	} else {
		fmt.Fprintf(w, "%s\n", r.Reason)
		fmt.Fprintf(w, "certificate for %s (serial %s) valid until %s\n", strings.Join(r.Domains, ", "), r.Serial, r.NotAfter.Format(time.RFC3339))
	}
	if !r.RenewAt.IsZero() {
		fmt.Fprintf(w, "renewal due at %s; next check at %s\n", r.RenewAt.UTC().Format(time.RFC3339), r.NextCheck.UTC().Format(time.RFC3339))
	}
	if r.DeployHook != "" {
		fmt.Fprintf(w, "deploy hook ran: %s\n", r.DeployHook)
	}
}

// proxyACMEFlags are the flags of `anchor proxy --acme`.
type proxyACMEFlags struct {
	dir, email, keyType, roots string
	eabKID, eabHMAC            string
	challenge                  challengeFlags
}

func (p *proxyACMEFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&p.dir, "acme-dir", "anchor-proxy-acme", "with --acme: directory of the certificate, key, account and state (as anchor acme obtain --out-dir)")
	p.challenge.register(fl, "acme-")
	fl.StringVar(&p.email, "acme-email", "", "with --acme: contact address of a new account")
	fl.StringVar(&p.keyType, "acme-key-type", string(keys.DefaultType), "with --acme: certificate key type: "+typeList())
	fl.StringVar(&p.roots, "acme-roots", "", "with --acme: PEM bundle trusted for the CA's HTTPS (default: system roots)")
	fl.StringVar(&p.eabKID, "acme-eab-kid", "", "with --acme: external account binding key ID")
	fl.StringVar(&p.eabHMAC, "acme-eab-hmac", "", "with --acme: external account binding MAC key (base64url)")
}

// acmeCertSource serves the ACME directory's fullchain.pem and key.pem through a FileSource,
// which also picks up renewals made by another process, and renews in the background.
type acmeCertSource struct {
	*tlsproxy.FileSource
	renew func(context.Context)
}

// Run implements tlsproxy.Runner: the file watcher and the renewal loop, until ctx is done.
func (s *acmeCertSource) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.renew(ctx) })
	s.FileSource.Run(ctx)
	wg.Wait()
}

// proxyACMESource obtains the proxy's certificate (or reuses the one in --acme-dir while it is
// good and was obtained the same way) and returns a source that serves and renews it.
func (e *env) proxyACMESource(ctx context.Context, f *proxyFlags, log *slog.Logger) (tlsproxy.CertSource, error) {
	a := &f.acme
	chc, err := a.challenge.challenge("acme-")
	if err != nil {
		return nil, usagef("proxy --acme: %v", err)
	}
	kt, err := keys.ParseType(a.keyType)
	if err != nil {
		return nil, usagef("proxy: --acme-key-type %q: give %s", a.keyType, typeList())
	}
	if (a.eabKID == "") != (a.eabHMAC == "") {
		return nil, usagef("proxy: --acme-eab-kid and --acme-eab-hmac go together")
	}
	pass, err := e.readPassphrase(f.passFile, "")
	if err != nil {
		return nil, err
	}
	c, err := acmeclient.New(acmeclient.Options{Dir: a.dir, Passphrase: pass, RootsFile: a.roots, Logger: log})
	if err != nil {
		return nil, err
	}
	req := acmeclient.ObtainRequest{Directory: f.acmeURL, Domains: slices.Clone(f.domains), Challenge: chc, KeyType: kt, Email: a.email}
	if a.eabKID != "" {
		req.EAB = &acmeclient.EAB{KeyID: a.eabKID, HMACKey: a.eabHMAC}
	}
	var res *acmeclient.Result
	if st, err := acmeclient.ReadState(a.dir); err == nil && reusable(st, req) {
		res, err = c.Renew(ctx, acmeclient.RenewRequest{}) // renews only if due
		if err != nil {
			return nil, acmeError(err)
		}
	} else if res, err = c.Obtain(ctx, req); err != nil {
		return nil, acmeError(err)
	}
	log.Info("acme: serving certificate", "serial", res.Serial, "domains", res.Domains, "not_after", res.NotAfter,
		"renewed", res.Renewed, "reason", res.Reason, "renew_at", res.RenewAt)
	files, err := tlsproxy.NewFileSource(tlsproxy.FileSourceOptions{CertFile: filepath.Join(a.dir, acmeclient.FullChainFile),
		KeyFile: filepath.Join(a.dir, acmeclient.KeyFile), Logger: log})
	if err != nil {
		return nil, err
	}
	return &acmeCertSource{FileSource: files, renew: func(ctx context.Context) {
		c.RunRenewals(ctx, res.NextCheck, func(r *acmeclient.Result, err error) {
			switch {
			case err != nil:
				log.Error("acme: renewal failed", "error", oneLine(err.Error()))
			case r.Renewed:
				log.Info("acme: certificate renewed", "serial", r.Serial, "reason", r.Reason, "renew_at", r.RenewAt)
			}
			if r != nil && r.Renewed {
				if err := files.Reload(); err != nil {
					log.Error("acme: reloading the renewed certificate", "error", err.Error())
				}
			}
		})
	}}, nil
}

// reusable reports whether the directory's state was obtained as req asks (same CA, names,
// challenge and key type), so Renew may keep its certificate.
func reusable(st *acmeclient.State, req acmeclient.ObtainRequest) bool {
	norm := func(ds []string) []string {
		out := make([]string, 0, len(ds))
		for _, d := range ds {
			if id, err := acme.IdentifierFor(d); err == nil {
				out = append(out, id.Value)
			}
		}
		slices.Sort(out)
		return out
	}
	return st.Directory == req.Directory && slices.Equal(norm(st.Domains), norm(req.Domains)) &&
		st.Challenge == req.Challenge && st.KeyType == req.KeyType
}
