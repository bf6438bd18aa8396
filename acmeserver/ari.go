package acmeserver

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"slices"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/store"
)

// ariRetryAfter is how often clients should ask again (RFC 9773 §4.3 suggests hours).
const ariRetryAfter = 6 * time.Hour

// renewalInfo answers an unauthenticated GET for a certificate's suggested renewal window
// (RFC 9773 §4.2).
func (s *Server) renewalInfo(w http.ResponseWriter, r *http.Request) {
	c, err := s.certByCertID(r.Context(), r.PathValue("certid"))
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	w.Header().Set("Retry-After", retryAfterSeconds(ariRetryAfter))
	s.writeJSON(w, http.StatusOK, acme.RenewalInfo{SuggestedWindow: s.renewalWindow(c)})
}

// renewalWindow suggests renewing in the second third of the last third of the lifetime: after
// two thirds, as certbot and lego do by default, spread over a twelfth of the lifetime so a
// fleet issued at once does not renew at once. A revoked certificate should be replaced now:
// its window lies in the past (RFC 9773 §4.2).
func (s *Server) renewalWindow(c store.Certificate) acme.SuggestedWindow {
	if c.Status == store.StatusRevoked {
		now := s.o.Now().Truncate(time.Second)
		return acme.SuggestedWindow{Start: now.Add(-2 * time.Hour), End: now.Add(-time.Hour)}
	}
	life := c.NotAfter.Sub(c.NotBefore)
	start := c.NotBefore.Add(life * 2 / 3).Truncate(time.Second)
	return acme.SuggestedWindow{Start: start, End: start.Add(life / 12).Truncate(time.Second)}
}

// certByCertID finds a certificate of this CA's issuer from its ARI CertID.
func (s *Server) certByCertID(ctx context.Context, certID string) (store.Certificate, error) {
	aki, serial, err := acme.ParseCertID(certID)
	if err != nil {
		return store.Certificate{}, err
	}
	keyID := s.issuerKeyID()
	if !bytes.Equal(aki, keyID) {
		return store.Certificate{}, notFound("certificate %s was not issued by this CA's issuer", certID)
	}
	c, err := s.o.Store.Get(ctx, keyID, serial)
	if errors.Is(err, store.ErrNotFound) || (err == nil && c.Status == store.StatusPending) {
		return store.Certificate{}, notFound("no certificate with serial %s", serialHex(serial))
	}
	return c, err
}

func (s *Server) issuerKeyID() []byte { return s.o.Authority.Chain()[0].SubjectKeyId }

// checkReplaces checks a newOrder's "replaces" (RFC 9773 §5): the certificate must be this
// CA's, obtained by the same account, share an identifier with the new order, and not have been
// replaced by another order already. It returns the invalid order that holds the claim on the
// certificate, if any, for the store to take it from (store.ACMEOrder.ReplacesAfter): the check
// and the creation are apart, and the store's compare-and-set settles a race between them.
func (s *Server) checkReplaces(q *request, certID string, ids []acme.Identifier) (string, error) {
	c, err := s.certByCertID(q.ctx, certID)
	if err != nil {
		if p, ok := errors.AsType[*acme.Problem](err); ok && p.Status == http.StatusNotFound {
			return "", malformed("replaces: %s", p.Detail)
		}
		return "", err
	}
	o, err := s.o.Store.ACMEOrderBySerial(q.ctx, serialHex(c.Serial))
	if errors.Is(err, store.ErrNotFound) || (err == nil && o.AccountID != q.account.ID) {
		return "", unauthorized("replaces: certificate %s was not obtained by this account", certID)
	}
	if err != nil {
		return "", err
	}
	shared := false
	for _, id := range ids {
		if slices.Contains(c.SANs, id.Value) {
			shared = true
		}
	}
	if !shared {
		return "", malformed("replaces: the new order shares no identifier with certificate %s", certID)
	}
	prior, err := s.o.Store.ACMEOrdersReplacing(q.ctx, certID)
	if err != nil || len(prior) == 0 {
		return "", err
	}
	// Only the latest can still stand: it holds the claim, and each earlier one gave the claim
	// up only once it was invalid (ACMEOrdersReplacing lists oldest first).
	holder := prior[len(prior)-1]
	st, err := s.orderState(q.ctx, holder)
	if err != nil {
		return "", err
	}
	if st.status != acme.StatusInvalid {
		return "", acme.AlreadyReplaced("certificate " + certID + " is replaced by order " + q.base + pathOrder + holder.ID + " already")
	}
	return holder.ID, nil
}

func serialHex(n *big.Int) string { return hex.EncodeToString(n.Bytes()) }
