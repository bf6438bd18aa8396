//go:build linux || darwin || freebsd || netbsd || openbsd

package ca_test

import (
	"syscall"
	"time"
)

// processCPU is the user and system time this process has used, the writer goroutine's included.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
