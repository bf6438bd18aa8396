package cli

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/store"
)

type listedCert struct {
	Serial    string     `json:"serial"`
	Status    string     `json:"status"`
	Profile   string     `json:"profile"`
	Subject   string     `json:"subject"`
	SANs      []string   `json:"sans"`
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	Issuer    string     `json:"issuer_key_id"`
	Requester string     `json:"requester,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func (e *env) listCommand() *cobra.Command {
	var status, expiring, san, profile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the certificates in the inventory",
		Long: `List every certificate the CA recorded. --status is valid, revoked, expired or pending
(reserved but never signed: left by an interrupted issuance). --expiring-within selects
unexpired certificates that expire within a duration such as 30d or 12h.`,
		Example: `  anchor list
  anchor list --status valid --expiring-within 30d
  anchor list --san api.svc.internal --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			f := store.Filter{SAN: san, Profile: profile}
			switch status {
			case "":
			case "valid":
				f.Status, f.ValidAt = store.StatusValid, now
			case "revoked":
				f.Status = store.StatusRevoked
			case "pending":
				f.Status = store.StatusPending
			case "expired":
				f.ExpiredAt = now
			default:
				return usagef("--status must be valid, revoked, expired or pending, not %q", status)
			}
			if expiring != "" {
				d, err := parseDuration(expiring)
				if err != nil {
					return usageError{err}
				}
				f.ValidAt, f.ExpiringBefore = now, now.Add(d)
			}
			layout := ca.Layout{Dir: e.dataDir()}
			if !layout.Exists() {
				return fmt.Errorf("%w in %s (run `anchor ca init` first)", ca.ErrNoCA, layout.Dir)
			}
			db, err := e.openStore(cmd.Context(), layout)
			if err != nil {
				return err
			}
			defer db.Close()
			out := []listedCert{}
			for {
				page, next, err := db.List(cmd.Context(), f)
				if err != nil {
					return err
				}
				for _, c := range page {
					out = append(out, listed(c, now))
				}
				if next == "" {
					break
				}
				f.After = next
			}
			return render(e.stdout, asJSON, out, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SERIAL\tSTATUS\tPROFILE\tNOT AFTER\tNAMES")
				for _, c := range out {
					n := strings.Join(c.SANs, ",")
					if n == "" {
						n = c.Subject
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Serial, c.Status, c.Profile, c.NotAfter.Format("2006-01-02"), n)
				}
				tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&status, "status", "", "valid, revoked, expired or pending")
	cmd.Flags().StringVar(&expiring, "expiring-within", "", "only certificates expiring within this duration (e.g. 30d)")
	cmd.Flags().StringVar(&san, "san", "", "only certificates with this subjectAltName")
	cmd.Flags().StringVar(&profile, "profile", "", "only certificates of this profile")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the list as JSON")
	return cmd
}

func listed(c store.Certificate, now time.Time) listedCert {
	status := string(c.Status)
	if c.Status == store.StatusValid && !c.NotAfter.After(now) {
		status = "expired"
	}
	l := listedCert{Serial: hex.EncodeToString(c.Serial.Bytes()), Status: status, Profile: c.Profile, Subject: c.Subject,
		SANs: c.SANs, NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), Issuer: hex.EncodeToString(c.IssuerKeyID), Requester: c.Requester}
	if l.SANs == nil {
		l.SANs = []string{}
	}
	if c.Status == store.StatusRevoked {
		t := c.RevokedAt.UTC()
		l.RevokedAt = &t
	}
	return l
}
