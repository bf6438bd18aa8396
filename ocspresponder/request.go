package ocspresponder

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// errMalformed wraps every reason a request is answered malformedRequest.
var errMalformed = errors.New("ocspresponder: malformed request")

// The request syntax of RFC 6960 §4.1.1. golang.org/x/crypto/ocsp.ParseRequest is not used
// because it rejects signed requests (which RFC 5019 §2.1.2 lets a responder accept, ignoring
// the signature) and silently answers only the first of several Requests.
type asn1Request struct {
	TBSRequest        asn1TBSRequest
	OptionalSignature asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type asn1TBSRequest struct {
	Version           int           `asn1:"explicit,tag:0,default:0,optional"`
	RequestorName     asn1.RawValue `asn1:"explicit,tag:1,optional"`
	RequestList       []asn1SingleRequest
	RequestExtensions []pkix.Extension `asn1:"explicit,tag:2,optional"`
}

type asn1SingleRequest struct {
	ReqCert                 asn1CertID
	SingleRequestExtensions []pkix.Extension `asn1:"explicit,tag:0,optional"`
}

type asn1CertID struct {
	HashAlgorithm  pkix.AlgorithmIdentifier
	IssuerNameHash []byte
	IssuerKeyHash  []byte
	SerialNumber   *big.Int
}

// hashOIDs are the CertID hash algorithms a request may use: SHA-1 (RFC 5019 §2.1.1) and the
// SHA-2 family (RFC 6960 §4.1.1 leaves the choice open; openssl and Go can send SHA-256).
var hashOIDs = []struct {
	oid  asn1.ObjectIdentifier
	hash crypto.Hash
}{
	{asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}, crypto.SHA1},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, crypto.SHA256},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}, crypto.SHA384},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}, crypto.SHA512},
}

// request is the one CertID a request asks about. hash is 0 for an algorithm not in hashOIDs,
// which no issuer matches (so the answer is unauthorized, not malformed: the request is valid,
// this responder just cannot identify the issuer).
type request struct {
	hash     crypto.Hash
	nameHash []byte
	keyHash  []byte
	serial   *big.Int
}

func parseRequest(der []byte) (request, error) {
	var raw asn1Request
	rest, err := asn1.Unmarshal(der, &raw)
	switch {
	case err != nil:
		return request{}, fmt.Errorf("%w: %v", errMalformed, err)
	case len(rest) > 0:
		return request{}, fmt.Errorf("%w: %d trailing bytes", errMalformed, len(rest))
	case raw.TBSRequest.Version != 0:
		return request{}, fmt.Errorf("%w: version %d, want v1 (0)", errMalformed, raw.TBSRequest.Version)
	case len(raw.TBSRequest.RequestList) != 1:
		// RFC 5019 §2.1.1: a request MUST contain exactly one Request. Answering only the first
		// would leave a client waiting for statuses that never come.
		return request{}, fmt.Errorf("%w: %d Requests, want exactly one", errMalformed, len(raw.TBSRequest.RequestList))
	}
	single := raw.TBSRequest.RequestList[0]
	// RFC 6960 §4.4: unrecognised extensions are ignored unless critical. This responder acts on
	// no request extension (the nonce included, see the package documentation), so a critical
	// one cannot be honoured.
	for _, exts := range [][]pkix.Extension{raw.TBSRequest.RequestExtensions, single.SingleRequestExtensions} {
		for _, e := range exts {
			if e.Critical {
				return request{}, fmt.Errorf("%w: unsupported critical extension %v", errMalformed, e.Id)
			}
		}
	}
	id := single.ReqCert
	if id.SerialNumber == nil {
		return request{}, fmt.Errorf("%w: no serial number", errMalformed)
	}
	req := request{nameHash: id.IssuerNameHash, keyHash: id.IssuerKeyHash, serial: id.SerialNumber}
	for _, h := range hashOIDs {
		if id.HashAlgorithm.Algorithm.Equal(h.oid) {
			req.hash = h.hash
			break
		}
	}
	return req, nil
}
