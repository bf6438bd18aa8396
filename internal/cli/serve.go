package cli

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/config"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/server"
)

// serveGCPercent is the garbage collector's target for `anchor serve` unless $GOGC says
// otherwise. Issuance allocates heavily (zlint parses every certificate) over a small live heap:
// at Go's default of 100 the collector took a seventh of the server's CPU under load. At 400,
// REST issuance under `make bench` ran 15–25% faster for a peak RSS of 61 MB instead of 45 MB.
const serveGCPercent = 400

func (e *env) serveCommand() *cobra.Command {
	var configFile, passFile string
	// Each flag is a config key; only the flags given override the file.
	flagKeys := []struct{ flag, key, usage string }{
		{"listen", "listen", "HTTPS address of the REST API, /healthz and /metrics (default 127.0.0.1:8443)"},
		{"http-listen", "http_listen", "plain-HTTP address of OCSP, CRLs and CA certificates (default 127.0.0.1:8080)"},
		{"url", "url", "public base URL written into certificates (first run default: http://HTTP-LISTEN-ADDRESS)"},
		{"db", "db", "inventory: a SQLite file (default DATA/anchor.db) or postgres://user@host/db"},
		{"acme-http01-port", "acme.http01_port", "port the ACME server connects to for http-01 validation (default 80)"},
		{"acme-tlsalpn01-port", "acme.tlsalpn01_port", "port the ACME server connects to for tls-alpn-01 validation (default 443)"},
		{"acme-resolver", "acme.resolver", "DNS server (host:port) for every ACME validation lookup (default: the system resolver)"},
	}
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--http-listen ADDR] [--url URL] [--db DSN]",
		Short: "Run the CA: REST API over HTTPS, OCSP, CRLs and CA certificates over HTTP",
		Long: `Run the certificate authority of the data directory as a server.

On the first run (no CA in the data directory) it creates the directory, a root and an
intermediate CA (ec-p256) and a commented config.yaml, and prints the root's fingerprint and
how to trust it. Every run then serves:

  HTTPS (--listen, default 127.0.0.1:8443), with a certificate the CA issues itself:
    /api/v1/    the REST API (bearer tokens from anchor token, or client certificates)
    /acme/directory  the ACME server (RFC 8555) for certbot, lego and other clients
    /healthz    200 when the inventory answers and the CA key signs, else 503
    /metrics    Prometheus metrics
  HTTP (--http-listen, default 127.0.0.1:8080), what relying parties fetch without TLS:
    /ocsp                  OCSP responder (GET and POST, RFC 6960)
    /crl/intermediate.crl  CRL of the intermediate, re-signed on every revocation
    /crl/root.crl          CRL of the root
    /ca/intermediate.crt   CA certificates (DER) at their AIA URLs
    /ca/root.crt
    /healthz, /metrics

Settings come from DATA/config.yaml (or --config FILE); each flag overrides its key. The file
is read strictly: an unknown key or a bad value stops the server with every problem listed.
Logs are JSON lines on stderr, one per request, plus an audit line per issuance and revocation.
SIGTERM or Ctrl-C stops accepting connections and lets requests in flight finish. The garbage
collector runs at GOGC=400 (more memory, less CPU) unless $GOGC is set; $GOMEMLIMIT caps the
heap where memory is tight.`,
		Example: `  anchor serve
  anchor serve --listen 0.0.0.0:8443 --http-listen 0.0.0.0:8080 --url http://ca.example.com:8080
  anchor serve --db postgres://anchor@db.internal/anchor --passphrase-file pass.txt
  curl --cacert anchor-data/ca/root.pem https://127.0.0.1:8443/healthz`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var settings []server.Setting
			for _, f := range flagKeys {
				if fl := cmd.Flags().Lookup(f.flag); fl.Changed {
					settings = append(settings, server.Setting{Key: f.key, Value: fl.Value.String()})
				}
			}
			dir := e.dataDir()
			cfg, err := server.LoadConfig(dir, configFile, settings)
			if err != nil {
				return configError(err)
			}
			pass, err := e.readPassphrase(passFile, passphraseEnv)
			if err != nil {
				return err
			}
			if e.getenv("GOGC") == "" {
				debug.SetGCPercent(serveGCPercent)
			}
			srv, err := server.New(cmd.Context(), server.Options{DataDir: dir, Config: cfg, Passphrase: pass,
				Logger: server.NewLogger(e.stderr, cfg.Log), Stdout: e.stdout})
			if err != nil {
				if errors.Is(err, keys.ErrPassphraseRequired) {
					return fmt.Errorf("%w (give --passphrase-file or set $%s)", err, passphraseEnv)
				}
				return configError(err)
			}
			return srv.Run(cmd.Context())
		},
	}
	for _, f := range flagKeys {
		cmd.Flags().String(f.flag, "", f.usage)
	}
	cmd.Flags().StringVar(&configFile, "config", "", "configuration file (default DATA/config.yaml)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of the CA keys: encrypts them on the first run (or $"+passphraseEnv+")")
	return cmd
}

// configError keeps a configuration's problems on one line, as every error of the command
// line is: the file and count first, then each problem with its line, separated by "; ".
func configError(err error) error {
	if _, ok := errors.AsType[*config.Error](err); !ok || !strings.Contains(err.Error(), "\n") {
		return err
	}
	return oneLineProblems{err}
}

type oneLineProblems struct{ err error }

func (e oneLineProblems) Error() string {
	first, rest, _ := strings.Cut(e.err.Error(), "\n")
	return first + " " + strings.ReplaceAll(rest, "\n", "; ")
}

func (e oneLineProblems) Unwrap() error { return e.err }
