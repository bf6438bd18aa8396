package crl

import (
	"context"
	"fmt"
	"io"
	"math/big"
)

// NumberSource hands out CRL numbers that increase across processes and restarts (RFC 5280
// §5.2.3); *store.DB satisfies it.
type NumberSource interface {
	NextCRLNumber(ctx context.Context, issuerKeyID []byte) (*big.Int, error)
}

// WriteNext is Write with the CRL number taken from numbers; o.Number must be nil. A number
// taken for a CRL that then fails is skipped, never reused: gaps are allowed, repeats are not.
func WriteNext(ctx context.Context, w io.Writer, src RevocationSource, numbers NumberSource, o Options) (Stats, *big.Int, error) {
	if o.Number != nil {
		return Stats{}, nil, fmt.Errorf("%w: Number is taken from the NumberSource", ErrInvalidOptions)
	}
	if o.Issuer == nil {
		return Stats{}, nil, fmt.Errorf("%w: Issuer is required", ErrInvalidOptions)
	}
	n, err := numbers.NextCRLNumber(ctx, o.Issuer.SubjectKeyId)
	if err != nil {
		return Stats{}, nil, fmt.Errorf("crl: taking the next CRL number: %w", err)
	}
	o.Number = n
	st, err := Write(ctx, w, src, o)
	return st, n, err
}
