// Package crl builds, numbers and signs RFC 5280 §5 version 2 certificate revocation lists from
// the inventory. It streams: each revoked certificate is DER-encoded straight into a compact
// buffer as the source yields it, the to-be-signed list is hashed piece by piece, and the signed
// CRL is written to an io.Writer in pieces, so a list of a million entries costs about one
// encoded copy of itself in memory instead of a tree of Go values (x509.CreateRevocationList).
//
// The package does not decide when a CRL is due, nor where it is published; it does not pick the
// CRL number (the caller takes it from store's NextCRLNumber so that numbers increase across
// processes, RFC 5280 §5.2.3) and it never reads private keys: the CA key arrives as a
// crypto.Signer.
package crl

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"time"

	"github.com/anchorpki/anchor/store"
)

// Sentinel errors; the returned errors wrap them with the detail.
var (
	ErrInvalidOptions = errors.New("crl: invalid options")
	ErrKeyMismatch    = errors.New("crl: signer does not match the issuer's public key")
	ErrUnsupportedKey = errors.New("crl: unsupported signing key")
	ErrNumberTooLong  = errors.New("crl: CRL number longer than 20 octets")
	ErrInvalidEntry   = errors.New("crl: invalid revocation entry")
	ErrBadSignature   = errors.New("crl: signer returned an invalid signature")
)

// RevocationSource streams the revoked certificates of one issuer; *store.DB satisfies it.
//
// Contract: Revoked calls fn once per certificate issued under issuerKeyID (the issuer's subject
// key identifier) that is revoked and not yet expired at asOf, in any order, and stops at the
// first error fn returns, returning that error (wrapped or not). crl does not keep the
// store.Revocation value or its Serial after fn returns, so a source may reuse them between
// calls.
type RevocationSource interface {
	Revoked(ctx context.Context, issuerKeyID []byte, asOf time.Time, fn func(store.Revocation) error) error
}

// Options describe one CRL. Every field but Rand is required.
type Options struct {
	// Issuer is the CA whose certificates are listed. Its RawSubject becomes the CRL issuer
	// (RFC 5280 §5.1.2.3) and its SubjectKeyId the authority key identifier (§5.2.1); it must
	// carry the cRLSign key usage (§4.2.1.3).
	Issuer *x509.Certificate
	// Signer is the CA key, handed in by package ca; its public key must equal Issuer's.
	Signer crypto.Signer
	// Number is the CRL number (RFC 5280 §5.2.3): non-negative, at most 20 octets in DER.
	Number *big.Int
	// ThisUpdate is the issue date, and the instant at which the source decides which revoked
	// certificates have expired and may be left out (RFC 5280 §3.3).
	ThisUpdate time.Time
	// NextUpdate is the date by which the next CRL will be issued (RFC 5280 §5.1.2.5); it must be
	// after ThisUpdate. Both are encoded in UTC to the second.
	NextUpdate time.Time
	// Rand is the randomness handed to Signer. nil: crypto/rand.
	Rand io.Reader
}

// Stats describe a CRL that was written.
type Stats struct {
	Entries int   // revoked certificates listed
	Bytes   int64 // DER bytes written to w
}

// Write reads the revoked certificates of o.Issuer from src, signs a CRL listing them in the
// order src yields them, and writes its DER encoding to w.
//
// Nothing is signed and nothing is written unless every entry was read and encoded: an invalid
// option, a source error or a cancelled ctx returns before the signer is called. An error from w
// can leave a partial CRL in it; Stats.Bytes then says how much.
func Write(ctx context.Context, w io.Writer, src RevocationSource, o Options) (Stats, error) {
	l, err := build(ctx, src, o)
	if err != nil {
		return Stats{}, err
	}
	n, err := l.writeTo(w)
	return Stats{Entries: l.count, Bytes: n}, err
}

// Create is Write into memory. It holds the encoded entries and the finished CRL at the same
// time, so for large lists prefer Write to a file.
func Create(ctx context.Context, src RevocationSource, o Options) ([]byte, error) {
	l, err := build(ctx, src, o)
	if err != nil {
		return nil, err
	}
	buf := bytes.NewBuffer(make([]byte, 0, l.size()))
	if _, err := l.writeTo(buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
