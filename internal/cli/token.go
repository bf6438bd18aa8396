package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/store"
)

func (e *env) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens of the REST API",
		Long: `API tokens authenticate calls to the REST API of anchor serve (Authorization: Bearer).
The inventory keeps only a hash of each token; the token itself is shown once, when created.
Tokens take effect, and stop working when revoked, while the server runs.`,
	}
	cmd.AddCommand(e.tokenCreateCommand(), e.tokenListCommand(), e.tokenRevokeCommand())
	return cmd
}

// tokenInfo is a token as the CLI shows it: everything but the hash.
type tokenInfo struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Token      string     `json:"token,omitempty"` // only on create
	Scopes     []string   `json:"scopes"`
	AllowNames []string   `json:"allow_names"` // empty: any name the CA's policy allows
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Status     string     `json:"status"` // active, expired, revoked
}

func tokenView(t store.Token, now time.Time) tokenInfo {
	v := tokenInfo{ID: t.ID, Name: t.Name, Scopes: tokenStrings(t.Scopes), AllowNames: tokenStrings(t.AllowNames),
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: tokenTime(t.ExpiresAt), LastUsedAt: tokenTime(t.LastUsedAt),
		RevokedAt: tokenTime(t.RevokedAt), Status: "active"}
	switch {
	case t.RevokedAt != nil:
		v.Status = "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		v.Status = "expired"
	}
	return v
}

func tokenStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func tokenTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// openInventory opens the data directory's inventory; tokens need no CA key, only the CA.
func (e *env) openInventory(ctx context.Context) (*store.DB, error) {
	layout := ca.Layout{Dir: e.dataDir()}
	if !layout.Exists() {
		return nil, fmt.Errorf("%w in %s (run `anchor ca init` first)", ca.ErrNoCA, layout.Dir)
	}
	return e.openStore(ctx, layout)
}

func (e *env) tokenCreateCommand() *cobra.Command {
	var name, scopeList, expires string
	var allow []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --scope issue,revoke,read [--allow-names PATTERN,…] [--expires 90d]",
		Short: "Create an API token and print it",
		Long: `Create an API token and print it, alone, on standard output: it is shown only this once.
--scope is required: issue (POST /api/v1/certificates), revoke, read (list and get).
--allow-names limits the names the token may obtain (and revoke): *.svc.internal (any name
below svc.internal), exact DNS names, CIDR ranges such as 10.0.0.0/8, exact addresses, emails
and URIs. Without it the token may obtain any name the CA's policy allows.`,
		Example: `  TOKEN=$(anchor token create --name deploy --scope issue,read --allow-names "*.svc.internal" --expires 90d)
  anchor token create --name ops --scope revoke,read --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return usagef("--name is required")
			}
			if strings.TrimSpace(scopeList) == "" {
				return usagef("--scope is required: choose from issue, revoke, read (comma-separated)")
			}
			scopes, err := apitoken.ParseScopes(scopeList)
			if err != nil {
				return usageError{err}
			}
			patterns, err := apitoken.ParsePatterns(allow)
			if err != nil {
				return usageError{err}
			}
			now := time.Now()
			var expiresAt *time.Time
			if expires != "" {
				d, err := parseDuration(expires)
				if err != nil {
					return usageError{fmt.Errorf("--expires: %w", err)}
				}
				if d <= 0 {
					return usagef("--expires must be positive, such as 90d")
				}
				at := now.Add(d).UTC().Truncate(time.Second)
				expiresAt = &at
			}
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			cred, err := apitoken.Generate(nil)
			if err != nil {
				return err
			}
			t := store.Token{ID: cred.ID, Name: name, Hash: cred.Hash(), Scopes: apitoken.Strings(scopes),
				AllowNames: patterns, ExpiresAt: expiresAt}
			if err := db.CreateToken(cmd.Context(), t); err != nil {
				if errors.Is(err, store.ErrTokenExists) {
					return fmt.Errorf("a token named %q exists; revoke it first (anchor token revoke %s) or choose another name", name, name)
				}
				return err
			}
			t, err = db.Token(cmd.Context(), cred.ID)
			if err != nil {
				return err
			}
			v := tokenView(t, now)
			v.Token = cred.String()
			if asJSON {
				return render(e.stdout, true, v, nil)
			}
			// Only the token on stdout, so TOKEN=$(anchor token create …) captures it; the
			// rest is for the human at the terminal.
			fmt.Fprintln(e.stdout, v.Token)
			fmt.Fprintf(e.stderr, "Created token %q (id %s): scopes %s; names %s; expires %s.\n",
				v.Name, v.ID, strings.Join(v.Scopes, ", "), tokenNamesText(v.AllowNames), tokenTimeText(v.ExpiresAt, "never"))
			fmt.Fprintln(e.stderr, "It is shown only now: the inventory keeps its hash. Send it as Authorization: Bearer <token>.")
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "a name for the token, unique among active tokens (required)")
	cmd.Flags().StringVar(&scopeList, "scope", "", "what the token may do: issue, revoke, read, comma-separated (required)")
	cmd.Flags().StringSliceVar(&allow, "allow-names", nil, "name patterns the token may obtain, comma-separated (default: any)")
	cmd.Flags().StringVar(&expires, "expires", "", "lifetime, such as 90d or 12h (default: never expires)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the token and its settings as JSON")
	return cmd
}

func (e *env) tokenListCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List API tokens (never their secrets)",
		Long: `List every API token, active, expired and revoked, oldest first: id, name, scopes, the
names it may obtain, when it was created, expires and was last used (UTC), and its status:
active, expired or revoked. The secrets are not shown: the inventory does not have them.`,
		Example: `  anchor token list
  anchor token list --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := db.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			now := time.Now()
			out := make([]tokenInfo, 0, len(ts))
			for _, t := range ts {
				out = append(out, tokenView(t, now))
			}
			return render(e.stdout, asJSON, out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tNAMES\tCREATED\tEXPIRES\tLAST USED\tSTATUS")
				for _, t := range out {
					created := t.CreatedAt
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","),
						tokenNamesText(t.AllowNames), tokenTimeText(&created, ""), tokenTimeText(t.ExpiresAt, "never"),
						tokenTimeText(t.LastUsedAt, "never"), t.Status)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func (e *env) tokenRevokeCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke an API token",
		Long: `Revoke an API token by its id or its name. A running server refuses it from the next
request on. Revoking twice changes nothing: the first revocation stands and is reported.`,
		Example: `  anchor token revoke deploy
  anchor token revoke 3f9c0a1b2c3d4e5f`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := e.openInventory(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			t, err := db.RevokeToken(cmd.Context(), args[0], time.Time{})
			already := errors.Is(err, store.ErrAlreadyRevoked)
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("no API token with id or name %q (see anchor token list)", args[0])
			case err != nil && !already:
				return err
			}
			v := tokenView(t, time.Now())
			return render(e.stdout, asJSON, v, func(w io.Writer) {
				if already {
					printf(w, "Token %q (id %s) was already revoked on %s\n", v.Name, v.ID, tokenTimeText(v.RevokedAt, ""))
					return
				}
				printf(w, "Revoked token %q (id %s); the REST API refuses it from now on\n", v.Name, v.ID)
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the revoked token as JSON")
	return cmd
}

func tokenNamesText(n []string) string {
	if len(n) == 0 {
		return "any"
	}
	return strings.Join(n, ",")
}

func tokenTimeText(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.UTC().Format("2006-01-02 15:04")
}
