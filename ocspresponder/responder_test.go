package ocspresponder_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/ocspresponder"
	"github.com/anchorpki/anchor/revocation"
)

var (
	oidSHA1  = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidMD5   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidNonce = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}
)

func TestRespondCertStatus(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	good := p.issueLeaf(t, "good.test")
	compromised := p.issueLeaf(t, "compromised.test")
	unspecified := p.issueLeaf(t, "unspecified.test")
	revokedAt := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	p.revoke(t, compromised, int(revocation.KeyCompromise), revokedAt)
	p.revoke(t, unspecified, int(revocation.Unspecified), revokedAt)
	pending := p.reserve(t, "pending.test")
	pendingSerial := new(big.Int).SetBytes(pending.Serial)
	r := p.responder(t, nil)

	// A request for a serial the intermediate never issued: a real CertID, another serial.
	id := certID(t, request(t, good, p.inter, crypto.SHA1))
	withSerial := func(s *big.Int) []byte {
		id := id
		id.Serial = s
		return marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{id}}}})
	}

	tests := []struct {
		name       string
		req        []byte
		serial     *big.Int
		hash       crypto.Hash
		want       ocspresponder.Status
		wantStatus int
		wantReason int
	}{
		{"good", request(t, good, p.inter, crypto.SHA1), good.SerialNumber, crypto.SHA1, ocspresponder.StatusGood, ocsp.Good, 0},
		{"good, SHA-256 CertID", request(t, good, p.inter, crypto.SHA256), good.SerialNumber, crypto.SHA256, ocspresponder.StatusGood, ocsp.Good, 0},
		{"good, SHA-512 CertID", request(t, good, p.inter, crypto.SHA512), good.SerialNumber, crypto.SHA512, ocspresponder.StatusGood, ocsp.Good, 0},
		{"revoked, keyCompromise", request(t, compromised, p.inter, crypto.SHA1), compromised.SerialNumber, crypto.SHA1, ocspresponder.StatusRevoked, ocsp.Revoked, ocsp.KeyCompromise},
		{"revoked, unspecified", request(t, unspecified, p.inter, crypto.SHA256), unspecified.SerialNumber, crypto.SHA256, ocspresponder.StatusRevoked, ocsp.Revoked, ocsp.Unspecified},
		{"never issued", withSerial(big.NewInt(424242)), big.NewInt(424242), crypto.SHA1, ocspresponder.StatusUnknown, ocsp.Unknown, 0},
		{"pending (reserved, never recorded)", withSerial(pendingSerial), pendingSerial, crypto.SHA1, ocspresponder.StatusUnknown, ocsp.Unknown, 0},
		{"zero serial", withSerial(big.NewInt(0)), big.NewInt(0), crypto.SHA1, ocspresponder.StatusUnknown, ocsp.Unknown, 0},
		{"negative serial", withSerial(big.NewInt(-7)), big.NewInt(-7), crypto.SHA1, ocspresponder.StatusUnknown, ocsp.Unknown, 0},
		{"21-octet serial", withSerial(new(big.Int).Lsh(big.NewInt(1), 164)), new(big.Int).Lsh(big.NewInt(1), 164), crypto.SHA1, ocspresponder.StatusUnknown, ocsp.Unknown, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, status, err := r.Respond(t.Context(), tc.req)
			if err != nil || status != tc.want {
				t.Fatalf("Respond = %v, %v; want %v, nil", status, err, tc.want)
			}
			resp := parse(t, der, nil, p.inter) // verifies the delegated signature and that inter issued the signer
			switch {
			case resp.Status != tc.wantStatus:
				t.Errorf("Status = %d, want %d", resp.Status, tc.wantStatus)
			case resp.SerialNumber.Cmp(tc.serial) != 0:
				t.Errorf("SerialNumber = %x, want %x", resp.SerialNumber, tc.serial)
			case resp.IssuerHash != tc.hash:
				t.Errorf("IssuerHash = %v, want the request's %v (RFC 6960 §4.2.1)", resp.IssuerHash, tc.hash)
			case resp.NextUpdate.Sub(resp.ThisUpdate) != ocspresponder.DefaultValidity:
				t.Errorf("nextUpdate - thisUpdate = %v, want %v", resp.NextUpdate.Sub(resp.ThisUpdate), ocspresponder.DefaultValidity)
			case resp.Certificate == nil || !bytes.Equal(resp.Certificate.Raw, p.ocspCert.Raw):
				t.Errorf("response does not carry the delegated responder certificate")
			case !slices.Contains(resp.Certificate.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning):
				t.Errorf("delegated certificate lacks OCSPSigning: %v", resp.Certificate.ExtKeyUsage)
			case !bytes.Equal(resp.RawResponderName, p.ocspCert.RawSubject):
				t.Errorf("ResponderID is not the delegated certificate's name")
			}
			if tc.wantStatus != ocsp.Revoked {
				return
			}
			if !resp.RevokedAt.Equal(revokedAt) || resp.RevocationReason != tc.wantReason {
				t.Errorf("revoked at %v reason %d; want %v reason %d", resp.RevokedAt, resp.RevocationReason, revokedAt, tc.wantReason)
			}
			// revocationReason [0] EXPLICIT CRLReason: present for keyCompromise, absent for
			// unspecified (RFC 5280 §5.3.1: omit rather than send unspecified).
			reasonTLV := []byte{0xa0, 0x03, 0x0a, 0x01, byte(tc.wantReason)}
			if has := bytes.Contains(der, reasonTLV); has != (tc.wantReason != 0) {
				t.Errorf("reason %d encoded: %v, want %v", tc.wantReason, has, tc.wantReason != 0)
			}
		})
	}
}

func TestRespondErrors(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, func(o *ocspresponder.Options) { o.MaxRequestBytes = 512 })
	valid := request(t, leaf, p.inter, crypto.SHA1)
	id := certID(t, valid)
	md5ID := id
	md5ID.Alg = pkix.AlgorithmIdentifier{Algorithm: oidMD5, Parameters: asn1.NullRawValue}
	wrongName := id
	wrongName.NameHash = bytes.Repeat([]byte{1}, 20)
	signed := marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{id}}}, Signature: asn1.RawValue{FullBytes: marshal(t, []int{1})}})
	if len(signed) <= len(valid) {
		t.Fatal("test request carries no signature")
	}

	tests := []struct {
		name string
		req  []byte
		want ocspresponder.Status
	}{
		{"another CA's certificate", request(t, p.otherLeaf, p.otherRoot, crypto.SHA1), ocspresponder.StatusUnauthorized},
		{"issuer key right, name wrong", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{wrongName}}}}), ocspresponder.StatusUnauthorized},
		{"unsupported CertID hash", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{md5ID}}}}), ocspresponder.StatusUnauthorized},
		{"garbage", []byte("this is not DER"), ocspresponder.StatusMalformed},
		{"empty", nil, ocspresponder.StatusMalformed},
		{"trailing bytes", append(slices.Clone(valid), 0), ocspresponder.StatusMalformed},
		{"truncated", valid[:len(valid)-1], ocspresponder.StatusMalformed},
		{"no Request", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{}}}), ocspresponder.StatusMalformed},
		{"two Requests (RFC 5019 §2.1.1)", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{id}, {id}}}}), ocspresponder.StatusMalformed},
		{"version v2", marshal(t, rawRequest{TBS: rawTBS{Version: 1, List: []rawSingle{{id}}}}), ocspresponder.StatusMalformed},
		{"critical nonce", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{id}},
			Extensions: []pkix.Extension{{Id: oidNonce, Critical: true, Value: []byte{4, 2, 1, 2}}}}}), ocspresponder.StatusMalformed},
		{"over MaxRequestBytes", append(slices.Clone(valid), make([]byte, 512)...), ocspresponder.StatusMalformed},
		// Accepted shapes, for contrast.
		{"non-critical nonce is ignored (RFC 8954)", marshal(t, rawRequest{TBS: rawTBS{List: []rawSingle{{id}},
			Extensions: []pkix.Extension{{Id: oidNonce, Value: []byte{4, 2, 1, 2}}}}}), ocspresponder.StatusGood},
		{"signature is ignored (RFC 5019 §2.1.2)", signed, ocspresponder.StatusGood},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			der, status, err := r.Respond(t.Context(), tc.req)
			if err != nil || status != tc.want {
				t.Fatalf("Respond = %v, %v; want %v, nil", status, err, tc.want)
			}
			wantDER := map[ocspresponder.Status][]byte{
				ocspresponder.StatusUnauthorized: ocsp.UnauthorizedErrorResponse,
				ocspresponder.StatusMalformed:    ocsp.MalformedRequestErrorResponse,
			}[tc.want]
			if wantDER == nil {
				parse(t, der, leaf, p.inter)
			} else if !bytes.Equal(der, wantDER) {
				t.Fatalf("response %x, want %x", der, wantDER)
			}
		})
	}
}

func TestRespondDirectlyAsIssuer(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, func(o *ocspresponder.Options) {
		// RFC 6960 §4.2.2.2, first case: the CA signs its own responses.
		o.Signer = func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) { return nil, p.interKey, nil }
	})
	der, status, err := r.Respond(t.Context(), request(t, leaf, p.inter, crypto.SHA1))
	if err != nil || status != ocspresponder.StatusGood {
		t.Fatalf("Respond = %v, %v", status, err)
	}
	resp := parse(t, der, leaf, p.inter)
	if resp.Certificate != nil {
		t.Error("a response signed by the issuer carries a certificate")
	}
	if !bytes.Equal(resp.RawResponderName, p.inter.RawSubject) {
		t.Error("ResponderID is not the issuer's name")
	}
	if p.interKey.n.Load() != 1 {
		t.Errorf("issuer key signed %d times, want 1", p.interKey.n.Load())
	}
}

// TestRespondInternal: whatever fails inside, the answer is internalError, never "good".
func TestRespondInternal(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	expiredAt := p.ocspCert.NotAfter.Add(time.Second)
	serverKey := newKey(t)
	tests := []struct {
		name    string
		signer  func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error)
		now     func() time.Time
		wantErr error
	}{
		{"signer fails", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
			return nil, nil, errors.New("hsm offline")
		}, nil, nil},
		{"no key", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) { return p.ocspCert, nil, nil }, nil, ocspresponder.ErrResponderCert},
		{"key does not match certificate", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) { return p.ocspCert, p.interKey, nil }, nil, ocspresponder.ErrResponderCert},
		{"no certificate, key is not the issuer's", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) { return nil, p.ocspKey, nil }, nil, ocspresponder.ErrResponderCert},
		{"certificate without OCSPSigning", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
			return p.issueLeafWithKey(t, serverKey), serverKey, nil
		}, nil, ocspresponder.ErrResponderCert},
		{"certificate of another issuer", func(*x509.Certificate) (*x509.Certificate, crypto.Signer, error) { return p.otherResponder(t) }, nil, ocspresponder.ErrResponderCert},
		{"expired delegated certificate", nil, func() time.Time { return expiredAt }, ocspresponder.ErrResponderCert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := p.responder(t, func(o *ocspresponder.Options) {
				if tc.signer != nil {
					o.Signer = tc.signer
				}
				o.Now = tc.now
			})
			der, status, err := r.Respond(t.Context(), request(t, leaf, p.inter, crypto.SHA1))
			if status != ocspresponder.StatusInternal || err == nil || !bytes.Equal(der, ocsp.InternalErrorErrorResponse) {
				t.Fatalf("Respond = %x, %v, %v; want internalError", der, status, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
		})
	}
}

func TestRespondInventoryDown(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, nil)
	req := request(t, leaf, p.inter, crypto.SHA1)
	if _, status, err := r.Respond(t.Context(), req); status != ocspresponder.StatusGood || err != nil {
		t.Fatalf("before closing: %v, %v", status, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if der, status, err := r.Respond(ctx, req); status != ocspresponder.StatusInternal || err == nil || !bytes.Equal(der, ocsp.InternalErrorErrorResponse) {
		t.Fatalf("cancelled context: %x, %v, %v; want internalError", der, status, err)
	}
	// A cached "good" must not outlive the inventory: no status, no answer.
	p.db.Close()
	if der, status, err := r.Respond(t.Context(), req); status != ocspresponder.StatusInternal || err == nil || !bytes.Equal(der, ocsp.InternalErrorErrorResponse) {
		t.Fatalf("closed inventory: %x, %v, %v; want internalError", der, status, err)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	tests := []struct {
		name string
		edit func(*ocspresponder.Options)
	}{
		{"no source", func(o *ocspresponder.Options) { o.Source = nil }},
		{"no signer", func(o *ocspresponder.Options) { o.Signer = nil }},
		{"no issuers", func(o *ocspresponder.Options) { o.Issuers = nil }},
		{"nil issuer", func(o *ocspresponder.Options) { o.Issuers = []*x509.Certificate{nil} }},
		{"unparsed issuer", func(o *ocspresponder.Options) { o.Issuers = []*x509.Certificate{{}} }},
		{"negative validity", func(o *ocspresponder.Options) { o.Validity = -time.Hour }},
		{"negative request limit", func(o *ocspresponder.Options) { o.MaxRequestBytes = -1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ocspresponder.Options{Source: p.db, Issuers: []*x509.Certificate{p.inter}, Signer: p.delegated}
			tc.edit(&o)
			if _, err := ocspresponder.New(o); !errors.Is(err, ocspresponder.ErrInvalidOptions) {
				t.Fatalf("New = %v, want ErrInvalidOptions", err)
			}
		})
	}
}

// TestRespondSeveralIssuers: one responder answers for the root and the intermediate, each
// looked up under its own key id.
func TestRespondSeveralIssuers(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	leaf := p.issueLeaf(t, "leaf.test")
	r := p.responder(t, func(o *ocspresponder.Options) {
		o.Issuers = []*x509.Certificate{p.root, p.inter}
		o.Signer = func(iss *x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
			if iss == p.inter {
				return p.ocspCert, p.ocspKey, nil
			}
			return nil, p.rootKey, nil // the root signs its own responses
		}
	})
	der, status, err := r.Respond(t.Context(), request(t, leaf, p.inter, crypto.SHA256))
	if status != ocspresponder.StatusGood || err != nil {
		t.Fatalf("intermediate's leaf: %v, %v", status, err)
	}
	if resp := parse(t, der, leaf, p.inter); !bytes.Equal(resp.RawResponderName, p.ocspCert.RawSubject) {
		t.Error("intermediate's leaf not answered by the delegated responder")
	}
	// The intermediate was not recorded in this inventory under the root's key id: unknown,
	// signed by the root itself.
	der, status, err = r.Respond(t.Context(), request(t, p.inter, p.root, crypto.SHA1))
	if status != ocspresponder.StatusUnknown || err != nil {
		t.Fatalf("root's request: %v, %v; want unknown", status, err)
	}
	if resp := parse(t, der, p.inter, p.root); resp.Status != ocsp.Unknown || resp.Certificate != nil {
		t.Errorf("root's response: status %d, certificate %v", resp.Status, resp.Certificate != nil)
	}
}
