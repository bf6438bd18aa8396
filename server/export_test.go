package server

import "github.com/anchorpki/anchor/store"

// Store is the server's inventory, for tests that take it away.
func Store(s *Server) *store.DB { return s.db }

// TLSNames is tlsNames, for a table test.
var TLSNames = tlsNames
