package ocspresponder_test

import (
	"bytes"
	"crypto"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ocspresponder"
)

// TestObserve: every answered request reports its outcome exactly once, from Respond and from
// ServeHTTP alike; a request that gets no OCSP answer (405) reports nothing.
func TestObserve(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	good := p.issueLeaf(t, "good.test")
	revoked := p.issueLeaf(t, "revoked.test")
	p.revoke(t, revoked, 1, time.Now().Add(-time.Minute))
	unknown := p.issueLeafWithKey(t, newKey(t)) // signed, never recorded
	var (
		mu  sync.Mutex
		got []ocspresponder.Status
	)
	r := p.responder(t, func(o *ocspresponder.Options) {
		o.Observe = func(s ocspresponder.Status) { mu.Lock(); got = append(got, s); mu.Unlock() }
	})
	for _, der := range [][]byte{request(t, good, p.inter, crypto.SHA1), request(t, revoked, p.inter, crypto.SHA1),
		request(t, unknown, p.inter, crypto.SHA1), []byte("garbage")} {
		if _, _, err := r.Respond(t.Context(), der); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	get(t, srv, http.MethodGet, "/"+url.QueryEscape(base64.StdEncoding.EncodeToString(request(t, good, p.inter, crypto.SHA1))), nil)
	get(t, srv, http.MethodGet, "/"+url.QueryEscape(base64.StdEncoding.EncodeToString(request(t, p.otherLeaf, p.otherRoot, crypto.SHA1))), nil)
	for _, method := range []string{http.MethodPost, http.MethodPut} {
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+"/", bytes.NewReader([]byte("garbage")))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	want := []ocspresponder.Status{ocspresponder.StatusGood, ocspresponder.StatusRevoked, ocspresponder.StatusUnknown,
		ocspresponder.StatusMalformed, ocspresponder.StatusGood, ocspresponder.StatusUnauthorized, ocspresponder.StatusMalformed}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("observed %v, want %v", got, want)
	}
}
