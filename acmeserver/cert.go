package acmeserver

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// certificate serves an order's certificate as a PEM chain, leaf first and the root left out,
// which is what every client installs (RFC 8555 §7.4.2).
func (s *Server) certificate(q *request) (*response, error) {
	if !q.postAsGet() {
		return nil, malformed("a certificate is downloaded with POST-as-GET (an empty payload)")
	}
	o, err := s.ownOrder(q)
	if err != nil {
		return nil, err
	}
	if o.Status != string(acme.StatusValid) || o.CertSerial == "" {
		return nil, notFound("order %s has no certificate", q.base+pathOrder+o.ID)
	}
	serial, err := issuance.ParseSerial(o.CertSerial)
	if err != nil {
		return nil, fmt.Errorf("acmeserver: order %s: %w", o.ID, err)
	}
	c, err := s.o.Store.Get(q.ctx, s.issuerKeyID(), serial)
	if err != nil {
		return nil, err
	}
	chain := pemfile.Encode("CERTIFICATE", c.DER)
	for _, ca := range s.o.Authority.Chain() {
		chain = append(chain, pemfile.Encode("CERTIFICATE", ca.Raw)...)
	}
	resp := &response{raw: chain, rawType: "application/pem-certificate-chain"}
	if s.o.IssuerURL != "" {
		resp.links = append(resp.links, `<`+s.o.IssuerURL+`>;rel="up"`)
	}
	return resp, nil
}

// subscriberReasons are the revocation reasons a subscriber may give (RFC 8555 §7.6 leaves
// the choice to the CA; these are the CA/Browser Forum's for subscriber requests):
// certificateHold is the CA's own tool, and the rest concern CAs.
var subscriberReasons = []revocation.Reason{revocation.Unspecified, revocation.KeyCompromise,
	revocation.AffiliationChanged, revocation.Superseded, revocation.CessationOfOperation}

// revokeCert revokes a certificate of this CA (RFC 8555 §7.6), signed either by the account
// that obtained it (or that holds valid authorizations for all its names), or by the
// certificate's own key.
func (s *Server) revokeCert(q *request) (*response, error) {
	var req acme.RevokeRequest
	if err := decodePayload(q, &req); err != nil {
		return nil, err
	}
	der, err := req.DER()
	if err != nil {
		return nil, err
	}
	reason, err := req.RevocationReason()
	if err != nil {
		return nil, err
	}
	allowed := false
	for _, r := range subscriberReasons {
		allowed = allowed || r == reason
	}
	if !allowed {
		return nil, acme.BadRevocationReason(fmt.Sprintf("reason %s cannot be requested over ACME; use unspecified, keyCompromise, affiliationChanged, superseded or cessationOfOperation", reason))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, malformed("the certificate does not parse: %v", err)
	}
	issuer := s.o.Authority.Chain()[0]
	if err := cert.CheckSignatureFrom(issuer); err != nil {
		return nil, notFound("the certificate was not issued by this CA")
	}
	rec, err := s.o.Store.Get(q.ctx, s.issuerKeyID(), cert.SerialNumber)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !bytes.Equal(rec.DER, der)) {
		return nil, notFound("the certificate is not in this CA's inventory")
	}
	if err != nil {
		return nil, err
	}
	requester, err := s.mayRevoke(q, cert)
	if err != nil {
		return nil, err
	}
	if rec.Status == store.StatusRevoked {
		return nil, acme.AlreadyRevoked(fmt.Sprintf("the certificate was revoked at %s", rec.RevokedAt.Format(time.RFC3339)))
	}
	r, err := s.o.Authority.Revoke(q.ctx, cert.SerialNumber, reason, requester)
	if err != nil {
		return nil, err
	}
	if r.Already {
		return nil, acme.AlreadyRevoked(fmt.Sprintf("the certificate was revoked at %s", r.RevokedAt.Format(time.RFC3339)))
	}
	s.log.Info("acme: certificate revoked", "serial", r.Serial, "reason", reason.String(), "requester", requester)
	return &response{}, nil
}

// mayRevoke decides whether the signer may revoke cert, and names the requester for the audit
// record.
func (s *Server) mayRevoke(q *request, cert *x509.Certificate) (string, error) {
	if q.account == nil { // signed with a jwk: it must be the certificate's own key
		tp, err := keyThumbprint(cert.PublicKey)
		want, _ := acme.Thumbprint(q.jwk)
		if err != nil || tp != want {
			return "", unauthorized("the request is signed neither by an account nor by the certificate's key")
		}
		return "acme:certificate-key", nil
	}
	requester := "acme:" + q.accountURL
	o, err := s.o.Store.ACMEOrderBySerial(q.ctx, serialHex(cert.SerialNumber))
	if err == nil && o.AccountID == q.account.ID {
		return requester, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	// Another account may revoke if it has proven control of every name (RFC 8555 §7.6).
	now := s.o.Now()
	ids := certIdentifiers(cert)
	for _, id := range ids {
		authzID, wildcard := id.Authorization()
		if _, err := s.o.Store.ValidACMEAuthz(q.ctx, q.account.ID, authzID.Type, authzID.Value, wildcard, now); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", unauthorized("this account did not obtain the certificate and holds no valid authorization for %s", id.Value)
			}
			return "", err
		}
	}
	if len(ids) == 0 {
		return "", unauthorized("this account did not obtain the certificate")
	}
	return requester, nil
}

func certIdentifiers(cert *x509.Certificate) []acme.Identifier {
	var ids []acme.Identifier
	for _, n := range cert.DNSNames {
		ids = append(ids, acme.Identifier{Type: acme.IdentifierDNS, Value: strings.ToLower(n)})
	}
	for _, ip := range cert.IPAddresses {
		a, _ := netip.AddrFromSlice(ip)
		ids = append(ids, acme.Identifier{Type: acme.IdentifierIP, Value: a.Unmap().String()})
	}
	return ids
}
