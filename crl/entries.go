package crl

import (
	"fmt"
	"iter"

	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// Chunk sizes of the entries buffer: small for the common short CRL, growing to 1 MiB so that a
// million entries (about 45–60 MB) live in some fifty allocations, never copied to grow.
const (
	firstChunk = 4 << 10
	maxChunk   = 1 << 20
)

// chunks is an append-only byte buffer kept as a list of blocks. Unlike a growing slice it never
// copies what it holds, so its peak footprint is its content plus one partly filled block; the
// encoded entries are hashed and written block by block and never joined (except for Ed25519,
// whose signature is over the whole message).
type chunks struct {
	full [][]byte
	cur  []byte
	n    int
}

func (c *chunks) write(p []byte) {
	for len(p) > 0 {
		if len(c.cur) == cap(c.cur) {
			size := firstChunk
			if cap(c.cur) > 0 {
				c.full = append(c.full, c.cur)
				size = min(2*cap(c.cur), maxChunk)
			}
			c.cur = make([]byte, 0, size)
		}
		k := copy(c.cur[len(c.cur):cap(c.cur)], p)
		c.cur = c.cur[:len(c.cur)+k]
		c.n += k
		p = p[k:]
	}
}

// all yields the blocks in order.
func (c *chunks) all() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, b := range c.full {
			if !yield(b) {
				return
			}
		}
		if len(c.cur) > 0 {
			yield(c.cur)
		}
	}
}

// entryEncoder turns revocations into revokedCertificates elements (RFC 5280 §5.1):
//
//	SEQUENCE { userCertificate CertificateSerialNumber, revocationDate Time,
//	           crlEntryExtensions Extensions OPTIONAL }
type entryEncoder struct {
	out     chunks
	count   int
	scratch []byte // one entry, reused
}

// entryHeadroom is room left in front of an entry's content for its SEQUENCE header, so the
// header can be written after the content length is known without moving the content. Four
// octets cover any entry under 64 KiB; a longer one (an absurd serial) takes the slow path.
const entryHeadroom = 4

func (e *entryEncoder) add(r store.Revocation) error {
	if r.Serial == nil {
		return fmt.Errorf("%w: nil serial", ErrInvalidEntry)
	}
	if r.RevokedAt.IsZero() {
		return fmt.Errorf("%w: serial %x has no revocation time", ErrInvalidEntry, r.Serial)
	}
	reason := revocation.Reason(r.Reason)
	// RFC 5280 §5.3.1: removeFromCRL only belongs in delta CRLs; this package writes full ones.
	if !reason.Valid() || reason == revocation.RemoveFromCRL {
		return fmt.Errorf("%w: serial %x has reason %v, not allowed in a full CRL", ErrInvalidEntry, r.Serial, reason)
	}

	b := append(e.scratch[:0], make([]byte, entryHeadroom)...)
	b = appendInteger(b, r.Serial)
	b, err := appendTime(b, r.RevokedAt)
	if err != nil {
		return fmt.Errorf("%w: serial %x: %v", ErrInvalidEntry, r.Serial, err)
	}
	// RFC 5280 §5.3.1: the reasonCode extension SHOULD be absent rather than say unspecified.
	if reason != revocation.Unspecified {
		b = append(b,
			tagSequence, 12, // crlEntryExtensions
			tagSequence, 10, // Extension
			tagOID, 3, 0x55, 0x1d, 0x15, // id-ce-cRLReasons 2.5.29.21, not critical (§5.3.1)
			tagOctetString, 3, tagEnumerated, 1, byte(reason))
	}
	e.scratch = b

	n := len(b) - entryHeadroom
	h := headerLen(n)
	if h > entryHeadroom {
		e.out.write(appendHeader(nil, tagSequence, n))
		e.out.write(b[entryHeadroom:])
	} else {
		start := entryHeadroom - h
		appendHeader(b[start:start], tagSequence, n)
		e.out.write(b[start:])
	}
	e.count++
	return nil
}
