package cli

import (
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/tlsinspect"
	"github.com/anchorpki/anchor/verify"
)

// probeReport is what `anchor probe` prints: the library's report and where the trust anchors
// came from.
type probeReport struct {
	*tlsinspect.Report
	Roots     string `json:"roots"` // the --roots file, the local CA's root file, or "system"
	RootCount int    `json:"root_count"`
}

type probeFlags struct {
	serverName, roots, clientCert, clientKey, passFile string
	alpn                                               []string
	timeout                                            time.Duration
	reconnect, asJSON                                  bool
}

func (e *env) probeCommand() *cobra.Command {
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe HOST:PORT",
		Short: "Connect to a TLS server and report the handshake, the chain and the verdict",
		Long: `Connect to HOST:PORT with TLS 1.2 or 1.3 and report what openssl s_client shows, legibly:
the protocol version, cipher suite, key exchange group, ALPN, the SNI sent, whether the server
asked for a client certificate (and which CAs it accepts), the certificate chain exactly as the
server sent it, and a stapled OCSP response, checked against the leaf's issuer.

The handshake accepts any certificate; the chain is then verified as 'anchor verify' does, and
every check is listed. The host name checked is --servername, else HOST. Trust: --roots trusts
exactly the certificates in that file; without it the local CA's root (ca/root.pem in the
--data directory) when it exists, else the system roots.

Exit status: 0 the handshake succeeded and the chain is trusted; 1 the connection or handshake
failed (one line on standard error says why) or the chain is not trusted (the report is printed
and the failing checks are named on standard error); 2 usage error.`,
		Example: `  anchor probe localhost:8443
  anchor probe 10.0.0.7:443 --servername www.internal --roots root.pem
  anchor probe mtls.internal:8443 --client-cert client.pem --client-key client.key --passphrase-file pass.txt
  anchor probe example.com:443 --alpn http/1.1 --reconnect --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := args[0]
			if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
				return usagef("%q is not HOST:PORT (e.g. example.com:443, [::1]:8443)", addr)
			}
			o, err := e.probeOptions(cmd, &f)
			if err != nil {
				return err
			}
			var rep probeReport
			if o.Roots, rep.Roots, err = e.verifyRoots(f.roots); err != nil {
				return err
			}
			rep.RootCount = len(o.Roots)
			if rep.Report, err = tlsinspect.Probe(cmd.Context(), addr, o); err != nil {
				return err
			}
			// Subjects, SANs and CA names come from the server: escape what a terminal would
			// obey (ESC sequences) before printing them as text.
			return e.renderVerdict(f.asJSON, rep, func(w io.Writer) { rep.text(terminalSafe{w}) }, rep.Verdict.Err())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.serverName, "servername", "", "SNI to send and host name to check (default: HOST)")
	fl.StringVar(&f.roots, "roots", "", "trust only the certificates in this file (default: the local CA's root, else the system roots)")
	fl.StringVar(&f.clientCert, "client-cert", "", "client certificate to present (PEM, leaf first, chain may follow)")
	fl.StringVar(&f.clientKey, "client-key", "", "private key of --client-cert")
	fl.StringVar(&f.passFile, "passphrase-file", "", "passphrase of an encrypted --client-key")
	fl.StringSliceVar(&f.alpn, "alpn", tlsinspect.DefaultALPN, `ALPN protocols to offer, comma-separated; "" offers none`)
	fl.DurationVar(&f.timeout, "timeout", tlsinspect.DefaultTimeout, "give up on the connection and handshake after this long")
	fl.BoolVar(&f.reconnect, "reconnect", false, "connect a second time to see whether the server resumes the session")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON")
	return cmd
}

// probeOptions turns the flags into tlsinspect.Options, reading the client certificate.
func (e *env) probeOptions(cmd *cobra.Command, f *probeFlags) (tlsinspect.Options, error) {
	o := tlsinspect.Options{ServerName: f.serverName, Timeout: f.timeout, Reconnect: f.reconnect, ALPN: []string{}}
	if f.timeout <= 0 {
		return o, usagef("--timeout must be positive, e.g. 10s")
	}
	for _, p := range f.alpn {
		if p = strings.TrimSpace(p); p != "" {
			o.ALPN = append(o.ALPN, p)
		}
	}
	switch {
	case (f.clientCert == "") != (f.clientKey == ""):
		return o, usagef("--client-cert and --client-key go together")
	case f.passFile != "" && f.clientKey == "":
		return o, usagef("--passphrase-file is the passphrase of --client-key, which is not given")
	case f.clientCert == "":
		return o, nil
	}
	cert, err := e.loadClientCert(f.clientCert, f.clientKey, f.passFile)
	o.ClientCert = cert
	return o, err
}

// loadClientCert reads a certificate chain and its key, which may be passphrase-encrypted.
func (e *env) loadClientCert(certPath, keyPath, passFile string) (*tls.Certificate, error) {
	chain, err := pemfile.ReadCertificates(certPath)
	if err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, fmt.Errorf("%s: no certificate", certPath)
	}
	key, err := e.loadKey(keyPath, passFile)
	if err != nil {
		return nil, err
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(chain[0].PublicKey) {
		return nil, fmt.Errorf("%s is not the key of the certificate in %s", keyPath, certPath)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, x := range chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

func (r probeReport) text(w io.Writer) {
	verdict := "trusted"
	if rej, ok := errors.AsType[*verify.Rejection](r.Verdict.Err()); ok {
		verdict = "NOT TRUSTED (failed: " + failedNames(rej) + ")"
	}
	printf(w, "%s: %s, %s\n", r.Address, r.Version, verdict)
	printf(w, "connection:\n")
	printf(w, "  protocol:      %s\n", r.Version)
	printf(w, "  cipher suite:  %s\n", r.CipherSuite)
	printf(w, "  key exchange:  %s\n", orNone(r.KeyExchange, "none (RSA key transport)"))
	printf(w, "  ALPN:          %s (offered: %s)\n", orNone(r.ALPN, "none agreed"), orNone(strings.Join(r.ALPNOffered, ", "), "none"))
	printf(w, "  SNI sent:      %s\n", orNone(r.SNI, "none ("+r.ServerName+" is an IP address)"))
	printf(w, "  client cert:   %s\n", r.clientAuthText())
	for _, n := range r.ClientAuth.AcceptableCAs {
		printf(w, "    acceptable CA: %s\n", n)
	}
	switch res := r.Resumption; {
	case !res.Tried:
		printf(w, "  resumption:    not tried (use --reconnect)\n")
	case res.Resumed:
		printf(w, "  resumption:    the second connection resumed the session\n")
	default:
		printf(w, "  resumption:    the second connection did not resume the session\n")
	}
	printf(w, "chain as sent (%s):\n", countNoun(len(r.Chain), "certificate"))
	for i, c := range r.Chain {
		printf(w, "  [%d] %s\n", i, orNone(c.Subject, "(empty subject)"))
		printf(w, "      issuer:  %s\n", c.Issuer)
		printf(w, "      serial:  %s\n", c.Serial)
		printf(w, "      valid:   %s to %s (%s)\n", c.NotBefore.Format(time.RFC3339), c.NotAfter.Format(time.RFC3339), expiry(c, r.At))
		printf(w, "      key:     %s\n", c.PublicKey)
		if len(c.SANs) > 0 {
			printf(w, "      SANs:    %s\n", strings.Join(c.SANs, ", "))
		}
		printf(w, "      sha256:  %s\n", c.SHA256)
	}
	r.stapleText(w)
	printf(w, "verdict: %s\n", verdict)
	printf(w, "  host:  %s\n", r.ServerName)
	printf(w, "  roots: %s (%s)\n", r.Roots, countNoun(r.RootCount, "certificate"))
	printf(w, "  at:    %s\n", r.At.Format(time.RFC3339))
	for _, c := range r.Verdict.Checks {
		printf(w, "  %-4s  %s\n", strings.ToUpper(string(c.Status)), c)
	}
}

func (r probeReport) clientAuthText() string {
	ca := r.ClientAuth
	switch {
	case !ca.Requested:
		return "not requested"
	case ca.Sent != "":
		return "requested; sent " + ca.Sent
	case len(ca.AcceptableCAs) == 0:
		return "requested (any CA); none sent"
	}
	return "requested; none sent"
}

func (r probeReport) stapleText(w io.Writer) {
	s := r.OCSPStaple
	if s == nil {
		printf(w, "OCSP staple: none\n")
		return
	}
	if s.Status == "" {
		printf(w, "OCSP staple: %d bytes, unusable: %s\n", s.Size, s.Problem)
		return
	}
	check := "verified against the issuer"
	switch {
	case !s.Verified:
		check = "NOT VERIFIED: " + s.Problem
	case !chainTrusted(r.Verdict):
		// The issuer is then one the server sent, which nothing vouches for.
		check = "signed by the issuer the server sent, which is not trusted"
	}
	printf(w, "OCSP staple: %s (%s)\n", s.Status, check)
	if s.RevokedAt != nil {
		printf(w, "  revoked:     %s, reason %s\n", s.RevokedAt.Format(time.RFC3339), s.Reason)
	}
	printf(w, "  produced:    %s\n", s.ProducedAt.Format(time.RFC3339))
	printf(w, "  this update: %s\n", s.ThisUpdate.Format(time.RFC3339))
	if s.NextUpdate != nil {
		printf(w, "  next update: %s\n", s.NextUpdate.Format(time.RFC3339))
	} else {
		printf(w, "  next update: none given\n")
	}
	printf(w, "  responder:   %s\n", s.Responder)
}

// expiry says how far the end of a validity period is from the verification time.
func expiry(c tlsinspect.Certificate, at time.Time) string {
	switch {
	case at.Before(c.NotBefore):
		return "not yet valid"
	case at.After(c.NotAfter):
		return "expired " + countNoun(-c.DaysLeft, "day") + " ago"
	}
	return "expires in " + countNoun(c.DaysLeft, "day")
}

func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// terminalSafe writes text with control characters other than newline and tab shown as \xNN,
// so that a hostile peer's certificate fields cannot move the cursor or retitle the terminal.
type terminalSafe struct{ w io.Writer }

func (t terminalSafe) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f {
			b = fmt.Appendf(b, "\\x%02x", c)
			continue
		}
		b = append(b, c)
	}
	if _, err := t.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// chainTrusted reports whether the verdict found a path to a trusted root, whatever else failed.
func chainTrusted(v *verify.Result) bool {
	if v == nil {
		return false
	}
	for _, c := range v.Failed() {
		if c.Name == verify.CheckChain {
			return false
		}
	}
	return true
}
