package restapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/anchorpki/anchor/restapi"
)

func TestRevoke(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ops", "issue,revoke,read", nil, nil)
	var got issued
	f.create(t, nil, tok, "revoke.example").decode(t, 201, &got)

	var r revokedBody
	f.do(t, nil, "POST", "/api/v1/certificates/"+got.Serial+"/revoke", tok, map[string]string{"reason": "keyCompromise"}).decode(t, 200, &r)
	if r.Serial != got.Serial || r.Reason != "keyCompromise" || r.AlreadyRevoked || r.RevokedAt == nil || time.Since(*r.RevokedAt) > time.Minute {
		t.Fatalf("revoke = %+v", r)
	}
	first := *r.RevokedAt
	var rec record
	f.do(t, nil, "GET", "/api/v1/certificates/"+got.Serial, tok, nil).decode(t, 200, &rec)
	if rec.Status != "revoked" || rec.Reason != "keyCompromise" || rec.RevokedAt == nil || !rec.RevokedAt.Equal(first) {
		t.Fatalf("after revoke: %+v", rec)
	}
	// Twice: the first revocation stands and is reported; the hook is not called again.
	f.do(t, nil, "POST", "/api/v1/certificates/"+got.Serial+"/revoke", tok, map[string]string{"reason": "superseded"}).decode(t, 200, &r)
	if !r.AlreadyRevoked || r.Reason != "keyCompromise" || r.RevokedAt == nil || !r.RevokedAt.Equal(first) {
		t.Fatalf("second revoke = %+v", r)
	}
	f.mu.Lock()
	hooked := slices.Clone(f.revoked)
	f.mu.Unlock()
	if len(hooked) != 1 || hooked[0].Cmp(mustSerial(t, got.Serial)) != 0 {
		t.Fatalf("OnRevoke saw %v; want [%s]", hooked, got.Serial)
	}

	// An empty body, or an empty reason, is unspecified; a code works as well as a name.
	for _, body := range []any{nil, `{}`, map[string]string{"reason": ""}} {
		var c issued
		f.create(t, nil, tok, "empty.example").decode(t, 201, &c)
		f.do(t, nil, "POST", "/api/v1/certificates/"+c.Serial+"/revoke", tok, body).decode(t, 200, &r)
		if r.Reason != "unspecified" || r.AlreadyRevoked {
			t.Fatalf("body %v: %+v", body, r)
		}
	}
	var c issued
	f.create(t, nil, tok, "code.example").decode(t, 201, &c)
	f.do(t, nil, "POST", "/api/v1/certificates/"+c.Serial+"/revoke", tok, `{"reason": "4"}`).decode(t, 200, &r)
	if r.Reason != "superseded" {
		t.Fatalf("reason 4: %+v", r)
	}
}

func TestRevokeHold(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ops", "issue,revoke", nil, nil)
	var got issued
	f.create(t, nil, tok, "hold.example").decode(t, 201, &got)
	path := "/api/v1/certificates/" + got.Serial + "/revoke"
	// removeFromCRL on a certificate that is not on hold is a conflict with its state.
	f.do(t, nil, "POST", path, tok, `{"reason": "removeFromCRL"}`).problem(t, 409, restapi.TypeConflict, "not on hold")
	var r revokedBody
	f.do(t, nil, "POST", path, tok, `{"reason": "certificateHold"}`).decode(t, 200, &r)
	r = revokedBody{}
	f.do(t, nil, "POST", path, tok, `{"reason": "removeFromCRL"}`).decode(t, 200, &r)
	if !r.ReleasedFromHold || r.RevokedAt != nil || r.Reason != "removeFromCRL" {
		t.Fatalf("release: %+v", r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.revoked) != 2 { // the hold and its release both change the CRL
		t.Fatalf("OnRevoke called %d times; want 2", len(f.revoked))
	}
}

func TestRevokeErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ops", "issue,revoke", nil, nil)
	var got issued
	f.create(t, nil, tok, "err.example").decode(t, 201, &got)
	path := "/api/v1/certificates/" + got.Serial + "/revoke"
	tests := []struct {
		name, path string
		body       any
		status     int
		typ        string
		detail     string
	}{
		{"unknown reason", path, `{"reason": "lostIt"}`, 400, restapi.TypeMalformed, `unknown revocation reason "lostIt"`},
		{"unused code 7", path, `{"reason": "7"}`, 400, restapi.TypeMalformed, "unknown revocation reason"},
		{"unknown field", path, `{"reason": "superseded", "comment": "x"}`, 400, restapi.TypeMalformed, `unknown field "comment"`},
		{"malformed JSON", path, `{"reason": `, 400, restapi.TypeMalformed, "invalid JSON"},
		{"reason not a string", path, `{"reason": 1}`, 400, restapi.TypeMalformed, `field "reason"`},
		{"unknown serial", "/api/v1/certificates/0123456789abcdef/revoke", nil, 404, restapi.TypeNotFound, "no such certificate"},
		{"malformed serial", "/api/v1/certificates/zz/revoke", nil, 400, restapi.TypeMalformed, "invalid serial"},
		{"the root", "/api/v1/certificates/" + hexSerial(f.h.Root) + "/revoke", nil, 404, restapi.TypeNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.do(t, nil, "POST", tc.path, tok, tc.body).problem(t, tc.status, tc.typ, tc.detail)
		})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.revoked) != 0 {
		t.Fatalf("OnRevoke called for failed revocations: %v", f.revoked)
	}
}
