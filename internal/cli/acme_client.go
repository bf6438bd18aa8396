package cli

import "github.com/spf13/cobra"

// PLACEHOLDER: the ACME client commands (obtain, renew) are added here.
func (e *env) acmeClientCommands() []*cobra.Command { return nil }
