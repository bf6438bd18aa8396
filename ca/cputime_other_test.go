//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package ca_test

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
