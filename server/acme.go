package server

import (
	"log/slog"
	"time"

	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/challenge"
	"github.com/anchorpki/anchor/policy"
)

// acmeHandler is the ACME server under /acme/ on the HTTPS listener, or nil when acme.enabled
// is false. It issues through the policy-bound authority, like the REST API, so a certificate
// obtained over ACME is checked, linted and recorded as every other one is.
func (s *Server) acmeHandler(rules *policy.Policy) (*acmeserver.Server, error) {
	a := s.cfg.ACME
	if !a.Enabled {
		return nil, nil
	}
	log := s.log.With(slog.String("listener", listenerHTTPS))
	v, err := challenge.New(challenge.Options{HTTP01Port: a.HTTP01Port, TLSALPN01Port: a.TLSALPN01Port,
		Resolver: a.Resolver, CAAIdentities: a.CAAIdentities, Logger: log})
	if err != nil {
		return nil, err
	}
	return acmeserver.New(acmeserver.Options{
		Store: s.db, Authority: s.auth, Validator: v, Policy: rules,
		TermsOfService: a.TermsOfService, Website: a.Website, CAAIdentities: a.CAAIdentities, EABRequired: a.EABRequired,
		IssuerURL: s.baseURL + "/ca/intermediate.crt",
		RateLimits: acmeserver.RateLimits{
			OrdersPerAccount: a.RateLimits.NewOrders.Limit, OrdersWindow: time.Duration(a.RateLimits.NewOrders.Window),
			FailedValidations: a.RateLimits.FailedValidations.Limit, FailedWindow: time.Duration(a.RateLimits.FailedValidations.Window),
		},
		Logger: log, Now: s.o.Now,
	})
}
