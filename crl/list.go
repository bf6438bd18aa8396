package crl

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/anchorpki/anchor/store"
)

// ctxCheckEvery is how many entries pass between checks of ctx; a database source notices a
// cancellation itself, this only bounds the work a source that does not would waste.
const ctxCheckEvery = 1024

// list is a signed CRL in the three pieces it is written in, so the entries are never copied
// into one contiguous encoding (RFC 5280 §5.1):
//
//	CertificateList ::= SEQUENCE {
//	    tbsCertList        SEQUENCE { version, signature, issuer, thisUpdate, nextUpdate,
//	                                  revokedCertificates SEQUENCE OF … OPTIONAL,   -- head ends
//	                                  [0] crlExtensions },                            -- entries
//	    signatureAlgorithm AlgorithmIdentifier,                                      -- tail
//	    signatureValue     BIT STRING }
type list struct {
	head    []byte
	entries chunks
	count   int
	tail    []byte
}

func (l *list) size() int { return len(l.head) + l.entries.n + len(l.tail) }

// build reads src, encodes, hashes and signs. Every step that can fail for a reason other than
// the signer comes before the signer is called.
func build(ctx context.Context, src RevocationSource, o Options) (*list, error) {
	p, err := o.prepare()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Step 1: stream the entries into the compact buffer.
	var enc entryEncoder
	var stop error // why our callback refused an entry, whether or not the source passes it on
	err = src.Revoked(ctx, o.Issuer.SubjectKeyId, o.ThisUpdate, func(r store.Revocation) error {
		if stop != nil { // a source that ignored the refusal and called again
			return stop
		}
		if enc.count%ctxCheckEvery == 0 {
			if stop = ctx.Err(); stop != nil {
				return stop
			}
		}
		stop = enc.add(r)
		return stop
	})
	if stop != nil {
		return nil, stop
	}
	if err != nil {
		return nil, fmt.Errorf("reading revocations of issuer %x: %w", o.Issuer.SubjectKeyId, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Step 2: DER lengths, now that the entries' total size is known. RFC 5280 §5.1.2.6: with
	// no entries, revokedCertificates is absent, not an empty SEQUENCE.
	l := &list{entries: enc.out, count: enc.count}
	n := l.entries.n
	revokedLen := 0
	if n > 0 {
		revokedLen = headerLen(n) + n
	}
	tbsContent := len(p.fields) + revokedLen + len(p.exts)
	tbs := appendHeader(make([]byte, 0, 6+len(p.fields)+6), tagSequence, tbsContent)
	tbs = append(tbs, p.fields...)
	if n > 0 {
		tbs = appendHeader(tbs, tagSequence, n)
	}

	// Step 3: sign the TBS, hashed piece by piece. Ed25519 signs the message itself (RFC 8032
	// §5.1.6 hashes it twice), so for it alone the TBS is joined, once, and dropped after.
	var signed []byte
	if p.alg.hash == 0 {
		signed = make([]byte, 0, len(tbs)+n+len(p.exts))
		signed = append(signed, tbs...)
		for b := range l.entries.all() {
			signed = append(signed, b...)
		}
		signed = append(signed, p.exts...)
	} else {
		h := p.alg.hash.New()
		h.Write(tbs)
		for b := range l.entries.all() {
			h.Write(b)
		}
		h.Write(p.exts)
		signed = h.Sum(nil)
	}
	r := o.Rand
	if r == nil {
		r = rand.Reader
	}
	sig, err := o.Signer.Sign(r, signed, p.alg.hash)
	if err != nil {
		return nil, fmt.Errorf("signing CRL number %v: %w", o.Number, err)
	}
	if err := p.alg.verify(p.pub, signed, sig); err != nil {
		return nil, fmt.Errorf("signing CRL number %v: %w", o.Number, err)
	}

	// Step 4: the outer SEQUENCE around TBS, algorithm and signature. The BIT STRING has no
	// unused bits (RFC 5280 §5.1.1.3).
	sigValue := appendHeader(nil, tagBitString, len(sig)+1)
	sigValue = append(sigValue, 0)
	sigValue = append(sigValue, sig...)
	outer := len(tbs) + n + len(p.exts) + len(p.alg.id) + len(sigValue)
	l.head = appendHeader(make([]byte, 0, 6+len(tbs)), tagSequence, outer)
	l.head = append(l.head, tbs...)
	l.tail = append(append(p.exts, p.alg.id...), sigValue...)
	return l, nil
}

// writeTo writes the CRL in its pieces and returns how many bytes w accepted.
func (l *list) writeTo(w io.Writer) (int64, error) {
	var total int64
	put := func(b []byte) error {
		k, err := w.Write(b)
		total += int64(k)
		if err == nil && k < len(b) {
			err = io.ErrShortWrite
		}
		return err
	}
	err := put(l.head)
	for b := range l.entries.all() {
		if err != nil {
			break
		}
		err = put(b)
	}
	if err == nil {
		err = put(l.tail)
	}
	if err != nil {
		return total, fmt.Errorf("writing CRL: %w", err)
	}
	return total, nil
}
