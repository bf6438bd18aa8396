package cli

import (
	"context"
	"crypto"
	"crypto/x509"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/crl"
)

type crlResult struct {
	File       string    `json:"file"`
	Format     string    `json:"format"`
	Number     string    `json:"number"` // decimal; a string because CRL numbers may exceed 2^53
	Entries    int       `json:"entries"`
	Bytes      int64     `json:"bytes"`
	Issuer     string    `json:"issuer"`
	ThisUpdate time.Time `json:"this_update"`
	NextUpdate time.Time `json:"next_update"`
}

func (e *env) crlCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "crl",
		Short: "Certificate revocation lists",
		Args:  noArgs,
	}
	cmd.AddCommand(e.crlCreateCommand())
	return cmd
}

func (e *env) crlCreateCommand() *cobra.Command {
	var out, format, passFile string
	var nDays int
	var root, asJSON bool
	cmd := &cobra.Command{
		Use:   "create [--out FILE] [--days N] [--root]",
		Short: "Sign a full CRL of the intermediate's (or the root's) revoked certificates",
		Long: `Sign a complete RFC 5280 CRL listing every unexpired certificate the intermediate issued
and the inventory records as revoked, with reason codes. Its CRL number comes from the inventory
and only increases; thisUpdate is now and nextUpdate is --days later.

The default file is crl/intermediate.crl in the data directory, in DER, the form relying parties
fetch from the CRL distribution point. --format pem writes PEM ("X509 CRL"), which openssl's
-CRLfile reads too; the default format follows the file name (.pem: PEM, otherwise DER).

--root signs the root's CRL instead (default crl/root.crl), which covers the intermediate: it
needs the root key. ca init writes a first one valid for a year; re-sign it before it expires.`,
		Example: `  anchor crl create
  anchor crl create --out intermediate.crl.pem --days 1
  anchor crl create --root --days 365
  openssl crl -in anchor-data/crl/intermediate.crl -inform DER -noout -text`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nDays <= 0 {
				return usagef("--days must be at least 1")
			}
			if format != "" && format != "der" && format != "pem" {
				return usagef("--format must be der or pem, not %q", format)
			}
			layout := ca.Layout{Dir: e.dataDir()}
			_, loaded, db, err := e.loadAuthority(cmd.Context(), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			issuer, signer, defOut := loaded.Intermediate, loaded.Issuer.Signer(), layout.IntermediateCRL()
			if root {
				if signer, err = e.loadRootKey(passFile); err != nil {
					return err
				}
				issuer, defOut = loaded.Root, layout.RootCRL()
			}
			if out == "" {
				out = defOut
			}
			res, err := writeCRL(cmd.Context(), db, issuer, signer, out, format, nDays)
			if err != nil {
				return err
			}
			return render(e.stdout, asJSON, res, res.text)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "CRL file (default DATA/crl/intermediate.crl, or DATA/crl/root.crl with --root)")
	cmd.Flags().IntVar(&nDays, "days", 7, "days until nextUpdate")
	cmd.Flags().StringVar(&format, "format", "", "der or pem (default: pem for a .pem file, else der)")
	cmd.Flags().BoolVar(&root, "root", false, "sign the root's CRL (needs the root key)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of the CA key (or $"+passphraseEnv+")")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// crlSource is the inventory as a CRL needs it.
type crlSource interface {
	crl.RevocationSource
	crl.NumberSource
}

// writeCRL signs the issuer's CRL from the inventory into out (crl.WriteNextFile: atomically,
// so a web server publishing the file never serves half a CRL), nextUpdate nDays from now.
func writeCRL(ctx context.Context, db crlSource, issuer *x509.Certificate, signer crypto.Signer, out, format string, nDays int) (crlResult, error) {
	if format == "" {
		format = "der"
		if strings.HasSuffix(out, ".pem") {
			format = "pem"
		}
	}
	enc := crl.DER
	if format == "pem" {
		enc = crl.PEM
	}
	now := time.Now().UTC().Truncate(time.Second)
	o := crl.Options{Issuer: issuer, Signer: signer, ThisUpdate: now, NextUpdate: now.Add(time.Duration(nDays) * 24 * time.Hour)}
	f, err := crl.WriteNextFile(ctx, out, enc, db, db, o)
	if err != nil {
		return crlResult{}, err
	}
	return crlResult{File: out, Format: format, Number: f.Number.String(), Entries: f.Stats.Entries, Bytes: f.Stats.Bytes,
		Issuer: issuer.Subject.String(), ThisUpdate: o.ThisUpdate, NextUpdate: o.NextUpdate}, nil
}

func (r crlResult) text(w io.Writer) {
	printf(w, "Wrote CRL number %s to %s (%s, %d bytes)\n", r.Number, r.File, strings.ToUpper(r.Format), r.Bytes)
	printf(w, "  issuer:   %s\n", r.Issuer)
	printf(w, "  revoked:  %d certificates\n", r.Entries)
	printf(w, "  valid:    %s to %s\n", r.ThisUpdate.Format(time.RFC3339), r.NextUpdate.Format(time.RFC3339))
}
