package acmeserver

import (
	"net/http"
	"strings"

	"github.com/anchorpki/anchor/acme"
)

// directory serves the one URL clients are configured with (RFC 8555 §7.1.1).
func (s *Server) directory(w http.ResponseWriter, r *http.Request) {
	b := s.base(r)
	d := acme.Directory{
		NewNonce:    b + pathNewNonce,
		NewAccount:  b + pathNewAccount,
		NewOrder:    b + pathNewOrder,
		RevokeCert:  b + pathRevokeCert,
		KeyChange:   b + pathKeyChange,
		RenewalInfo: b + strings.TrimSuffix(pathRenewalInfo, "/"), // clients append "/" + CertID (RFC 9773 §4.1)
		Meta: &acme.Meta{
			TermsOfService:          s.o.TermsOfService,
			Website:                 s.o.Website,
			CAAIdentities:           s.o.CAAIdentities,
			ExternalAccountRequired: s.o.EABRequired,
			Profiles:                s.o.Profiles,
		},
	}
	w.Header().Set("Cache-Control", "public, max-age=0, no-cache")
	s.writeJSON(w, http.StatusOK, d)
}

// newNonce answers HEAD with 200 and GET with 204, each with a fresh nonce (RFC 8555 §7.2).
func (s *Server) newNonce(w http.ResponseWriter, r *http.Request) {
	n, err := s.nonces.issue(r.Context())
	if err != nil {
		s.writeProblem(w, r, err)
		return
	}
	w.Header().Set("Replay-Nonce", n)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Link", linkIndex(s.base(r)))
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
