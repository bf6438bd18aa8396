package cli

import (
	"crypto/x509/pkix"
	"io"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
)

func (e *env) csrCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "csr", Short: "Create certificate signing requests (PKCS#10)"}
	cmd.AddCommand(e.csrCreateCommand())
	return cmd
}

type csrCreated struct {
	File    string   `json:"file"`
	Subject string   `json:"subject"`
	SANs    []string `json:"sans"`
}

// subjectAndSANs parses --subject and --san the same way for every command that takes them.
func subjectAndSANs(subject string, sans []string) (pkix.RDNSequence, names.SANs, error) {
	rdn, err := names.ParseSubject(subject)
	if err != nil {
		return nil, names.SANs{}, err
	}
	s, err := names.ParseSANs(sans)
	if err != nil {
		return nil, names.SANs{}, err
	}
	return rdn, s, nil
}

func (e *env) csrCreateCommand() *cobra.Command {
	var keyFile, passFile, subject, out string
	var sans []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --key FILE --subject DN [--san NAME]... --out FILE",
		Short: "Create a CSR for an existing key",
		Long: `Create a PKCS#10 certificate signing request. --subject takes "CN=a,O=b" or openssl's
"/CN=a/O=b". --san takes DNS names, IP addresses, email addresses and URIs (repeat it, or
separate with commas); prefixes DNS:, IP:, email:, URI: are accepted as in openssl.`,
		Example: `  anchor csr create --key server.key --subject "CN=example.com,O=Example" \
      --san example.com --san www.example.com --san 10.0.0.1 --out server.csr`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" || out == "" {
				return usagef("--key and --out are required")
			}
			rdn, s, err := subjectAndSANs(subject, sans)
			if err != nil {
				return err
			}
			k, err := e.loadKey(keyFile, passFile)
			if err != nil {
				return err
			}
			der, err := csr.Create(csr.Request{Key: k, Subject: rdn, SANs: s})
			if err != nil {
				return err
			}
			if err := writeAll([]outFile{{path: out, data: pemfile.Encode("CERTIFICATE REQUEST", der), mode: 0o644}}, false); err != nil {
				return err
			}
			res := csrCreated{File: out, Subject: names.FormatSubject(rdn), SANs: s.Strings()}
			return render(e.stdout, asJSON, res, func(w io.Writer) {
				printf(w, "Wrote CSR for %q to %s\n", res.Subject, res.File)
			})
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key file (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of an encrypted key")
	cmd.Flags().StringVar(&subject, "subject", "", `subject, "CN=a,O=b" or "/CN=a/O=b"`)
	cmd.Flags().StringSliceVar(&sans, "san", nil, "subjectAltName: DNS name, IP, email or URI (repeatable)")
	cmd.Flags().StringVar(&out, "out", "", "file to write (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
