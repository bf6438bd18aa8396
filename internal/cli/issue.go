package cli

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
)

type issueResult struct {
	certSummary
	KeyFile   string `json:"key_file"`
	ChainFile string `json:"chain_file,omitempty"`
}

func (e *env) issueCommand() *cobra.Command {
	var profile, keyType, outCert, outKey, outChain, passFile, keyPassFile string
	var nDays int
	var force, asJSON bool
	cmd := &cobra.Command{
		Use:   "issue NAME... [--profile server|client]",
		Short: "Generate a key and issue a certificate for it in one step",
		Long: `Generate a key and have the intermediate CA issue a certificate for the given names: DNS
names, IP addresses, email addresses or URIs. The first NAME becomes the subject CN; all of them
are subjectAltNames. Files default to NAME.pem and NAME-key.pem ("*" becomes "_wildcard").`,
		Example: `  anchor issue localhost 127.0.0.1 ::1
  anchor issue api.svc.internal --out-cert api.pem --out-key api.key --out-chain api-chain.pem
  anchor issue alice@example.com --profile client --days 30`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := keys.ParseType(keyType)
			if err != nil {
				return err
			}
			sans, err := names.ParseSANs(args)
			if err != nil {
				return err
			}
			notAfter, err := days(time.Now(), nDays)
			if err != nil {
				return err
			}
			base := strings.ReplaceAll(args[0], "*", "_wildcard")
			base = strings.NewReplacer("/", "_", ":", "_").Replace(base)
			if outCert == "" {
				outCert = base + ".pem"
			}
			if outKey == "" {
				outKey = base + "-key.pem"
			}
			a, _, db, err := e.loadAuthority(cmd.Context(), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			keyPass, err := e.readPassphrase(keyPassFile, "")
			if err != nil {
				return err
			}
			k, keyPEM, err := e.generateKey(t, keyPass)
			if err != nil {
				return err
			}
			subject, err := cnSubject(sans.Strings()[0])
			if err != nil {
				return err
			}
			issued, err := a.Issue(cmd.Context(), ca.Request{PublicKey: k.Public(), Subject: subject, SANs: sans,
				Profile: profile, NotAfter: notAfter, Requester: "cli"})
			if err != nil {
				return err
			}
			files := []outFile{
				{path: outKey, data: keyPEM, mode: 0o600, secret: true},
				{path: outCert, data: pemfile.Encode("CERTIFICATE", issued.DER), mode: 0o644},
			}
			if outChain != "" {
				files = append(files, outFile{path: outChain, data: append(pemfile.Encode("CERTIFICATE", issued.DER), chainPEM(issued.Chain)...), mode: 0o644})
			}
			if err := writeAll(files, force); err != nil {
				return err
			}
			res := issueResult{certSummary: summarize(issued.Certificate, outCert, profile), KeyFile: outKey, ChainFile: outChain}
			return render(e.stdout, asJSON, res, func(w io.Writer) {
				res.text(w, "Issued")
				printf(w, "  key:      %s\n", res.KeyFile)
				if res.ChainFile != "" {
					printf(w, "  chain:    %s\n", res.ChainFile)
				}
			})
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "server", "certificate profile: server or client")
	cmd.Flags().StringVar(&keyType, "key-type", string(keys.DefaultType), "key type: "+typeList())
	cmd.Flags().IntVar(&nDays, "days", 0, "validity in days (default: the profile's, 90)")
	cmd.Flags().StringVar(&outCert, "out-cert", "", "certificate file (default NAME.pem)")
	cmd.Flags().StringVar(&outKey, "out-key", "", "private key file, written 0600 (default NAME-key.pem)")
	cmd.Flags().StringVar(&outChain, "out-chain", "", "also write certificate + intermediate to this file")
	cmd.Flags().StringVar(&keyPassFile, "key-passphrase-file", "", "encrypt the new key with this passphrase")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of the CA key (or $"+passphraseEnv+")")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// cnSubject puts the first name in the CN when it fits the 64-character upper bound of RFC 5280
// (ub-common-name); a longer name stays only in the SAN, where clients look anyway.
func cnSubject(first string) ([]byte, error) {
	if len(first) > 64 {
		return nil, nil
	}
	return asn1.Marshal(pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: first}}})
}
