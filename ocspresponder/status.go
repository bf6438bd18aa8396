package ocspresponder

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// certState is what a response asserts about one certificate. A cached response is reused only
// while the inventory still yields an equal certState.
type certState struct {
	status    int       // ocsp.Good, ocsp.Revoked or ocsp.Unknown
	revokedAt time.Time // whole seconds, UTC: what GeneralizedTime carries
	reason    int       // RFC 5280 CRLReason; 0 (unspecified) is omitted from the response
}

func (s certState) equal(t certState) bool {
	return s.status == t.status && s.reason == t.reason && s.revokedAt.Equal(t.revokedAt)
}

func (s certState) outcome() Status {
	switch s.status {
	case ocsp.Good:
		return StatusGood
	case ocsp.Revoked:
		return StatusRevoked
	}
	return StatusUnknown
}

var unknown = certState{status: ocsp.Unknown}

// lookup reads the status of serial from the inventory. Every path that is not a positive
// answer from the inventory ends in "unknown" or an error, never in "good".
func (r *Responder) lookup(ctx context.Context, iss *issuer, serial *big.Int) (certState, error) {
	// RFC 5280 §4.1.2.2: serials are positive and at most 20 octets, and this CA issues no
	// others, so such a serial is known not to be ours without asking the inventory.
	if serial.Sign() <= 0 || len(serial.Bytes()) > 20 {
		return unknown, nil
	}
	c, err := r.o.Source.Status(ctx, iss.keyID, serial)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return unknown, nil // RFC 6960 §2.2: never issued by this issuer
	case err != nil:
		return certState{}, fmt.Errorf("reading status of serial %x: %w", serial, err)
	}
	switch c.Status {
	case store.StatusValid:
		return certState{status: ocsp.Good}, nil
	case store.StatusPending:
		// Reserved but no DER recorded: see the package documentation for why this is
		// "unknown" rather than "good" or "revoked".
		return unknown, nil
	case store.StatusRevoked:
		reason := c.RevocationReason
		if !revocation.Reason(reason).Valid() || revocation.Reason(reason) == revocation.RemoveFromCRL {
			// removeFromCRL belongs to delta CRLs only (RFC 5280 §5.3.1) and other codes are
			// undefined; the certificate is still revoked, so say so without a reason rather
			// than fail the request (which a soft-failing client would read as "fine").
			r.log.LogAttrs(ctx, slog.LevelWarn, "ocsp: revoked certificate has an invalid reason code; omitting it",
				slog.String("serial", hex.EncodeToString(serial.Bytes())), slog.Int("reason", reason))
			reason = int(revocation.Unspecified)
		}
		return certState{status: ocsp.Revoked, revokedAt: c.RevokedAt.UTC().Truncate(time.Second), reason: reason}, nil
	}
	return certState{}, fmt.Errorf("%w %q for serial %x", ErrInventoryStatus, c.Status, serial)
}
