package cli

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/store"
)

func (e *env) acmeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acme",
		Short: "ACME: external account binding keys of the server, and the ACME client",
		Long: `anchor serve answers ACME (RFC 8555) at https://LISTEN/acme/directory, for certbot, lego
and every other ACME client. "anchor acme eab" manages the external account binding keys
(RFC 8555 §7.3.4) that the server asks for when acme.eab_required is true in config.yaml.
"anchor acme obtain" and "anchor acme renew" are an ACME client for any RFC 8555 CA.`,
		Example: `  anchor acme eab create --name team-web
  anchor acme obtain --directory https://127.0.0.1:8443/acme/directory --roots anchor-data/ca/root.pem \
      --domain app.example.internal --http-01-port 80 --out-dir certs/app
  anchor acme renew --out-dir certs/app --daemon`,
	}
	cmd.AddCommand(e.acmeEABCommand())
	cmd.AddCommand(e.acmeClientCommands()...)
	return cmd
}

func (e *env) acmeEABCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eab",
		Short: "Create, list and revoke external account binding keys",
		Long: `An external account binding (EAB) key ties a new ACME account to something the CA's operator
already trusts: hand the key ID and MAC key to one team, and only their ACME client can open an
account. Each key binds one account. Keys take effect while the server runs.`,
		Example: `  anchor acme eab create --name team-web
  anchor acme eab list
  anchor acme eab revoke eab_3q2-7wQZ1mN0c8Yb`,
	}
	cmd.AddCommand(e.acmeEABCreateCommand(), e.acmeEABListCommand(), e.acmeEABRevokeCommand())
	return cmd
}

// eabInfo is an external account binding key as the CLI shows it.
type eabInfo struct {
	KeyID     string     `json:"kid"`
	Name      string     `json:"name"`
	HMACKey   string     `json:"hmac_key,omitempty"` // base64url, only on create
	CreatedAt time.Time  `json:"created_at"`
	Account   string     `json:"account_id,omitempty"`
	BoundAt   *time.Time `json:"bound_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	Status    string     `json:"status"` // unused, bound, revoked
}

func eabView(k store.EABKey) eabInfo {
	v := eabInfo{KeyID: k.KeyID, Name: k.Name, CreatedAt: k.CreatedAt.UTC(), Account: k.AccountID,
		BoundAt: tokenTime(k.BoundAt), RevokedAt: tokenTime(k.RevokedAt), Status: "unused"}
	switch {
	case k.RevokedAt != nil:
		v.Status = "revoked"
	case k.AccountID != "":
		v.Status = "bound"
	}
	return v
}

func (e *env) acmeEABCreateCommand() *cobra.Command {
	var name string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME",
		Short: "Create an external account binding key and print it",
		Long: `Create an external account binding key: a key ID and a 256-bit MAC key (base64url), shown
once. Give both to the ACME client; they bind the first account opened with them.`,
		Example: `  anchor acme eab create --name team-web
  certbot register --server https://ca.example:8443/acme/directory --eab-kid KID --eab-hmac-key KEY
  lego --server https://ca.example:8443/acme/directory --eab --kid KID --hmac KEY ...
  anchor acme eab create --name ci --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return usagef("--name is required")
			}
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			kid, mac := make([]byte, 12), make([]byte, 32)
			if _, err := rand.Read(kid); err != nil {
				return err
			}
			if _, err := rand.Read(mac); err != nil {
				return err
			}
			k := store.EABKey{KeyID: "eab_" + base64.RawURLEncoding.EncodeToString(kid), Name: name, HMACKey: mac}
			if err := db.CreateEABKey(cmd.Context(), k); err != nil {
				return err
			}
			k, err = db.EABKey(cmd.Context(), k.KeyID)
			if err != nil {
				return err
			}
			v := eabView(k)
			v.HMACKey = base64.RawURLEncoding.EncodeToString(mac)
			return render(e.stdout, asJSON, v, func(w io.Writer) {
				fmt.Fprintf(w, "kid:      %s\nhmac key: %s\n", v.KeyID, v.HMACKey)
				fmt.Fprintf(w, "\nThe MAC key is shown only now. Use them as:\n")
				fmt.Fprintf(w, "  certbot ... --eab-kid %s --eab-hmac-key %s\n", v.KeyID, v.HMACKey)
				fmt.Fprintf(w, "  lego ... --eab --kid %s --hmac %s\n", v.KeyID, v.HMACKey)
			})
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "who the key is for (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the key as JSON")
	return cmd
}

func (e *env) acmeEABListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List external account binding keys (never their MAC keys)",
		Example: `  anchor acme eab list
  anchor acme eab list --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ks, err := db.EABKeys(cmd.Context())
			if err != nil {
				return err
			}
			out := make([]eabInfo, 0, len(ks))
			for _, k := range ks {
				out = append(out, eabView(k))
			}
			return render(e.stdout, asJSON, out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "KID\tNAME\tCREATED\tSTATUS\tACCOUNT")
				for _, k := range out {
					created := k.CreatedAt
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.KeyID, k.Name, tokenTimeText(&created, ""), k.Status, k.Account)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the keys as JSON")
	return cmd
}

func (e *env) acmeEABRevokeCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke KID",
		Short: "Revoke an external account binding key",
		Long: `Revoke an external account binding key so that no new account can bind it. An account it
bound already keeps working; deactivate that account from its client if it must stop.`,
		Example: `  anchor acme eab revoke eab_3q2-7wQZ1mN0c8Yb`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			k, err := db.RevokeEABKey(cmd.Context(), args[0], time.Time{})
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("no external account binding key %q (see anchor acme eab list)", args[0])
			case errors.Is(err, store.ErrAlreadyRevoked):
				fmt.Fprintf(e.stderr, "already revoked at %s\n", k.RevokedAt.UTC().Format(time.RFC3339))
			case err != nil:
				return err
			}
			return render(e.stdout, asJSON, eabView(k), func(w io.Writer) {
				fmt.Fprintf(w, "revoked %s (%s)\n", k.KeyID, k.Name)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the key as JSON")
	return cmd
}
