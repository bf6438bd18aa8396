package acmeserver

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

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

	// A key the policy refuses is the client's to fix: say so while the order is still ready,
	// rather than let the authority's refusal make it invalid.
	if s.o.Policy != nil {
		if err := s.o.Policy.Check(policy.Request{PublicKey: csr.PublicKey}); err != nil {
			return nil, issueProblem(err)
		}
	}
	if err := s.recheckCAA(q, st.authzs); err != nil {
		return nil, err
	}

	// From here the client going away must not stop the issuance or its record.
	ctx := context.WithoutCancel(q.ctx)
	body := st.body
	body.Finalizing = s.o.Now()
	if o.Body, err = json.Marshal(body); err != nil {
		return nil, err
	}
	o.Status = string(acme.StatusProcessing)
	o, err = s.o.Store.UpdateACMEOrder(ctx, o)
	if errors.Is(err, store.ErrConflict) {
		return nil, acme.OrderNotReady("the order is being finalized by another request")
	}
	if err != nil {
		return nil, err
	}

	// Only what was validated goes into the certificate: the identifiers as SANs, and one of
	// them as the common name. Nothing else of the CSR's subject is copied: an O or UID there
	// was proven by nobody, and mTLS systems grant access by them (Kubernetes reads O as the
	// group).
	subject, err := commonNameSubject(csr.Subject.CommonName, st.body.Identifiers)
	if err != nil {
		return nil, err
	}
	req2 := ca.Request{PublicKey: csr.PublicKey, Subject: subject, SANs: identifierSANs(st.body.Identifiers), Profile: st.body.Profile}
	req2.NotBefore, req2.NotAfter = st.body.NotBefore, st.body.NotAfter
	req2.Requester = "acme:" + q.accountURL
	issued, issueErr := s.o.Authority.Issue(ctx, req2)

	body.Finalizing = time.Time{}
	refusal := issueProblem(issueErr)
	switch {
	case issueErr == nil:
		o.Status, o.CertSerial = string(acme.StatusValid), issued.Serial
	case refusal != nil: // the CA refused this request for good
		o.Status, body.Error = string(acme.StatusInvalid), refusal
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
	if refusal != nil {
		return nil, refusal
	}
	if issueErr != nil {
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

// commonNameSubject is the subject of an ACME certificate: CN = the CSR's common name (which
// matchOrder checked is an identifier), else the first DNS identifier that fits the 64
// characters RFC 5280 allows, else empty, as Let's Encrypt does.
func commonNameSubject(cn string, ids []acme.Identifier) ([]byte, error) {
	if cn == "" {
		for _, id := range ids {
			if id.Type == acme.IdentifierDNS && len(id.Value) <= 64 {
				cn = id.Value
				break
			}
		}
	}
	var name pkix.Name
	if cn != "" {
		name.CommonName = strings.ToLower(cn)
	}
	return asn1.Marshal(name.ToRDNSequence())
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

// caaRecheckAfter is how old a validation may be before its CAA check is repeated at issuance:
// RFC 8659 §3 asks for the check at issuance, and Let's Encrypt repeats one older than 8 hours,
// so a CAA record published since cannot be outrun by a reused authorization.
const caaRecheckAfter = 8 * time.Hour

// recheckCAA repeats the CAA check of every DNS authorization the order relies on that was
// validated more than caaRecheckAfter ago. A refusal leaves the order ready: once the records
// allow this CA again, the client finalizes again.
func (s *Server) recheckCAA(q *request, authzs []store.ACMEAuthz) error {
	now := s.o.Now()
	for _, a := range authzs {
		if a.IdentType != acme.IdentifierDNS {
			continue
		}
		var b authzBody
		if err := json.Unmarshal(a.Body, &b); err != nil {
			return err
		}
		for _, c := range b.Challenges {
			if c.Status != acme.StatusValid || now.Sub(c.Validated) <= caaRecheckAfter {
				continue
			}
			ctx, cancel := context.WithTimeout(q.ctx, s.o.ValidationTimeout)
			err := s.o.Validator.CAA(ctx, a.IdentValue, a.Wildcard, q.accountURL, c.Type)
			cancel()
			if err != nil {
				p := validationProblem(err)
				p.Identifier = &acme.Identifier{Type: a.IdentType, Value: a.IdentValue}
				return p
			}
		}
	}
	return nil
}
