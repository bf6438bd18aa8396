package restapi_test

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/restapi"
)

// FuzzCreateRequest sends arbitrary bodies to POST /api/v1/certificates: every answer is a
// 201 or a documented client error as a problem document, never a 500 or a panic.
func FuzzCreateRequest(f *testing.F) {
	fx := newFixture(f, fixtureOptions{})
	tok := fx.token(f, "fuzz", "issue", []string{"*.svc.internal"}, nil)
	good, _ := json.Marshal(map[string]any{"csr": csrPEM(f, "", "a.svc.internal"), "profile": "client", "days": 3})
	for _, s := range []string{string(good), "", "{", "null", "[]", `{"csr": 1}`, `{"csr": "", "x": 1}`, `{"csr": "MIIB"}`,
		`{"csr": "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"}`, `{"profile": "root", "csr": "x"}`,
		`{"days": 1e400}`, `{"days": -9223372036854775808}`, "\xff\xfe", `{"csr": "x"}{"csr": "y"}`} {
		f.Add([]byte(s))
	}
	allowed := []string{restapi.TypeMalformed, restapi.TypeBadCSR, restapi.TypeBadProfile, restapi.TypeForbidden, restapi.TypeRejected, restapi.TypeTooLarge}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/api/v1/certificates", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		rr := httptest.NewRecorder()
		fx.api.ServeHTTP(rr, req)
		if rr.Code == 201 {
			return
		}
		var p restapi.Problem
		if rr.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rr.Body.Bytes(), &p) != nil ||
			!slices.Contains(allowed, p.Type) || p.Status != rr.Code || strings.TrimSpace(p.Detail) == "" {
			t.Fatalf("body %q: %d %s", body, rr.Code, rr.Body)
		}
	})
}
