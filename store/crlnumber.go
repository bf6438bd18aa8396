package store

import (
	"context"
	"math/big"
)

// NextCRLNumber increments and returns the CRL number of an issuer; the first call returns 1.
// RFC 5280 §5.2.3 requires CRL numbers to increase strictly per issuer; the single upsert
// statement makes the read and the increment one atomic step, across goroutines and across
// processes sharing the database.
func (db *DB) NextCRLNumber(ctx context.Context, issuerKeyID []byte) (*big.Int, error) {
	iss, err := keyIDText(issuerKeyID)
	if err != nil {
		return nil, err
	}
	var n int64
	err = db.sql.QueryRowContext(ctx, `INSERT INTO crl_numbers (issuer_key_id, last_number) VALUES ($1, 1)
		ON CONFLICT (issuer_key_id) DO UPDATE SET last_number = crl_numbers.last_number + 1
		RETURNING last_number`, iss).Scan(&n)
	if err != nil {
		return nil, wrap("next CRL number of "+iss, err)
	}
	return big.NewInt(n), nil
}
