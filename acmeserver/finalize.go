package acmeserver

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
	"github.com/go-jose/go-jose/v4"
)

// finalize issues the certificate of a ready order from the client's CSR (RFC 8555 §7.4). The
// order moves to processing by compare-and-set, so of two concurrent finalizations (two
// processes, or a client retrying) exactly one issues.
func (s *Server) finalize(q *request) (*response, error) {
	var req acme.FinalizeRequest
	if err := decodePayload(q, &req); err != nil {
		return nil, err
	}
	o, err := s.ownOrder(q)
	if err != nil {
		return nil, err
	}
	st, err := s.orderState(q.ctx, o)
	if err != nil {
		return nil, err
	}
	if st.status != acme.StatusReady {
		return nil, acme.OrderNotReady(fmt.Sprintf("the order is %s, not ready; finalize once every authorization is valid", st.status))
	}
	der, err := req.DER()
	if err != nil {
		return nil, err
	}
	csr, err := parseCSR(der)
	if err != nil {
		return nil, err
	}
	if err := matchOrder(csr, st.body.Identifiers); err != nil {
		return nil, err
	}
	if tp, err := keyThumbprint(csr.PublicKey); err == nil && tp == q.account.Thumbprint {
		return nil, acme.BadCSR("the CSR's key is the account key; certificates need a key of their own")
	}

	o.Status = string(acme.StatusProcessing)
	o, err = s.o.Store.UpdateACMEOrder(q.ctx, o)
	if errors.Is(err, store.ErrConflict) {
		return nil, acme.OrderNotReady("the order is being finalized by another request")
	}
	if err != nil {
		return nil, err
	}

	req2 := ca.RequestFromCSR(csr, st.body.Profile)
	req2.SANs = identifierSANs(st.body.Identifiers) // exactly what was validated, nothing else of the CSR
	req2.NotBefore, req2.NotAfter = st.body.NotBefore, st.body.NotAfter
	req2.Requester = "acme:" + q.accountURL
	issued, issueErr := s.o.Authority.Issue(q.ctx, req2)

	// Record the outcome even if the client has gone: use a context the request cannot cancel.
	ctx := q.ctx
	if ctx.Err() != nil {
		ctx = s.bg
	}
	body := st.body
	switch p := issueProblem(issueErr); {
	case issueErr == nil:
		o.Status, o.CertSerial = string(acme.StatusValid), issued.Serial
	case p != nil: // the CA refused this request for good
		o.Status, body.Error = string(acme.StatusInvalid), p
	default: // the CA failed; the client may finalize again
		o.Status = string(acme.StatusPending)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	o.Body = raw
	if o, err = s.o.Store.UpdateACMEOrder(ctx, o); err != nil {
		// The certificate, if any, is in the inventory already; only the order's link to it
		// is lost, and the client sees an error and orders again.
		s.log.LogAttrs(ctx, slog.LevelError, "acme: recording a finalized order", slog.String("order", o.ID),
			slog.String("serial", o.CertSerial), slog.Any("error", err))
		return nil, err
	}
	if issueErr != nil {
		if p := issueProblem(issueErr); p != nil {
			return nil, p
		}
		return nil, issueErr
	}
	s.log.Info("acme: certificate issued", "order", q.base+pathOrder+o.ID, "account", q.accountURL, "serial", issued.Serial)
	return s.orderResponse(q.ctx, q.base, o)
}

func parseCSR(der []byte) (*x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, acme.BadCSR(fmt.Sprintf("the CSR does not parse: %v", err))
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, acme.BadCSR(fmt.Sprintf("the CSR's signature does not verify: %v", err))
	}
	return csr, nil
}

// matchOrder checks that the CSR asks for exactly the order's identifiers (RFC 8555 §7.4): the
// same set of names in its SAN extension, a common name (if any) among them, and nothing else.
func matchOrder(csr *x509.CertificateRequest, ids []acme.Identifier) error {
	if len(csr.EmailAddresses) > 0 || len(csr.URIs) > 0 {
		return acme.BadCSR("the CSR asks for email or URI names, which no ACME identifier covers")
	}
	var want, got []string
	for _, id := range ids {
		want = append(want, id.Type+":"+id.Value)
	}
	for _, n := range csr.DNSNames {
		got = append(got, acme.IdentifierDNS+":"+strings.ToLower(n))
	}
	for _, ip := range csr.IPAddresses {
		a, _ := netip.AddrFromSlice(ip)
		got = append(got, acme.IdentifierIP+":"+a.Unmap().String())
	}
	if cn := csr.Subject.CommonName; cn != "" {
		key := acme.IdentifierDNS + ":" + strings.ToLower(cn)
		if a, err := netip.ParseAddr(cn); err == nil {
			key = acme.IdentifierIP + ":" + a.String()
		}
		if !slices.Contains(want, key) {
			return acme.BadCSR(fmt.Sprintf("the CSR's common name %q is not an identifier of the order", cn))
		}
		got = append(got, key)
	}
	slices.Sort(want)
	slices.Sort(got)
	want, got = slices.Compact(want), slices.Compact(got)
	if !slices.Equal(want, got) {
		return acme.BadCSR(fmt.Sprintf("the CSR names [%s] but the order is for [%s]; they must be the same",
			strings.Join(got, ", "), strings.Join(want, ", ")))
	}
	return nil
}

func identifierSANs(ids []acme.Identifier) names.SANs {
	var sans names.SANs
	for _, id := range ids {
		if id.Type == acme.IdentifierIP {
			a := netip.MustParseAddr(id.Value)
			sans.IP = append(sans.IP, a.AsSlice())
			continue
		}
		sans.DNS = append(sans.DNS, id.Value)
	}
	return sans
}

// issueProblem maps a refusal by the authority to the problem a client can act on, or nil for
// an error that is the server's own (store down, signer failing).
func issueProblem(err error) *acme.Problem {
	if err == nil {
		return nil
	}
	if p, ok := errors.AsType[*acme.Problem](err); ok {
		return p
	}
	if rej, ok := errors.AsType[*policy.RejectedError](err); ok {
		switch rej.Kind {
		case policy.KindKey:
			return acme.BadPublicKey(rej.Reason)
		case policy.KindIdentifier:
			return acme.RejectedIdentifier(rej.Error())
		}
		return acme.BadCSR(rej.Error())
	}
	if rej, ok := errors.AsType[*lint.RejectedError](err); ok {
		return acme.BadCSR("the certificate this CSR asks for fails the CA's lints: " + rej.Error())
	}
	switch {
	case errors.Is(err, issuance.ErrValidity), errors.Is(err, issuance.ErrNoSAN), errors.Is(err, issuance.ErrSANNotAllowed),
		errors.Is(err, issuance.ErrEmptyName), errors.Is(err, issuance.ErrUnsupportedKey):
		return acme.BadCSR(err.Error())
	}
	return nil
}

func keyThumbprint(pub any) (string, error) {
	return acme.Thumbprint(&jose.JSONWebKey{Key: pub})
}
