package cli

import (
	"fmt"
	"io"
)

// maxInput caps what is read from standard input: certificates, CSRs and CRLs people inspect are
// far below it, and a runaway pipe should not exhaust memory.
const maxInput = 64 << 20

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInput {
		return nil, fmt.Errorf("input larger than %d MiB", maxInput>>20)
	}
	return b, nil
}
