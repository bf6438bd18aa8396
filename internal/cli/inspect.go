package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/inspect"
)

func (e *env) inspectCommand() *cobra.Command {
	var passFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE|-",
		Short: "Describe certificates, bundles, CSRs, keys and CRLs (PEM or DER)",
		Long: `Describe what a file holds; PEM (any number of blocks) or DER is detected automatically.
For a private key only the type and public part are shown, never the secret. "-" reads
standard input.`,
		Example: `  anchor inspect server.pem
  openssl s_client -connect example.com:443 -showcerts </dev/null | anchor inspect -
  anchor inspect ca.crl --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := e.readInput(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			pass, err := e.readPassphrase(passFile, "")
			if err != nil {
				return err
			}
			objs, err := inspect.Describe(data, pass)
			if err != nil {
				return fmt.Errorf("%s: %w", displayName(args[0]), err)
			}
			return render(e.stdout, asJSON, objs, func(w io.Writer) {
				for i, o := range objs {
					if i > 0 {
						fmt.Fprintln(w)
					}
					writeObject(w, o)
				}
			})
		},
	}
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase to show the public part of an encrypted key")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the description as JSON")
	return cmd
}

func displayName(p string) string {
	if p == "-" {
		return "standard input"
	}
	return p
}

func writeObject(w io.Writer, o inspect.Object) {
	field := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "  %-20s %s\n", k+":", v)
		}
	}
	list := func(k string, v []string) {
		if len(v) > 0 {
			field(k, strings.Join(v, ", "))
		}
	}
	ts := func(t time.Time) string { return t.Format(time.RFC3339) }
	switch {
	case o.Certificate != nil:
		c := o.Certificate
		fmt.Fprintf(w, "[%d] Certificate\n", o.Index)
		field("subject", c.Subject)
		field("issuer", c.Issuer)
		field("serial", c.Serial)
		field("not before", ts(c.NotBefore))
		field("not after", ts(c.NotAfter))
		list("names", c.SANs)
		field("public key", c.PublicKey)
		field("signature", c.SignatureAlgorithm)
		ca := "no"
		if c.IsCA {
			ca = "yes"
			if c.MaxPathLen != nil {
				ca += fmt.Sprintf(" (path length %d)", *c.MaxPathLen)
			}
		}
		field("CA", ca)
		if c.SelfSigned {
			field("self-signed", "yes")
		}
		list("key usage", c.KeyUsage)
		list("ext key usage", c.ExtKeyUsage)
		list("permitted DNS", c.PermittedDNS)
		list("excluded DNS", c.ExcludedDNS)
		list("CRL", c.CRLDistribution)
		list("OCSP", c.OCSPServers)
		list("CA issuers", c.IssuingURLs)
		field("subject key id", c.SubjectKeyID)
		field("authority key id", c.AuthorityKeyID)
		field("sha256", c.SHA256)
	case o.Request != nil:
		r := o.Request
		fmt.Fprintf(w, "[%d] Certificate request\n", o.Index)
		field("subject", r.Subject)
		list("names", r.SANs)
		field("public key", r.PublicKey)
		field("signature", r.SignatureAlgorithm)
		if r.SignatureValid {
			field("signature valid", "yes")
		} else {
			field("signature valid", "NO: "+r.Problem)
		}
	case o.Key != nil:
		fmt.Fprintf(w, "[%d] Private key (%s)\n", o.Index, o.PEMType)
		if o.Key.Encrypted {
			field("encrypted", "yes")
		}
		field("public key", o.Key.PublicKey)
		field("key id", o.Key.KeyID)
		if o.Key.PublicKey == "" {
			fmt.Fprintln(w, "  (give --passphrase-file to show the public key)")
		}
	case o.CRL != nil:
		l := o.CRL
		fmt.Fprintf(w, "[%d] CRL\n", o.Index)
		field("issuer", l.Issuer)
		field("number", l.Number)
		field("this update", ts(l.ThisUpdate))
		field("next update", ts(l.NextUpdate))
		field("signature", l.SignatureAlgorithm)
		field("authority key id", l.AuthorityKeyID)
		field("entries", fmt.Sprint(l.Entries))
		for _, e := range l.Revoked {
			fmt.Fprintf(w, "    %s  %s  reason %d\n", e.Serial, ts(e.RevokedAt), e.Reason)
		}
	default:
		fmt.Fprintf(w, "[%d] %s (not described)\n", o.Index, o.PEMType)
	}
}
