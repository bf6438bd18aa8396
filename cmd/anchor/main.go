// Command anchor is a private PKI in one binary: keys, CSRs, a root → intermediate → leaf CA with
// an inventory of everything it issued, verification and revocation. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/anchorpki/anchor/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
