//go:build !linux && !darwin && !windows

package truststore

import (
	"fmt"
	"runtime"
)

func newSystem(Options, *runner) (backend, error) {
	return nil, fmt.Errorf("%w: no system store support for %s; use the nss or java store", ErrUnsupported, runtime.GOOS)
}
