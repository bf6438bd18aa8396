package restapi_test

import (
	"slices"
	"testing"

	"github.com/anchorpki/anchor/restapi"
)

// Every path and method outside the API is still answered with a problem document.
func TestRoutesAnswerProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "issue,revoke,read", nil, nil)
	tests := []struct {
		method, path string
		status       int
		typ, allow   string
	}{
		{"DELETE", "/api/v1/certificates", 405, restapi.TypeMethodNotAllowed, "GET, HEAD, POST"},
		{"PUT", "/api/v1/certificates/01", 405, restapi.TypeMethodNotAllowed, "GET, HEAD"},
		{"GET", "/api/v1/certificates/01/revoke", 405, restapi.TypeMethodNotAllowed, "POST"},
		{"GET", "/api/v1/", 404, restapi.TypeNotFound, ""},
		{"GET", "/api/v1/tokens", 404, restapi.TypeNotFound, ""},
		{"GET", "/api/v2/certificates", 404, restapi.TypeNotFound, ""},
		{"GET", "/api/v1/certificates/01/other", 404, restapi.TypeNotFound, ""},
	}
	for _, tc := range tests {
		c := f.do(t, nil, tc.method, tc.path, tok, nil)
		c.problem(t, tc.status, tc.typ, "")
		if c.header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: Allow %q; want %q", tc.method, tc.path, c.header.Get("Allow"), tc.allow)
		}
		if c.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: Cache-Control %q", tc.method, tc.path, c.header.Get("Cache-Control"))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !slices.Contains(f.observed, "/api/v1/certificates 405") || !slices.Contains(f.observed, "/ 404") {
		t.Errorf("Observe saw %q", f.observed)
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	t.Parallel()
	if _, err := restapi.New(restapi.Options{}); err == nil {
		t.Fatal("New without an authority, inventory and tokens succeeded")
	}
	f := newFixture(t, fixtureOptions{})
	if _, err := restapi.New(restapi.Options{Authority: f.auth, Inventory: f.db, Tokens: f.db, PageSize: 1001}); err == nil {
		t.Fatal("New accepted a page size over 1000")
	}
}
