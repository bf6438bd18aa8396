package server

import (
	"time"

	"github.com/anchorpki/anchor/store"
)

// Store is the server's inventory, for tests that take it away.
func Store(s *Server) *store.DB { return s.db }

// TLSNames is tlsNames, for a table test.
var TLSNames = tlsNames

// ShortenTimeouts makes slow-client tests take a second instead of a minute.
func ShortenTimeouts(header, read time.Duration) (restore func()) {
	h, r := readHeaderTimeout, readTimeout
	readHeaderTimeout, readTimeout = header, read
	return func() { readHeaderTimeout, readTimeout = h, r }
}
