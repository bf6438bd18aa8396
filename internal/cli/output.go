package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// render prints v as indented JSON with --json, else calls text. Both read the same struct, so
// the two outputs cannot drift apart.
func render(w io.Writer, asJSON bool, v any, text func(io.Writer)) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(w)
	return nil
}

func printf(w io.Writer, format string, a ...any) { fmt.Fprintf(w, format, a...) }
