package cli

import (
	"bytes"
	"crypto"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

func (e *env) revokeCommand() *cobra.Command {
	var certFile, reasonName, passFile string
	var asJSON, root bool
	cmd := &cobra.Command{
		Use:   "revoke SERIAL|--cert FILE [--reason REASON]",
		Short: "Revoke a certificate the CA issued",
		Long: `Record the revocation of a certificate in the inventory. OCSP answers "revoked" from the next
request on; the next CRL (anchor crl create) lists it.

SERIAL is the hexadecimal serial as anchor list and openssl x509 -serial print it (colons and a
0x prefix are accepted). REASON is an RFC 5280 reason: unspecified (the default), keyCompromise,
cACompromise, affiliationChanged, superseded, cessationOfOperation, certificateHold,
privilegeWithdrawn; removeFromCRL releases a certificate from certificateHold, the only
revocation that can be undone.

Revoking a certificate twice changes nothing: the first time and reason stand and are reported.

--root revokes a certificate the root signed, which is the intermediate: it needs the root key,
and the revocation reaches relying parties through the root's CRL (anchor crl create --root).`,
		Example: `  anchor revoke 3a7f09c2e1d5b4a8 --reason keyCompromise
  anchor revoke --cert api.pem --reason superseded
  anchor revoke --cert laptop.pem --reason certificateHold
  anchor revoke --cert laptop.pem --reason removeFromCRL --json
  anchor revoke --root --cert anchor-data/ca/intermediate.pem --reason cACompromise && anchor crl create --root`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (certFile != "") {
				return usagef("give a SERIAL or --cert FILE (one of them)")
			}
			reason, err := revocation.ParseReason(reasonName)
			if err != nil {
				return usageError{err}
			}
			a, loaded, db, err := e.loadAuthority(cmd.Context(), passFile)
			if err != nil {
				return err
			}
			defer db.Close()
			if root {
				if a, err = e.rootAuthority(loaded, db, passFile); err != nil {
					return err
				}
			}
			var serial *big.Int
			if certFile != "" {
				c, err := pemfile.ReadCertificate(certFile)
				if err != nil {
					return err
				}
				if !bytes.Equal(c.AuthorityKeyId, a.Issuer().KeyID()) {
					which, hint := "intermediate", ""
					if root {
						which = "root"
					} else if bytes.Equal(c.AuthorityKeyId, loaded.Root.SubjectKeyId) {
						hint = "; it was signed by the root: add --root"
					}
					return fmt.Errorf("%s: not issued by this CA's %s (%s)%s", certFile, which, a.Issuer().Certificate().Subject, hint)
				}
				serial = c.SerialNumber
			} else if serial, err = parseSerial(args[0]); err != nil {
				return usageError{err}
			}
			r, err := a.Revoke(cmd.Context(), serial, reason, "cli")
			if err != nil {
				return err
			}
			return render(e.stdout, asJSON, r, func(w io.Writer) {
				switch {
				case r.Released:
					printf(w, "Released %s (%s) from hold: it is valid again\n", r.Serial, r.Subject)
				case r.Already:
					printf(w, "%s (%s) was already revoked on %s, reason %s; the first revocation stands\n",
						r.Serial, r.Subject, r.RevokedAt.Format(time.RFC3339), r.Reason)
				default:
					printf(w, "Revoked %s (%s) on %s, reason %s\n", r.Serial, r.Subject, r.RevokedAt.Format(time.RFC3339), r.Reason)
					if root {
						printf(w, "Sign the root's CRL so relying parties see it: anchor crl create --root\n")
					}
				}
			})
		},
	}
	cmd.Flags().StringVar(&certFile, "cert", "", "revoke the certificate in this file instead of naming its serial")
	cmd.Flags().StringVar(&reasonName, "reason", "unspecified", "RFC 5280 revocation reason")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "passphrase of the CA key (or $"+passphraseEnv+")")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&root, "root", false, "revoke a certificate the root signed (the intermediate); needs the root key")
	return cmd
}

// rootAuthority is an authority for what the root signs: revocation reads and writes only the
// inventory, but holding the root key is what entitles the caller to revoke the intermediate.
func (e *env) rootAuthority(loaded *ca.Loaded, db *store.DB, passFile string) (*ca.Authority, error) {
	key, err := e.loadRootKey(passFile)
	if err != nil {
		return nil, err
	}
	iss, err := issuance.New(issuance.Options{Cert: loaded.Root, Signer: key})
	if err != nil {
		return nil, err
	}
	return ca.New(ca.Options{Inventory: db, Issuer: iss})
}

// loadRootKey reads the data directory's root key, which only the commands that act for the
// root need (crl create --root, revoke --root).
func (e *env) loadRootKey(passFile string) (crypto.Signer, error) {
	pass, err := e.readPassphrase(passFile, passphraseEnv)
	if err != nil {
		return nil, err
	}
	return ca.Layout{Dir: e.dataDir()}.LoadRootKey(pass)
}

// parseSerial reads a serial as people copy it: what issuance.ParseSerial takes, with
// surrounding blanks or a 0x prefix.
func parseSerial(s string) (*big.Int, error) {
	t := strings.TrimSpace(s)
	n, err := issuance.ParseSerial(strings.TrimPrefix(strings.TrimPrefix(t, "0x"), "0X"))
	if err != nil {
		return nil, fmt.Errorf("invalid serial %q: want a positive hexadecimal number such as 3a7f09c2e1d5b4a8", s)
	}
	return n, nil
}
