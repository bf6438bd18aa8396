package ocspresponder

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"fmt"
	"math/big"
	"sync/atomic"

	// The CertID hash algorithms, linked in for crypto.Hash.New.
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// issuer is one CA certificate this responder answers for.
type issuer struct {
	cert  *x509.Certificate
	index uint16 // position in Options.Issuers: part of the cache key
	// keyID is the inventory's issuer key id: the subject key identifier, or RFC 5280
	// §4.2.1.2 method (1) when the certificate has none, as package issuance computes it.
	keyID []byte
	// verified is the raw delegated responder certificate last checked against this issuer, so
	// the signature check runs once per delegated certificate rather than once per response.
	verified atomic.Pointer[[]byte]
}

// issuerSet finds the issuer a CertID names, by hash algorithm, issuerNameHash and
// issuerKeyHash (RFC 6960 §4.1.1).
type issuerSet struct {
	byCertID map[string]*issuer
}

func newIssuerSet(certs []*x509.Certificate) (*issuerSet, error) {
	if len(certs) > 1<<16 {
		return nil, fmt.Errorf("%w: %d issuers", ErrInvalidOptions, len(certs))
	}
	s := &issuerSet{byCertID: make(map[string]*issuer)}
	for i, c := range certs {
		if c == nil || len(c.RawSubject) == 0 || len(c.RawSubjectPublicKeyInfo) == 0 {
			return nil, fmt.Errorf("%w: Issuers[%d] is not a parsed certificate", ErrInvalidOptions, i)
		}
		var spki struct {
			Algorithm asn1.RawValue
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
			return nil, fmt.Errorf("%w: Issuers[%d] public key: %v", ErrInvalidOptions, i, err)
		}
		// RFC 6960 §4.1.1: issuerKeyHash is the hash of the value of the BIT STRING
		// subjectPublicKey, excluding tag, length and unused-bits octet.
		key := spki.PublicKey.RightAlign()
		iss := &issuer{cert: c, index: uint16(i), keyID: c.SubjectKeyId}
		if len(iss.keyID) == 0 {
			sum := sha1.Sum(key)
			iss.keyID = sum[:]
		}
		for _, h := range hashOIDs {
			id := certIDKey(h.hash, digest(h.hash, c.RawSubject), digest(h.hash, key))
			if prev, dup := s.byCertID[id]; dup {
				// Same name and key: a re-issued CA certificate. Either answers the same CertID,
				// but both must also be the same issuer in the inventory.
				if !bytes.Equal(prev.keyID, iss.keyID) {
					return nil, fmt.Errorf("%w: Issuers[%d] and Issuers[%d] share name and key but not key id", ErrInvalidOptions, prev.index, i)
				}
				continue
			}
			s.byCertID[id] = iss
		}
	}
	return s, nil
}

func digest(h crypto.Hash, b []byte) []byte {
	d := h.New()
	d.Write(b)
	return d.Sum(nil)
}

func certIDKey(h crypto.Hash, nameHash, keyHash []byte) string {
	b := make([]byte, 0, 2+len(nameHash)+len(keyHash))
	b = append(b, byte(h), byte(len(nameHash)))
	b = append(b, nameHash...)
	return string(append(b, keyHash...))
}

// match returns the issuer req names, or nil.
func (s *issuerSet) match(req request) *issuer {
	if req.hash == 0 || len(req.nameHash) > 255 {
		return nil
	}
	return s.byCertID[certIDKey(req.hash, req.nameHash, req.keyHash)]
}

// cacheKey identifies a signed response: the CertID it answers (issuer, hash algorithm,
// serial). The hash algorithm is part of it because the response repeats the request's CertID.
func cacheKey(iss *issuer, h crypto.Hash, serial *big.Int) string {
	b := make([]byte, 3, 3+20)
	binary.BigEndian.PutUint16(b, iss.index)
	b[2] = byte(h)
	return string(append(b, serial.Bytes()...))
}
