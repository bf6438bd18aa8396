package crl

import (
	"crypto"
	"crypto/x509"
	"fmt"
)

// OIDs of the CRL extensions this package writes (RFC 5280 §4.2.1.1, §5.2.3), DER content only.
var (
	oidAuthorityKeyID = []byte{0x55, 0x1d, 0x23} // 2.5.29.35
	oidCRLNumber      = []byte{0x55, 0x1d, 0x14} // 2.5.29.20
)

// prepared is everything about a CRL that does not depend on its entries, checked and encoded
// before the source is read so that bad options cost no database scan.
type prepared struct {
	alg    algorithm
	pub    crypto.PublicKey
	fields []byte // TBSCertList version, signature, issuer, thisUpdate, nextUpdate
	exts   []byte // TBSCertList [0] crlExtensions
}

func (o Options) prepare() (prepared, error) {
	var p prepared
	switch {
	case o.Issuer == nil:
		return p, fmt.Errorf("%w: Issuer is required", ErrInvalidOptions)
	case o.Signer == nil:
		return p, fmt.Errorf("%w: Signer is required", ErrInvalidOptions)
	case o.Number == nil:
		return p, fmt.Errorf("%w: Number is required", ErrInvalidOptions)
	case o.ThisUpdate.IsZero() || o.NextUpdate.IsZero():
		// RFC 5280 §5.1.2.5: conforming CRL issuers MUST include nextUpdate.
		return p, fmt.Errorf("%w: ThisUpdate and NextUpdate are required", ErrInvalidOptions)
	case !o.NextUpdate.After(o.ThisUpdate):
		return p, fmt.Errorf("%w: NextUpdate %v is not after ThisUpdate %v", ErrInvalidOptions, o.NextUpdate, o.ThisUpdate)
	case len(o.Issuer.RawSubject) == 0:
		return p, fmt.Errorf("%w: Issuer has no RawSubject (use a parsed certificate)", ErrInvalidOptions)
	case len(o.Issuer.SubjectKeyId) == 0:
		// RFC 5280 §5.2.1: a conforming CRL MUST carry the authority key identifier.
		return p, fmt.Errorf("%w: Issuer has no subject key identifier", ErrInvalidOptions)
	case o.Issuer.KeyUsage&x509.KeyUsageCRLSign == 0:
		// RFC 5280 §4.2.1.3: a key that signs CRLs asserts cRLSign. Like
		// x509.CreateRevocationList, refuse rather than publish a CRL clients reject.
		return p, fmt.Errorf("%w: Issuer lacks the cRLSign key usage", ErrInvalidOptions)
	case o.Number.Sign() < 0:
		// RFC 5280 §5.2.3: CRLNumber ::= INTEGER (0..MAX).
		return p, fmt.Errorf("%w: negative CRL number %v", ErrInvalidOptions, o.Number)
	case intLen(o.Number) > 20:
		// RFC 5280 §5.2.3: CRL issuers MUST NOT use CRLNumber values longer than 20 octets.
		return p, fmt.Errorf("%w: %x", ErrNumberTooLong, o.Number)
	}

	p.pub = o.Signer.Public()
	if k, ok := p.pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(o.Issuer.PublicKey) {
		return p, fmt.Errorf("%w: issuer %s", ErrKeyMismatch, o.Issuer.Subject)
	}
	var err error
	if p.alg, err = algorithmFor(p.pub); err != nil {
		return p, err
	}

	// RFC 5280 §5.1.2.1: version v2 (INTEGER 1), required because the CRL has extensions.
	f := []byte{tagInteger, 1, 1}
	f = append(f, p.alg.id...)
	f = append(f, o.Issuer.RawSubject...)
	if f, err = appendTime(f, o.ThisUpdate); err != nil {
		return p, fmt.Errorf("%w: ThisUpdate: %v", ErrInvalidOptions, err)
	}
	if f, err = appendTime(f, o.NextUpdate); err != nil {
		return p, fmt.Errorf("%w: NextUpdate: %v", ErrInvalidOptions, err)
	}
	p.fields = f

	// AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }, and
	// both extensions non-critical (RFC 5280 §5.2.1, §5.2.3).
	aki := appendTLV(nil, tagSequence,
		appendTLV(nil, tagOID, oidAuthorityKeyID),
		appendTLV(nil, tagOctetString,
			appendTLV(nil, tagSequence, appendTLV(nil, tagContext0Prim, o.Issuer.SubjectKeyId))))
	number := appendTLV(nil, tagSequence,
		appendTLV(nil, tagOID, oidCRLNumber),
		appendTLV(nil, tagOctetString, appendInteger(nil, o.Number)))
	p.exts = appendTLV(nil, tagContext0, appendTLV(nil, tagSequence, aki, number))
	return p, nil
}
