package cli

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
)

func (e *env) certCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "cert", Short: "Create standalone certificates"}
	cmd.AddCommand(e.certSelfSignedCommand())
	return cmd
}

// certSummary is how every command reports a certificate it wrote.
type certSummary struct {
	File        string    `json:"file,omitempty"`
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	SANs        []string  `json:"sans,omitempty"`
	Fingerprint string    `json:"sha256_fingerprint"`
	Profile     string    `json:"profile,omitempty"`
}

func summarize(c *x509.Certificate, file, profile string) certSummary {
	fp := sha256.Sum256(c.Raw)
	return certSummary{File: file, Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), SANs: certSANs(c), Fingerprint: hex.EncodeToString(fp[:]), Profile: profile}
}

func certSANs(c *x509.Certificate) []string {
	return names.SANs{DNS: c.DNSNames, IP: c.IPAddresses, Email: c.EmailAddresses, URI: c.URIs}.Strings()
}

func (s certSummary) text(w io.Writer, verb string) {
	printf(w, "%s %s\n", verb, s.File)
	printf(w, "  subject:  %s\n", s.Subject)
	if len(s.SANs) > 0 {
		printf(w, "  names:    %v\n", s.SANs)
	}
	printf(w, "  serial:   %s\n", s.Serial)
	printf(w, "  valid:    %s to %s\n", s.NotBefore.Format(time.RFC3339), s.NotAfter.Format(time.RFC3339))
	printf(w, "  sha256:   %s\n", s.Fingerprint)
}

func (e *env) certSelfSignedCommand() *cobra.Command {
	var keyFile, passFile, subject, out string
	var sans []string
	var nDays int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "self-signed --key FILE --subject DN [--san NAME]... --out FILE",
		Short: "Create a self-signed certificate",
		Long: `Create a self-signed certificate for a key, as "openssl req -x509" does, but with the
extensions TLS clients need: subjectAltName, serverAuth and clientAuth, digitalSignature.
It is its own trust anchor: give it to clients as the CA file.`,
		Example: `  anchor key create --out dev.key
  anchor cert self-signed --key dev.key --subject CN=dev.local --san dev.local --days 30 --out dev.pem`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keyFile == "" || out == "" {
				return usagef("--key and --out are required")
			}
			rdn, s, err := subjectAndSANs(subject, sans)
			if err != nil {
				return err
			}
			notAfter, err := days(time.Now(), nDays)
			if err != nil {
				return err
			}
			k, err := e.loadKey(keyFile, passFile)
			if err != nil {
				return err
			}
			l, err := lint.New(lint.Options{})
			if err != nil {
				return err
			}
			iss, err := issuance.NewSelfSigned(k, issuance.Options{Linter: l})
			if err != nil {
				return err
			}
			subj, err := asn1.Marshal(rdn)
			if err != nil {
				return err
			}
			serial, err := issuance.NewSerial(nil)
			if err != nil {
				return err
			}
			prep, err := iss.Prepare(issuance.Request{PublicKey: k.Public(), Subject: subj, SANs: s, Profile: issuance.SelfSigned,
				Serial: serial, NotAfter: notAfter})
			if err != nil {
				return err
			}
			der, err := iss.Sign(prep)
			if err != nil {
				return err
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return err
			}
			if err := writeAll([]outFile{{path: out, data: pemfile.Encode("CERTIFICATE", der), mode: 0o644}}, false); err != nil {
				return err
			}
			res := summarize(c, out, issuance.SelfSigned.Name)
			return render(e.stdout, asJSON, res, func(w io.Writer) { res.text(w, "Wrote self-signed certificate") })
		},
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "private key file (required)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of an encrypted key")
	cmd.Flags().StringVar(&subject, "subject", "", `subject, "CN=a,O=b" or "/CN=a/O=b"`)
	cmd.Flags().StringSliceVar(&sans, "san", nil, "subjectAltName: DNS name, IP, email or URI (repeatable)")
	cmd.Flags().IntVar(&nDays, "days", 365, "validity in days")
	cmd.Flags().StringVar(&out, "out", "", "file to write (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
