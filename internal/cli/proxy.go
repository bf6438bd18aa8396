package cli

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/tlsproxy"
)

// proxyFlags are the flags of `anchor proxy`, checked together before anything is opened.
type proxyFlags struct {
	listen, upstream  string
	certFile, keyFile string
	passFile          string
	acmeURL           string
	domains           []string
	acme              proxyACMEFlags // the rest of --acme (acme_client.go)
	clientCA          string
	requireClientCert bool
	revocation        string
	ocspStaple        bool
	mode              tlsproxy.RevocationMode
	upstreamURL       *url.URL
}

func (e *env) proxyCommand() *cobra.Command {
	var f proxyFlags
	cmd := &cobra.Command{
		Use:   "proxy --upstream URL (--cert FILE --key FILE | --acme URL --domain NAME...) [--client-ca FILE [--require-client-cert]]",
		Short: "Serve a plain-HTTP application over HTTPS, optionally with client certificates",
		Long: `Run an HTTPS reverse proxy in front of a plain-HTTP application.

TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2. The application receives the Host the client sent,
X-Forwarded-For (the client's address), X-Forwarded-Proto (https) and X-Forwarded-Host;
whatever X-Forwarded-* headers the client sent are dropped, not trusted. When the application
is unreachable the client gets a 502 in plain text ("the upstream is unreachable: connection
refused"); its address and the details are in the log, not in the answer.

The server certificate comes from --cert (the leaf, then the intermediates) and --key (which
may be encrypted: --passphrase-file). Both files are compared every
few seconds and reloaded when they change: new handshakes get the new certificate, open
connections are not dropped, and a bad new pair is logged and ignored. --ocsp-staple staples
the responder's answer for the certificate, refreshed at half its validity.

With --acme URL and --domain NAME... the certificate comes from an ACME CA instead (anchor
serve, Let's Encrypt, ...): obtained at start into --acme-dir (default ./anchor-proxy-acme, laid
out as by "anchor acme obtain --out-dir"; reused while still good), proven with
--acme-http-01-port N, --acme-webroot DIR, --acme-tls-alpn-01-port N (not the proxy's port) or
--acme-dns-hook CMD, and renewed in the background when "anchor acme renew" would. A renewal
made by another process ("anchor acme renew --out-dir DIR --force") is served too. --acme-roots
trusts the CA's HTTPS; --passphrase-file then encrypts the ACME account key.

Mutual TLS: --client-ca names the root CAs (PEM bundle of self-signed CA certificates) whose
client certificates are accepted; they must allow clientAuth. Clients send their intermediate
with their certificate (a chain file, such as anchor issue --out-chain writes), so that every
certificate below the root is checked for revocation; an intermediate in the bundle would be a
trust anchor and escape that check, so the bundle refuses one. With --require-client-cert a
handshake without a certificate is
refused; otherwise a certificate is verified if given. The application receives
X-Client-Verify (SUCCESS or NONE) and, for a verified certificate, X-Client-Cert-Subject,
X-Client-Cert-SANs, X-Client-Cert-Serial and X-Client-Cert-Fingerprint (SHA-256); the client
cannot send these headers itself (they are removed from its request).

Client certificates are checked for revocation during the handshake (--client-revocation):
auto asks the certificate's OCSP responder and falls back to its CRL; ocsp and crl use only
one; off checks nothing. The check is hard-fail: when the status cannot be established (the
responder and the CRL unreachable, stale or unknown answers) the handshake is refused. Answers
are cached until their nextUpdate, at most an hour.

Logs are JSON lines on stderr, one per request. SIGTERM or Ctrl-C stops accepting connections
and lets requests in flight and WebSocket tunnels finish for up to 30 seconds, then closes them.`,
		Example: `  anchor issue app.internal 127.0.0.1 --out-cert app.pem --out-key app.key --out-chain app-chain.pem
  anchor proxy --listen 127.0.0.1:8443 --upstream http://127.0.0.1:5000 --cert app-chain.pem --key app.key
  curl --cacert anchor-data/ca/root.pem https://app.internal:8443/

  # certificate from an ACME CA, validated over http-01 on port 80, renewed automatically
  anchor proxy --listen :443 --upstream http://127.0.0.1:5000 --acme https://ca.internal:8443/acme/directory \
      --acme-roots anchor-data/ca/root.pem --domain app.internal --acme-http-01-port 80

  # mutual TLS: only clients with a certificate from this CA
  anchor issue alice@example.com --profile client --out-cert alice.pem --out-key alice.key --out-chain alice-chain.pem
  anchor proxy --upstream http://127.0.0.1:5000 --cert app-chain.pem --key app.key \
      --client-ca anchor-data/ca/root.pem --require-client-cert
  curl --cacert anchor-data/ca/root.pem --cert alice-chain.pem --key alice.key https://app.internal:8443/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return e.runProxy(cmd, &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:8443", "address to listen on (port 0: any free port, printed)")
	fl.StringVar(&f.upstream, "upstream", "", "base URL of the plain-HTTP application, e.g. http://127.0.0.1:5000 (required)")
	fl.StringVar(&f.certFile, "cert", "", "server certificate file (PEM: leaf, then intermediates)")
	fl.StringVar(&f.keyFile, "key", "", "server private key file")
	fl.StringVar(&f.passFile, "passphrase-file", "", "file holding the passphrase of an encrypted --key")
	fl.StringVar(&f.acmeURL, "acme", "", "obtain the certificate from this ACME directory URL instead of --cert/--key")
	fl.StringSliceVar(&f.domains, "domain", nil, "name to obtain with --acme (repeatable)")
	f.acme.register(fl)
	fl.StringVar(&f.clientCA, "client-ca", "", "PEM bundle of the CAs whose client certificates are accepted")
	fl.BoolVar(&f.requireClientCert, "require-client-cert", false, "refuse clients without a certificate (needs --client-ca)")
	fl.StringVar(&f.revocation, "client-revocation", "auto", "client certificate revocation check: auto, ocsp, crl or off")
	fl.BoolVar(&f.ocspStaple, "ocsp-staple", false, "staple the server certificate's OCSP response")
	return cmd
}

// check finds every mistake of the command line that needs no file, as usage errors.
func (f *proxyFlags) check() error {
	if f.upstream == "" {
		return usagef("proxy: --upstream is required")
	}
	u, err := url.Parse(f.upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("proxy: --upstream %q must be an http:// URL with a host", f.upstream)
	}
	f.upstreamURL = u
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return usagef("proxy: --listen %q: %v", f.listen, err)
	}
	switch {
	case f.acmeURL != "" && (f.certFile != "" || f.keyFile != ""):
		return usagef("proxy: give either --cert and --key or --acme, not both")
	case f.acmeURL == "" && len(f.domains) > 0:
		return usagef("proxy: --domain needs --acme")
	case f.acmeURL != "" && len(f.domains) == 0:
		return usagef("proxy: --acme needs at least one --domain")
	case f.acmeURL == "" && (f.certFile == "" || f.keyFile == ""):
		return usagef("proxy: give --cert and --key (or --acme and --domain)")
	case f.requireClientCert && f.clientCA == "":
		return usagef("proxy: --require-client-cert needs --client-ca")
	}
	if f.mode, err = tlsproxy.ParseRevocationMode(f.revocation); err != nil {
		return usagef("proxy: --client-revocation %q: give auto, ocsp, crl or off", f.revocation)
	}
	return nil
}

func (e *env) runProxy(cmd *cobra.Command, f *proxyFlags) error {
	ctx := cmd.Context()
	log := slog.New(slog.NewJSONHandler(e.stderr, nil))
	var certs tlsproxy.CertSource
	if f.acmeURL != "" {
		src, err := e.proxyACMESource(ctx, f, log)
		if err != nil {
			return err
		}
		certs = src
	} else {
		pass, err := e.readPassphrase(f.passFile, "") // not $ANCHOR_PASSPHRASE_FILE: that one is the CA keys'
		if err != nil {
			return err
		}
		files, err := tlsproxy.NewFileSource(tlsproxy.FileSourceOptions{CertFile: f.certFile, KeyFile: f.keyFile, Passphrase: pass, Logger: log})
		if err != nil {
			if errors.Is(err, keys.ErrPassphraseRequired) {
				return fmt.Errorf("%w (give --passphrase-file)", err)
			}
			return err
		}
		certs = files
	}
	if f.ocspStaple {
		certs = tlsproxy.Staple(certs, tlsproxy.StapleOptions{HTTPClient: e.httpClient, Logger: log})
	}
	var pool *x509.CertPool
	if f.clientCA != "" {
		cas, err := pemfile.ReadCertificates(f.clientCA)
		if err != nil {
			return err
		}
		if len(cas) == 0 {
			return fmt.Errorf("%s holds no certificate", f.clientCA)
		}
		pool = x509.NewCertPool()
		for i, c := range cas {
			// Only roots: an intermediate or a leaf as anchor would end the chain there, and
			// what is above it — its revocation, the root's constraints — would go unchecked.
			if !c.IsCA || !bytes.Equal(c.RawSubject, c.RawIssuer) || c.CheckSignatureFrom(c) != nil {
				return usagef("--client-ca: certificate %d of %s (%s) is not a self-signed root CA; give the root, and have clients send their intermediate (a chain file)",
					i+1, f.clientCA, c.Subject)
			}
			pool.AddCert(c)
		}
	}
	p, err := tlsproxy.New(tlsproxy.Options{Upstream: f.upstreamURL, Certs: certs, ClientCAs: pool, RequireClientCert: f.requireClientCert,
		Revocation: f.mode, HTTPClient: e.httpClient, Logger: log,
		OnListening: func(a net.Addr) {
			fmt.Fprintf(e.stdout, "anchor proxy: https://%s → %s\n", a, f.upstreamURL.Redacted())
		}})
	if err != nil {
		return err
	}
	return p.ListenAndServe(ctx, f.listen)
}
