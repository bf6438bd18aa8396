package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/truststore"
)

const trustStoresHelp = `Stores (--store, comma-separated; default system,nss):
  system  the operating system's store. Debian/Ubuntu: /usr/local/share/ca-certificates and
          update-ca-certificates; Fedora/RHEL: /etc/pki/ca-trust/source/anchors and
          update-ca-trust extract; macOS: the System keychain; Windows: LocalMachine\Root.
          curl, openssl, Go, Python and Chrome on macOS/Windows read it. Needs root (sudo).
  nss     the NSS databases of Chromium and Firefox under $HOME: ~/.pki/nssdb (created when
          absent: Chromium on Linux reads user roots only from there), every Firefox profile,
          and the snap and flatpak variants. Needs certutil (libnss3-tools or nss-tools).
          It belongs to the user: run it without sudo. Under sudo the default is system only.
  java    a Java keystore, with keytool: --java-keystore, else cacerts in --java-home
          ($JAVA_HOME, else the runtime of java on PATH). Password "changeit" unless
          --java-storepass-file. Opt-in: cacerts is shared by every JVM on the machine.

ROOT.pem defaults to the data directory's root certificate, DATA/ca/root.pem. It must be a CA
certificate. Every store knows it as anchor-<common name>-<8 hex of its SHA-256>, so installing
twice changes nothing, uninstall removes only that certificate, and two CAs live side by side.`

// trustFlags are the options every trust subcommand shares: which stores, and where they are.
type trustFlags struct {
	stores        []string
	systemRoot    string
	nssDBs        []string
	javaHome      string
	javaKeystore  string
	storepassFile string
	asJSON        bool
}

func (f *trustFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringSliceVar(&f.stores, "store", truststore.DefaultStores, "trust stores: "+strings.Join(truststore.AllStores, ", "))
	fl.StringVar(&f.systemRoot, "system-root", "", "prefix for every path of the system store (image builds, tests)")
	fl.StringArrayVar(&f.nssDBs, "nss-db", nil, "NSS database directory to use instead of those under $HOME (repeatable)")
	fl.StringVar(&f.javaHome, "java-home", "", "Java runtime whose lib/security/cacerts to use (default $JAVA_HOME, else java on PATH)")
	fl.StringVar(&f.javaKeystore, "java-keystore", "", "Java keystore file to use instead of cacerts (created on install)")
	fl.StringVar(&f.storepassFile, "java-storepass-file", "", "file holding the Java keystore password (default \"changeit\")")
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
}

// trustOutput is what every trust subcommand prints, as text or JSON.
type trustOutput struct {
	Action      string              `json:"action"`
	Certificate certSummary         `json:"certificate"`
	Name        string              `json:"name"`
	Results     []truststore.Result `json:"results"`
	Notes       []string            `json:"notes,omitempty"`
}

func (e *env) trustCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Install the CA's root into this machine's trust stores, remove it, or check",
		Long:  "Make this machine's browsers, tools and Java trust the CA, or stop trusting it.\n\n" + trustStoresHelp,
		Example: `  sudo anchor trust install --store system
  anchor trust install --store nss
  anchor trust status --json`,
	}
	for _, a := range []struct {
		name, short, example string
	}{
		{"install", "Add the root certificate to the trust stores",
			`  anchor trust install                       # DATA/ca/root.pem into system and nss
  sudo anchor trust install --store system   # the system store needs root
  anchor trust install --store nss           # Chromium and Firefox of the current user
  anchor trust install root.pem --store java --java-keystore app-truststore.p12`},
		{"uninstall", "Remove the root certificate from the trust stores",
			`  anchor trust uninstall --store nss
  sudo anchor trust uninstall --store system,java`},
		{"status", "Report where the root certificate is installed",
			`  anchor trust status
  anchor trust status other-root.pem --store nss,java --json`},
	} {
		cmd.AddCommand(e.trustActionCommand(a.name, a.short, a.example))
	}
	return cmd
}

func (e *env) trustActionCommand(name, short, example string) *cobra.Command {
	var f trustFlags
	cmd := &cobra.Command{
		Use:     name + " [ROOT.pem]",
		Short:   short,
		Long:    short + ".\n\n" + trustStoresHelp,
		Example: example,
		Args: func(cmd *cobra.Command, args []string) error {
			if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ca.Layout{Dir: e.dataDir()}.RootCert()
			if len(args) == 1 {
				file = args[0]
			} else if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("no root certificate at %s: run 'anchor ca init' first, or name ROOT.pem", file)
			}
			cert, err := pemfile.ReadCertificate(file)
			if err != nil {
				return err
			}
			out := trustOutput{Action: name, Certificate: summarize(cert, file, ""), Name: truststore.Name(cert)}
			o, err := e.trustOptions(cmd, &f, &out)
			if err != nil {
				return err
			}
			op := truststore.Status
			switch name {
			case "install":
				op = truststore.Install
			case "uninstall":
				op = truststore.Uninstall
			}
			out.Results, err = op(cmd.Context(), cert, o)
			if errors.Is(err, truststore.ErrUnknownStore) {
				return usageError{err}
			}
			if out.Results == nil {
				if err != nil {
					return err
				}
				out.Results = []truststore.Result{}
			}
			if rerr := render(e.stdout, f.asJSON, out, out.text); rerr != nil {
				return rerr
			}
			return err
		},
	}
	f.register(cmd)
	return cmd
}

// trustOptions turns flags and environment into truststore.Options: HOME decides the NSS
// databases, JAVA_HOME the Java runtime.
func (e *env) trustOptions(cmd *cobra.Command, f *trustFlags, out *trustOutput) (truststore.Options, error) {
	o := truststore.Options{Stores: f.stores, SystemRoot: f.systemRoot, NSSDBs: f.nssDBs,
		JavaHome: f.javaHome, JavaKeystore: f.javaKeystore, Home: e.getenv("HOME")}
	if runtime.GOOS == "windows" {
		o.Home = e.getenv("USERPROFILE")
	}
	if o.JavaHome == "" {
		o.JavaHome = e.getenv("JAVA_HOME")
	}
	// Under sudo, HOME is root's (or, with sudo -E, the user's, where root-owned database files
	// would lock Chromium out): the per-user nss store is left out unless asked for by name.
	if u := e.getenv("SUDO_USER"); u != "" && !cmd.Flags().Changed("store") {
		o.Stores = []string{truststore.System}
		out.Notes = append(out.Notes, fmt.Sprintf("nss skipped under sudo: run 'anchor trust %s --store nss' as %s", out.Action, u))
	}
	if f.storepassFile != "" {
		pass, err := e.readPassphrase(f.storepassFile, "")
		if err != nil {
			return o, err
		}
		o.JavaStorepass = string(pass)
	}
	return o, nil
}

func (out trustOutput) text(w io.Writer) {
	printf(w, "Certificate %s\n", out.Certificate.File)
	printf(w, "  subject:  %s\n", out.Certificate.Subject)
	printf(w, "  sha256:   %s\n", out.Certificate.Fingerprint)
	printf(w, "  name:     %s\n\n", out.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STORE\tLOCATION\tSTATE")
	for _, r := range out.Results {
		state := r.Note
		if r.Error != "" {
			state = "error: " + oneLine(r.Error)
		}
		loc := r.Location
		if loc == "" {
			loc = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Store, loc, state)
	}
	tw.Flush()
	for _, n := range out.Notes {
		printf(w, "note: %s\n", n)
	}
}
