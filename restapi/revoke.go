package restapi

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// revokeRequest is the body of POST /api/v1/certificates/{serial}/revoke; an empty body means
// reason unspecified.
type revokeRequest struct {
	Reason string `json:"reason"` // an RFC 5280 name ("keyCompromise") or code ("1")
}

// revoked is the body of a successful revocation.
type revoked struct {
	Serial    string     `json:"serial"`
	Reason    string     `json:"reason"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"` // absent only when a hold was released
	// AlreadyRevoked: the certificate was revoked before this request; Reason and RevokedAt
	// are the first revocation's, which stands.
	AlreadyRevoked   bool `json:"already_revoked"`
	ReleasedFromHold bool `json:"released_from_hold,omitempty"`
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request, ev *event) error {
	p, err := a.authorize(w, r, ev, apitoken.ScopeRevoke)
	if err != nil {
		return err
	}
	serial, err := parseSerial(r.PathValue("serial"))
	if err != nil {
		return err
	}
	ev.serial = hex.EncodeToString(serial.Bytes())
	body, err := readBody(w, r, a.o.MaxBodyBytes)
	if err != nil {
		return err
	}
	var in revokeRequest
	if err := decodeJSON(body, &in, true); err != nil {
		return err
	}
	reason := revocation.Unspecified
	if in.Reason != "" {
		if reason, err = revocation.ParseReason(in.Reason); err != nil {
			return problemf(TypeMalformed, "unknown revocation reason %q: use an RFC 5280 name such as keyCompromise, superseded, cessationOfOperation or certificateHold", in.Reason)
		}
	}
	if p.restricted {
		// A token limited to some names may revoke only certificates it could have obtained.
		rec, err := a.o.Inventory.Get(r.Context(), a.o.Authority.Issuer().KeyID(), serial)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil {
			if why := p.refusal(rec.SANs); why != "" {
				return problemf(TypeForbidden, "%s may not revoke %s: it %s", p.what, ev.serial, why)
			}
		}
	}
	out, err := a.o.Authority.Revoke(r.Context(), serial, reason, p.requester)
	if err != nil {
		return err
	}
	if !out.Already && a.o.OnRevoke != nil {
		a.o.OnRevoke(serial)
	}
	// The serial is written as everywhere else in this API (hex of the bytes: even length).
	res := revoked{Serial: ev.serial, Reason: out.Reason.String(), AlreadyRevoked: out.Already, ReleasedFromHold: out.Released}
	if !out.RevokedAt.IsZero() && !out.Released {
		at := out.RevokedAt.UTC()
		res.RevokedAt = &at
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
