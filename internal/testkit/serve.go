package testkit

import (
	"net"
	"sync"
	"testing"
)

// ServeTCP listens on a free loopback port and, until the test ends, runs handle on its own
// goroutine for each connection it accepts; handle owns the connection. The test's cleanup
// closes the listener and waits for every handle to return. It returns the address.
func ServeTCP(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { handle(c) })
		}
	})
	return ln.Addr().String()
}
