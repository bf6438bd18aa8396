package ca

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// Revoked is the outcome of a revocation request.
type Revoked struct {
	Serial    string            `json:"serial"` // lowercase hex
	Subject   string            `json:"subject"`
	Reason    revocation.Reason `json:"reason"`
	RevokedAt time.Time         `json:"revoked_at"`
	// Already is true when the certificate was revoked before this request; Reason and
	// RevokedAt are then the first revocation's, which stands.
	Already bool `json:"already_revoked"`
	// Released is true when the request (reason removeFromCRL) took a certificate off hold.
	Released bool `json:"released_from_hold,omitempty"`
}

// ErrNotOnHold is returned when removeFromCRL names a certificate that is not on hold.
var ErrNotOnHold = errors.New("ca: certificate is not on hold")

// holdReleaser is the inventory's way back from certificateHold, the one reversible reason.
type holdReleaser interface {
	ReleaseHold(ctx context.Context, issuerKeyID []byte, serial *big.Int) error
}

// Revoke records the revocation of a certificate this authority's issuer signed. Revoking twice
// is not an error: the first revocation's time and reason stand and are reported, because a
// CRL or OCSP answer whose date moves would tell relying parties something false.
// Reason removeFromCRL releases a certificate from certificateHold (RFC 5280 §5.3.1).
func (a *Authority) Revoke(ctx context.Context, serial *big.Int, reason revocation.Reason, requester string) (*Revoked, error) {
	if !reason.Valid() {
		return nil, fmt.Errorf("ca: invalid revocation reason %d", int(reason))
	}
	keyID := a.o.Issuer.KeyID()
	c, err := a.o.Inventory.Get(ctx, keyID, serial)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("ca: no certificate with serial %x was issued by %s: %w", serial, a.issuerName(), err)
		}
		return nil, err
	}
	out := &Revoked{Serial: hex.EncodeToString(serial.Bytes()), Subject: c.Subject}
	if reason == revocation.RemoveFromCRL {
		return out, a.releaseHold(ctx, c, out, requester)
	}
	at := a.o.Now().UTC().Truncate(time.Second)
	err = a.o.Inventory.Revoke(ctx, keyID, serial, int(reason), at)
	switch {
	case errors.Is(err, store.ErrAlreadyRevoked):
		first, gerr := a.o.Inventory.Get(ctx, keyID, serial)
		if gerr != nil {
			return nil, gerr
		}
		out.Already, out.Reason, out.RevokedAt = true, revocation.Reason(first.RevocationReason), first.RevokedAt.UTC()
		return out, nil
	case errors.Is(err, store.ErrNotIssued):
		return nil, fmt.Errorf("ca: serial %x was reserved but never signed (an interrupted issuance); there is no certificate to revoke: %w", serial, err)
	case err != nil:
		return nil, err
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit: revoked certificate", slog.String("serial", out.Serial),
		slog.String("subject", c.Subject), slog.Any("names", c.SANs), slog.String("reason", reason.String()),
		slog.String("requester", requester))
	out.Reason, out.RevokedAt = reason, at
	if a.o.OnRevoked != nil {
		a.o.OnRevoked(out)
	}
	return out, nil
}

func (a *Authority) releaseHold(ctx context.Context, c store.Certificate, out *Revoked, requester string) error {
	r, ok := a.o.Inventory.(holdReleaser)
	if !ok {
		return errors.New("ca: this inventory cannot release a certificate hold")
	}
	if err := r.ReleaseHold(ctx, c.IssuerKeyID, c.Serial); err != nil {
		if c.Status == store.StatusRevoked {
			return fmt.Errorf("%w: it was revoked for %s on %s, which is permanent", ErrNotOnHold,
				revocation.Reason(c.RevocationReason), c.RevokedAt.UTC().Format(time.RFC3339))
		}
		return fmt.Errorf("%w (%v)", ErrNotOnHold, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit: released certificate hold", slog.String("serial", out.Serial),
		slog.String("requester", requester))
	out.Reason, out.Released = revocation.RemoveFromCRL, true
	if a.o.OnRevoked != nil {
		a.o.OnRevoked(out)
	}
	return nil
}

func (a *Authority) issuerName() string {
	if c := a.o.Issuer.Certificate(); c != nil {
		return c.Subject.String()
	}
	return "this CA"
}
