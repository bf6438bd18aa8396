// Package cli is the anchor command line: cobra commands, one file per noun. Each command parses
// its flags, calls one library function, and renders the result as text or, with --json, as JSON
// from the same struct. Nothing here decides anything a library user could not decide too.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes: the conventions of openssl and most Unix tools.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// usageError marks a mistake in how the command was called (exit 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// env is what every command may touch of the outside world, injected so tests run in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	dataFlag       string
	// httpClient makes the outbound requests of verify and ocsp; tests point it at loopback.
	httpClient *http.Client
}

// httpClient makes every outbound request (verify --fetch-crl/--ocsp, ocsp check). Tests
// replace it (export_test.go): fixtures name fixed URLs that must reach loopback servers.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// Run executes the anchor command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, httpClient: httpClient}
	root := e.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintln(stderr, "anchor: "+oneLine(err.Error()))
	if _, ok := errors.AsType[usageError](err); ok || isCobraUsage(err) {
		fmt.Fprintln(stderr, "Run 'anchor --help' or 'anchor COMMAND --help' for usage.")
		return ExitUsage
	}
	return ExitFailure
}

// oneLine keeps every error a single line, so scripts can grep it and users see it whole.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// isCobraUsage recognises cobra's own argument errors, which it does not type.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least",
		"requires at most", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

func (e *env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "anchor",
		Short: "A private PKI in one binary",
		Long: `anchor runs your own certificate authority: keys and CSRs, a root → intermediate → leaf
hierarchy with an inventory of every certificate issued, and the tools to inspect them.`,
		Example: `  anchor ca init --name "Example Corp"
  anchor issue localhost 127.0.0.1 --out-cert localhost.pem --out-key localhost.key
  anchor list --expiring-within 30d`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&e.dataFlag, "data", "", "data directory (default ./anchor-data, or $ANCHOR_DATA)")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(e.keyCommand(), e.csrCommand(), e.certCommand(), e.caCommand(), e.issueCommand(),
		e.listCommand(), e.inspectCommand(), e.verifyCommand(), e.revokeCommand(), e.crlCommand(), e.ocspCommand(), e.tokenCommand(), e.serveCommand(),
		e.trustCommand(), e.probeCommand(), e.proxyCommand(), e.acmeCommand())
	return root
}

// dataDir is --data, else $ANCHOR_DATA, else ./anchor-data.
func (e *env) dataDir() string {
	if e.dataFlag != "" {
		return e.dataFlag
	}
	if d := e.getenv("ANCHOR_DATA"); d != "" {
		return d
	}
	return "anchor-data"
}

// noArgs and friends make cobra's argument checks usage errors (exit 2).
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if err := cobra.NoArgs(cmd, args); err != nil {
		return usageError{err}
	}
	return nil
}
