package cli

import (
	"crypto/x509"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/verify"
)

type ocspResult struct {
	URL        string     `json:"url"`
	Serial     string     `json:"serial"`
	Status     string     `json:"status"` // good, revoked, unknown
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Reason     string     `json:"reason,omitempty"`
	ProducedAt time.Time  `json:"produced_at"`
	ThisUpdate time.Time  `json:"this_update"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	Responder  string     `json:"responder"` // the delegated responder's subject, or the issuer's
	Stale      bool       `json:"stale"`
}

func (e *env) ocspCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ocsp",
		Short: "Online certificate status (RFC 6960)",
		Args:  noArgs,
	}
	cmd.AddCommand(e.ocspCheckCommand())
	return cmd
}

func (e *env) ocspCheckCommand() *cobra.Command {
	var issuerFile, url string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check CERT --issuer FILE [--url URL]",
		Short: "Ask an OCSP responder whether a certificate is revoked",
		Long: `Send an OCSP request for CERT to URL (default: the responder named in the certificate's
authorityInfoAccess) and report the answer once its signature is shown to come from the issuer
or from a responder the issuer delegated (id-kp-OCSPSigning).

CERT may be a bundle whose second certificate is the issuer; then --issuer may be left out.
Exit status: 0 when the answer is "good" and current, 1 when it is "revoked", "unknown",
stale, or no trustworthy answer came.`,
		Example: `  anchor ocsp check api.pem --issuer anchor-data/ca/intermediate.pem
  anchor ocsp check api-chain.pem --url http://127.0.0.1:8080/ocsp --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			certs, err := pemfile.ReadCertificates(args[0])
			if err != nil {
				return err
			}
			cert := certs[0]
			var issuer *x509.Certificate
			switch {
			case issuerFile != "":
				if issuer, err = pemfile.ReadCertificate(issuerFile); err != nil {
					return err
				}
			case len(certs) > 1:
				issuer = certs[1]
			default:
				return usagef("%s holds no issuer certificate: give --issuer FILE", args[0])
			}
			if err := cert.CheckSignatureFrom(issuer); err != nil {
				return fmt.Errorf("%s was not issued by %s: %w", args[0], issuer.Subject, err)
			}
			resp, used, err := verify.QueryOCSP(cmd.Context(), verify.OCSPQuery{Cert: cert, Issuer: issuer, URL: url, Client: e.httpClient})
			if err != nil {
				return err
			}
			res := describeOCSP(resp, used, issuer, time.Now())
			if err := render(e.stdout, asJSON, res, res.text); err != nil {
				return err
			}
			switch {
			case res.Stale:
				return fmt.Errorf("the response is stale: nextUpdate %s has passed", res.NextUpdate.Format(time.RFC3339))
			case res.Status != "good":
				return fmt.Errorf("certificate %s is %s", res.Serial, res.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&issuerFile, "issuer", "", "the issuing CA certificate")
	cmd.Flags().StringVar(&url, "url", "", "responder URL (default: from the certificate)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the answer as JSON")
	return cmd
}

func describeOCSP(r *ocsp.Response, url string, issuer *x509.Certificate, now time.Time) ocspResult {
	res := ocspResult{URL: url, Serial: fmt.Sprintf("%x", r.SerialNumber), ProducedAt: r.ProducedAt.UTC(),
		ThisUpdate: r.ThisUpdate.UTC(), Responder: issuer.Subject.String()}
	if r.Certificate != nil {
		res.Responder = r.Certificate.Subject.String()
	}
	if !r.NextUpdate.IsZero() {
		n := r.NextUpdate.UTC()
		res.NextUpdate, res.Stale = &n, now.After(n)
	}
	switch r.Status {
	case ocsp.Good:
		res.Status = "good"
	case ocsp.Revoked:
		at := r.RevokedAt.UTC()
		res.Status, res.RevokedAt, res.Reason = "revoked", &at, revocation.Reason(r.RevocationReason).String()
	default:
		res.Status = "unknown"
	}
	return res
}

func (r ocspResult) text(w io.Writer) {
	printf(w, "%s: %s\n", r.Serial, r.Status)
	if r.RevokedAt != nil {
		printf(w, "  revoked:     %s, reason %s\n", r.RevokedAt.Format(time.RFC3339), r.Reason)
	}
	printf(w, "  responder:   %s (%s)\n", r.URL, r.Responder)
	printf(w, "  produced at: %s\n", r.ProducedAt.Format(time.RFC3339))
	printf(w, "  this update: %s\n", r.ThisUpdate.Format(time.RFC3339))
	if r.NextUpdate != nil {
		stale := ""
		if r.Stale {
			stale = " (stale)"
		}
		printf(w, "  next update: %s%s\n", r.NextUpdate.Format(time.RFC3339), stale)
	}
}
