package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

const passphraseEnv = "ANCHOR_PASSPHRASE_FILE"

func (e *env) caCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "ca", Short: "Create and use the certificate authority in the data directory"}
	cmd.AddCommand(e.caInitCommand(), e.caRootCommand(), e.caSignCommand())
	return cmd
}

type caInitResult struct {
	Dir           string      `json:"data_dir"`
	Root          certSummary `json:"root"`
	Intermediate  certSummary `json:"intermediate"`
	KeysEncrypted bool        `json:"keys_encrypted"`
}

func (e *env) caInitCommand() *cobra.Command {
	var name, keyType, passFile, baseURL string
	var rootDays, intDays int
	var permitted []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a root and an intermediate CA",
		Long: `Create a root CA and an intermediate CA signed by it in the data directory:
  ca/root.pem, ca/root.key, ca/intermediate.pem, ca/intermediate.key (keys 0600)
the inventory database anchor.db, which records both, and first CRLs in crl/ (root.crl valid
for a year, intermediate.crl for a week). Refuses to run if a CA exists.
--permitted-dns puts name constraints on the intermediate, so it can only issue inside those
domains. --url is the public base URL written into issued certificates (CRL, OCSP, CA issuers).`,
		Example: `  anchor ca init --name "Example Corp"
  anchor ca init --name Lab --key-type ec-p384 --permitted-dns lab.internal --passphrase-file pass.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := keys.ParseType(keyType)
			if err != nil {
				return err
			}
			if rootDays < 0 || intDays < 0 {
				return usagef("--root-days and --intermediate-days must be positive")
			}
			layout := ca.Layout{Dir: e.dataDir()}
			if layout.Exists() {
				return fmt.Errorf("%w in %s; remove it or use another --data directory", ca.ErrExists, layout.Dir)
			}
			pass, err := e.readPassphrase(passFile, passphraseEnv)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(layout.Dir, 0o700); err != nil {
				return err
			}
			db, err := e.openStore(cmd.Context(), layout)
			if err != nil {
				return err
			}
			defer db.Close()
			l, err := lint.New(lint.Options{})
			if err != nil {
				return err
			}
			var done func()
			h, err := layout.Create(cmd.Context(), ca.HierarchyOptions{
				Name: name, KeyType: t, RootValidity: time.Duration(rootDays) * 24 * time.Hour,
				IntermediateValidity: time.Duration(intDays) * 24 * time.Hour, PermittedDNS: permitted,
				BaseURL: baseURL, Linter: l, Inventory: db,
				Progress: func(stage string) {
					if done != nil {
						done()
					}
					done = progress(e.stderr, stage)
				},
			}, pass)
			if done != nil {
				done()
			}
			if err != nil {
				return err
			}
			// First CRLs, so the distribution points the certificates name are never empty: the
			// root's lasts a year because its key may go offline after this command.
			if _, err := writeCRL(cmd.Context(), db, h.Root, h.RootKey, layout.RootCRL(), "", 365); err != nil {
				return err
			}
			if _, err := writeCRL(cmd.Context(), db, h.Intermediate, h.IntermediateKey, layout.IntermediateCRL(), "", 7); err != nil {
				return err
			}
			res := caInitResult{Dir: layout.Dir, Root: summarize(h.Root, layout.RootCert(), "root"),
				Intermediate: summarize(h.Intermediate, layout.IntermediateCert(), "intermediate"), KeysEncrypted: pass != nil}
			return render(e.stdout, asJSON, res, func(w io.Writer) {
				res.Root.text(w, "Created root CA")
				res.Intermediate.text(w, "Created intermediate CA")
				printf(w, "\nGive clients the root certificate: %s\n", res.Root.File)
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", ca.DefaultName, "CA name (organisation; CNs are \"NAME Root CA\" and \"NAME Intermediate CA\")")
	cmd.Flags().StringVar(&keyType, "key-type", string(keys.DefaultType), "key type: "+typeList())
	cmd.Flags().IntVar(&rootDays, "root-days", 3650, "root validity in days")
	cmd.Flags().IntVar(&intDays, "intermediate-days", 1825, "intermediate validity in days")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "encrypt the CA keys with this passphrase (or $"+passphraseEnv+")")
	cmd.Flags().StringSliceVar(&permitted, "permitted-dns", nil, "name constraint: the intermediate may only issue inside this domain (repeatable)")
	cmd.Flags().StringVar(&baseURL, "url", "", "public base URL of the CA, written into certificates for CRL/OCSP/AIA")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func (e *env) caRootCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "root",
		Short:   "Print the root certificate (PEM): what clients must trust",
		Example: `  anchor ca root > root.pem`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			layout := ca.Layout{Dir: e.dataDir()}
			root, err := pemfile.ReadCertificate(layout.RootCert())
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return fmt.Errorf("%w in %s (run `anchor ca init` first)", ca.ErrNoCA, layout.Dir)
				}
				return err
			}
			if asJSON {
				return render(e.stdout, true, struct {
					certSummary
					PEM string `json:"pem"`
				}{summarize(root, layout.RootCert(), "root"), string(pemfile.Encode("CERTIFICATE", root.Raw))}, nil)
			}
			_, err = e.stdout.Write(pemfile.Encode("CERTIFICATE", root.Raw))
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the root's details and PEM as JSON")
	return cmd
}

// loadAuthority opens the inventory and the CA of the data directory.
func (e *env) loadAuthority(ctx context.Context, passFile string) (*ca.Authority, *ca.Loaded, *store.DB, error) {
	layout := ca.Layout{Dir: e.dataDir()}
	meta, err := layout.Meta()
	if err != nil {
		return nil, nil, nil, err
	}
	pass, err := e.readPassphrase(passFile, passphraseEnv)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := lint.New(lint.Options{})
	if err != nil {
		return nil, nil, nil, err
	}
	loaded, err := layout.Load(ca.LoadOptions{Passphrase: pass, Linter: l, BaseURL: meta.BaseURL})
	if err != nil {
		if errors.Is(err, keys.ErrPassphraseRequired) {
			return nil, nil, nil, fmt.Errorf("%w (give --passphrase-file or set $%s)", err, passphraseEnv)
		}
		return nil, nil, nil, err
	}
	db, err := e.openStore(ctx, layout)
	if err != nil {
		return nil, nil, nil, err
	}
	a, err := ca.New(ca.Options{Inventory: db, Issuer: loaded.Issuer, Chain: []*x509.Certificate{loaded.Intermediate}})
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return a, loaded, db, nil
}

func (e *env) openStore(ctx context.Context, layout ca.Layout) (*store.DB, error) {
	return store.Open(ctx, layout.Database(), store.Options{})
}

func (e *env) caSignCommand() *cobra.Command {
	var profile, out, passFile string
	var nDays int
	var withChain, asJSON bool
	cmd := &cobra.Command{
		Use:   "sign CSR --profile server|client --out FILE",
		Short: "Sign a CSR (from anchor, openssl or anyone) with the intermediate CA",
		Long: `Sign a PKCS#10 request, PEM or DER, with the intermediate CA. The subject and subjectAltNames
come from the CSR; the profile decides key usage and extended key usage. The certificate is
recorded in the inventory before the file is written. With --chain the file also holds the
intermediate, as web servers want it.`,
		Example: `  openssl req -new -newkey rsa:2048 -nodes -keyout web.key -subj /CN=web.internal \
      -addext subjectAltName=DNS:web.internal -out web.csr
  anchor ca sign web.csr --profile server --days 90 --out web.pem --chain`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			notAfter, err := days(time.Now(), nDays)
			if err != nil {
				return err
			}
			data, err := e.readInput(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			req, err := csr.Parse(data)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			a, _, db, err := e.loadAuthority(cmd.Context(), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			r := ca.RequestFromCSR(req, profile)
			r.NotAfter, r.Requester = notAfter, "cli"
			issued, err := a.Issue(cmd.Context(), r)
			if err != nil {
				return err
			}
			data = pemfile.Encode("CERTIFICATE", issued.DER)
			if withChain {
				data = append(data, chainPEM(issued.Chain)...)
			}
			if err := writeAll([]outFile{{path: out, data: data, mode: 0o644}}, false); err != nil {
				return err
			}
			res := summarize(issued.Certificate, out, profile)
			return render(e.stdout, asJSON, res, func(w io.Writer) { res.text(w, "Signed") })
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "server", "certificate profile: server or client")
	cmd.Flags().IntVar(&nDays, "days", 0, "validity in days (default: the profile's, 90)")
	cmd.Flags().StringVar(&out, "out", "", "certificate file to write (required)")
	cmd.Flags().BoolVar(&withChain, "chain", false, "append the intermediate certificate to --out")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of the CA key (or $"+passphraseEnv+")")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func chainPEM(chain []*x509.Certificate) []byte {
	var b []byte
	for _, c := range chain {
		b = append(b, pemfile.Encode("CERTIFICATE", c.Raw)...)
	}
	return b
}
