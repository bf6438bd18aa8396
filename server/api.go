package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/restapi"
)

// apiHandler is the REST API under /api/v1/ on the HTTPS listener. It logs and counts its own
// requests (it alone knows the requester and the cause of an error); revocations through it
// reach the CRL through the authority's OnRevoked hook, like every other revocation.
func (s *Server) apiHandler() (http.Handler, error) {
	return restapi.New(restapi.Options{
		Authority: s.auth, Inventory: s.db, Tokens: s.db, Now: s.o.Now,
		Logger:       s.log.With(slog.String("listener", listenerHTTPS)),
		MaxBodyBytes: s.cfg.API.MaxBodyBytes, PageSize: s.cfg.API.PageSize,
		Observe: func(route string, code int, d time.Duration) {
			s.metrics.observeHTTP(listenerHTTPS, route, code, d)
		},
	})
}
