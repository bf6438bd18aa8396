package ocspresponder_test

import (
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/ocspresponder"
)

// fuzzPKI is one hierarchy and inventory per fuzz target, with seeds for every request shape.
func fuzzPKI(f *testing.F) (*pki, *ocspresponder.Responder, [][]byte) {
	p := newPKI(f)
	good := p.issueLeaf(f, "good.test")
	revoked := p.issueLeaf(f, "revoked.test")
	p.revoke(f, revoked, ocsp.KeyCompromise, revoked.NotBefore)
	r := p.responder(f, nil)
	id := certID(f, request(f, good, p.inter, crypto.SHA1))
	seeds := [][]byte{
		request(f, good, p.inter, crypto.SHA1),
		request(f, good, p.inter, crypto.SHA256),
		request(f, revoked, p.inter, crypto.SHA384),
		request(f, p.otherLeaf, p.otherRoot, crypto.SHA1),
		marshal(f, rawRequest{TBS: rawTBS{List: []rawSingle{{id}, {id}}}}),
		marshal(f, rawRequest{TBS: rawTBS{List: []rawSingle{{id}}, Extensions: []pkix.Extension{{Id: oidNonce, Value: []byte{4, 1, 0}}}}}),
		marshal(f, rawRequest{TBS: rawTBS{List: []rawSingle{{id}}}, Signature: asn1.RawValue{FullBytes: marshal(f, []int{1})}}),
		nil,
		[]byte{0x30, 0x80},
		[]byte("garbage"),
	}
	return p, r, seeds
}

// checkResponse fails unless der is a valid OCSPResponse that agrees with status: a signed
// response that verifies against the intermediate, or the matching unsigned error.
func checkResponse(t *testing.T, p *pki, der []byte, status ocspresponder.Status) {
	t.Helper()
	resp, err := ocsp.ParseResponse(der, p.inter)
	want := map[ocspresponder.Status]int{
		ocspresponder.StatusGood: ocsp.Good, ocspresponder.StatusRevoked: ocsp.Revoked, ocspresponder.StatusUnknown: ocsp.Unknown,
	}
	if certStatus, signed := want[status]; signed {
		if err != nil || resp.Status != certStatus {
			t.Fatalf("status %v: response %x does not parse as one: %v", status, der, err)
		}
		return
	}
	wantErr := map[ocspresponder.Status]ocsp.ResponseStatus{
		ocspresponder.StatusMalformed: ocsp.Malformed, ocspresponder.StatusUnauthorized: ocsp.Unauthorized,
	}
	code, ok := wantErr[status]
	if re, isRE := err.(ocsp.ResponseError); !ok || !isRE || re.Status != code {
		t.Fatalf("status %v: response %x: %v", status, der, err)
	}
}

func FuzzRespond(f *testing.F) {
	p, r, seeds := fuzzPKI(f)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		der, status, err := r.Respond(t.Context(), req)
		if err != nil {
			t.Fatalf("internal error on %x: %v", req, err) // the inventory and signer are healthy
		}
		checkResponse(t, p, der, status)
	})
}

func FuzzServeHTTPGet(f *testing.F) {
	p, r, seeds := fuzzPKI(f)
	for _, s := range seeds {
		b64 := base64.StdEncoding.EncodeToString(s)
		f.Add(b64)
		f.Add(url.QueryEscape(b64))
	}
	f.Add("%zz")
	f.Add("//../..")
	f.Fuzz(func(t *testing.T, path string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = "/" + path // as net/http hands it over: already percent-decoded
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusNotModified {
			t.Fatalf("GET %q: HTTP %d", path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/ocsp-response" {
			t.Fatalf("GET %q: Content-Type %q", path, ct)
		}
		resp, err := ocsp.ParseResponse(rec.Body.Bytes(), p.inter)
		if err != nil {
			if _, ok := err.(ocsp.ResponseError); !ok {
				t.Fatalf("GET %q: body %x is not an OCSPResponse: %v", path, rec.Body.Bytes(), err)
			}
		} else if resp.Status == ocsp.Good && rec.Header().Get("ETag") == "" {
			t.Fatalf("GET %q: good response without caching headers", path)
		}
	})
}
