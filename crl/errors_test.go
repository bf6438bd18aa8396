package crl_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

// countingSigner is a real key that counts how often it was asked to sign.
type countingSigner struct {
	crypto.Signer
	calls *atomic.Int32
}

func (s countingSigner) Sign(r io.Reader, digest []byte, o crypto.SignerOpts) ([]byte, error) {
	s.calls.Add(1)
	return s.Signer.Sign(r, digest, o)
}

// failingSigner is an HSM that is unreachable.
type failingSigner struct{ crypto.Signer }

var errHSMDown = errors.New("hsm: connection refused")

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errHSMDown
}

// confusedSigner announces one public key but signs with another, like a misconfigured HSM slot.
type confusedSigner struct {
	public crypto.PublicKey
	crypto.Signer
}

func (s confusedSigner) Public() crypto.PublicKey { return s.public }

func TestErrors(t *testing.T) {
	t.Parallel()
	c := testCA(t, "P-256")
	other := testCA(t, "Ed25519")
	errDB := errors.New("database: connection reset")
	good := []store.Revocation{
		{Serial: big.NewInt(1), RevokedAt: revokedAt, Reason: 1},
		{Serial: big.NewInt(2), RevokedAt: revokedAt},
	}
	withRow := func(r store.Revocation) []store.Revocation { return append(append([]store.Revocation{}, good...), r) }
	tests := []struct {
		name    string
		edit    func(*crl.Options)
		rows    []store.Revocation
		srcErr  error // the source fails after the good rows
		wantErr error
	}{
		{"signer of another key", func(o *crl.Options) { o.Signer = other.key }, good, nil, crl.ErrKeyMismatch},
		{"signer of another P-256 key", func(o *crl.Options) { o.Signer = newKey(t, "P-256") }, good, nil, crl.ErrKeyMismatch},
		{"number of 21 octets", func(o *crl.Options) { o.Number = hexInt(t, "010000000000000000000000000000000000000000") }, good, nil, crl.ErrNumberTooLong},
		{"number of 20 octets with high bit", func(o *crl.Options) { o.Number = hexInt(t, "8000000000000000000000000000000000000000") }, good, nil, crl.ErrNumberTooLong},
		{"X25519 issuer key", func(o *crl.Options) {
			pub := x25519Public(t)
			o.Issuer = edited(o.Issuer, func(c *x509.Certificate) { c.PublicKey = pub })
			o.Signer = confusedSigner{pub, o.Signer}
		}, good, nil, crl.ErrUnsupportedKey},
		{"negative number", func(o *crl.Options) { o.Number = big.NewInt(-1) }, good, nil, crl.ErrInvalidOptions},
		{"no number", func(o *crl.Options) { o.Number = nil }, good, nil, crl.ErrInvalidOptions},
		{"no issuer", func(o *crl.Options) { o.Issuer = nil }, good, nil, crl.ErrInvalidOptions},
		{"no signer", func(o *crl.Options) { o.Signer = nil }, good, nil, crl.ErrInvalidOptions},
		{"no thisUpdate", func(o *crl.Options) { o.ThisUpdate = time.Time{} }, good, nil, crl.ErrInvalidOptions},
		{"no nextUpdate", func(o *crl.Options) { o.NextUpdate = time.Time{} }, good, nil, crl.ErrInvalidOptions},
		{"nextUpdate equals thisUpdate", func(o *crl.Options) { o.NextUpdate = o.ThisUpdate }, good, nil, crl.ErrInvalidOptions},
		{"nextUpdate after year 9999", func(o *crl.Options) { o.NextUpdate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, good, nil, crl.ErrInvalidOptions},
		{"issuer without SKI", func(o *crl.Options) { o.Issuer = edited(o.Issuer, func(c *x509.Certificate) { c.SubjectKeyId = nil }) }, good, nil, crl.ErrInvalidOptions},
		{"issuer without cRLSign", func(o *crl.Options) {
			o.Issuer = edited(o.Issuer, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign })
		}, good, nil, crl.ErrInvalidOptions},
		{"issuer without RawSubject", func(o *crl.Options) { o.Issuer = edited(o.Issuer, func(c *x509.Certificate) { c.RawSubject = nil }) }, good, nil, crl.ErrInvalidOptions},
		{"nil serial", nil, withRow(store.Revocation{RevokedAt: revokedAt}), nil, crl.ErrInvalidEntry},
		{"no revocation time", nil, withRow(store.Revocation{Serial: big.NewInt(3)}), nil, crl.ErrInvalidEntry},
		{"revocation after year 9999", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}), nil, crl.ErrInvalidEntry},
		{"unused reason 7", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: revokedAt, Reason: 7}), nil, crl.ErrInvalidEntry},
		{"removeFromCRL in a full CRL", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: revokedAt, Reason: 8}), nil, crl.ErrInvalidEntry},
		{"reason 11", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: revokedAt, Reason: 11}), nil, crl.ErrInvalidEntry},
		{"negative reason", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: revokedAt, Reason: -1}), nil, crl.ErrInvalidEntry},
		{"source fails mid-stream", nil, withRow(store.Revocation{Serial: big.NewInt(3), RevokedAt: revokedAt}), errDB, errDB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			o := opts(c, 1)
			if tc.edit != nil {
				tc.edit(&o)
			}
			if o.Signer != nil {
				o.Signer = countingSigner{o.Signer, &calls}
			}
			src := &source{rows: tc.rows}
			if tc.srcErr != nil {
				src.failAfter, src.err = len(good), tc.srcErr
			}
			var out bytes.Buffer
			st, err := crl.Write(t.Context(), &out, src, o)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Write error %v; want %v", err, tc.wantErr)
			}
			if calls.Load() != 0 || out.Len() != 0 || st != (crl.Stats{}) {
				t.Fatalf("after %v: %d signatures, %d bytes written, stats %+v; want none", err, calls.Load(), out.Len(), st)
			}
		})
	}
}

func x25519Public(t *testing.T) crypto.PublicKey {
	t.Helper()
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k.PublicKey()
}

func edited(c *x509.Certificate, f func(*x509.Certificate)) *x509.Certificate {
	cp := *c
	f(&cp)
	return &cp
}

func TestSignerFailures(t *testing.T) {
	t.Parallel()
	c := testCA(t, "P-256")
	tests := []struct {
		name    string
		signer  crypto.Signer
		wantErr error
	}{
		{"signer unreachable", failingSigner{c.key}, errHSMDown},
		{"signer uses another key", confusedSigner{c.key.Public(), newKey(t, "P-256")}, crl.ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := opts(c, 1)
			o.Signer = tc.signer
			var out bytes.Buffer
			if _, err := crl.Write(t.Context(), &out, &source{rows: randomRows(10, 3)}, o); !errors.Is(err, tc.wantErr) || out.Len() != 0 {
				t.Fatalf("Write error %v with %d bytes written; want %v and nothing written", err, out.Len(), tc.wantErr)
			}
		})
	}
}

// cancellingSource cancels the context after some rows and carries on, like a source that
// does not watch ctx itself; crl must notice.
type cancellingSource struct {
	rows   []store.Revocation
	at     int
	cancel context.CancelFunc
}

func (s cancellingSource) Revoked(ctx context.Context, _ []byte, _ time.Time, fn func(store.Revocation) error) error {
	for i, r := range s.rows {
		if i == s.at {
			s.cancel()
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func TestContextCancelled(t *testing.T) {
	t.Parallel()
	c := testCA(t, "P-256")
	var calls atomic.Int32
	o := opts(c, 1)
	o.Signer = countingSigner{c.key, &calls}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := crl.Create(ctx, &source{rows: randomRows(10, 4)}, o); !errors.Is(err, context.Canceled) {
		t.Errorf("Create with a cancelled context: %v; want context.Canceled", err)
	}

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	if _, err := crl.Create(ctx, cancellingSource{rows: randomRows(5000, 5), at: 10, cancel: cancel}, o); !errors.Is(err, context.Canceled) {
		t.Errorf("Create cancelled mid-stream: %v; want context.Canceled", err)
	}
	if calls.Load() != 0 {
		t.Errorf("signed %d times after cancellation", calls.Load())
	}
}

// limitedWriter accepts limit bytes, then fails like a full disk.
type limitedWriter struct {
	limit int
	n     int
}

var errDiskFull = errors.New("write: no space left on device")

func (w *limitedWriter) Write(p []byte) (int, error) {
	k := min(len(p), w.limit-w.n)
	w.n += k
	if k < len(p) {
		return k, errDiskFull
	}
	return k, nil
}

func TestWriterFails(t *testing.T) {
	t.Parallel()
	c := testCA(t, "P-256")
	for _, limit := range []int{0, 10, 5000, 100000} {
		w := &limitedWriter{limit: limit}
		st, err := crl.Write(t.Context(), w, &source{rows: randomRows(3000, 6)}, opts(c, 1))
		if !errors.Is(err, errDiskFull) || st.Bytes != int64(limit) {
			t.Errorf("Write into %d bytes of space: %+v, %v; want %d bytes and errDiskFull", limit, st, err, limit)
		}
	}
}
