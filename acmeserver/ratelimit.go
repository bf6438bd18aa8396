package acmeserver

import (
	"fmt"
	"time"

	"github.com/anchorpki/anchor/acme"
)

// The limits count rows of the shared store, not requests seen by this process, so they hold
// for a service of several processes and survive restarts.

func (s *Server) limitOrders(q *request, now time.Time) error {
	l := s.o.RateLimits
	if l.OrdersPerAccount <= 0 {
		return nil
	}
	n, err := s.o.Store.CountACMEOrders(q.ctx, q.account.ID, now.Add(-l.OrdersWindow))
	if err != nil {
		return err
	}
	if n >= l.OrdersPerAccount {
		return rateLimited{acme.RateLimited(fmt.Sprintf("too many new orders: this account created %d in the last %s (limit %d)",
			n, l.OrdersWindow, l.OrdersPerAccount)), l.OrdersWindow / time.Duration(l.OrdersPerAccount)}
	}
	return nil
}

func (s *Server) limitFailures(q *request, id acme.Identifier) error {
	l := s.o.RateLimits
	if l.FailedValidations <= 0 {
		return nil
	}
	authzID, _ := id.Authorization()
	n, err := s.o.Store.CountFailedACMEAuthzs(q.ctx, q.account.ID, authzID.Value, s.o.Now().Add(-l.FailedWindow))
	if err != nil {
		return err
	}
	if n >= l.FailedValidations {
		p := acme.RateLimited(fmt.Sprintf("too many failed validations of %s by this account: %d in the last %s (limit %d); fix the setup before retrying",
			authzID.Value, n, l.FailedWindow, l.FailedValidations))
		p.Identifier = &id
		return rateLimited{p, l.FailedWindow / time.Duration(l.FailedValidations)}
	}
	return nil
}
