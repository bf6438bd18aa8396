package acme_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/acme"
)

// problemType returns the type of the *Problem in err's chain, "" for nil, and "not a problem"
// for any other error, so tables can compare one value.
func problemType(err error) acme.ProblemType {
	if err == nil {
		return ""
	}
	p, ok := errors.AsType[*acme.Problem](err)
	if !ok {
		return "not a problem"
	}
	return p.Type
}

func wantMalformed(t *testing.T, err error) {
	t.Helper()
	if got := problemType(err); got != acme.ProblemMalformed {
		t.Fatalf("error %v (%T) has type %q, want malformed", err, err, got)
	}
}

func TestProblemConstructors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ctor   func(string) *acme.Problem
		name   string
		status int
	}{
		{acme.BadNonce, "badNonce", 400},
		{acme.Malformed, "malformed", 400},
		{acme.Unauthorized, "unauthorized", 403},
		{acme.AccountDoesNotExist, "accountDoesNotExist", 400},
		{acme.ExternalAccountRequired, "externalAccountRequired", 400},
		{acme.RejectedIdentifier, "rejectedIdentifier", 400},
		{acme.BadCSR, "badCSR", 400},
		{acme.OrderNotReady, "orderNotReady", 403},
		{acme.BadSignatureAlgorithm, "badSignatureAlgorithm", 400},
		{acme.BadPublicKey, "badPublicKey", 400},
		{acme.Connection, "connection", 400},
		{acme.DNS, "dns", 400},
		{acme.IncorrectResponse, "incorrectResponse", 403},
		{acme.TLS, "tls", 400},
		{acme.CAA, "caa", 403},
		{acme.RateLimited, "rateLimited", 429},
		{acme.AlreadyRevoked, "alreadyRevoked", 400},
		{acme.ServerInternal, "serverInternal", 500},
		{acme.UnsupportedIdentifier, "unsupportedIdentifier", 400},
		{acme.BadRevocationReason, "badRevocationReason", 400},
		{acme.UnsupportedContact, "unsupportedContact", 400},
		{acme.InvalidContact, "invalidContact", 400},
		{func(d string) *acme.Problem { return acme.UserActionRequired(d, "https://example.com/tos") }, "userActionRequired", 403},
		{func(d string) *acme.Problem { return acme.Compound(d) }, "compound", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.ctor("the detail")
			if want := "urn:ietf:params:acme:error:" + tc.name; string(p.Type) != want {
				t.Fatalf("type = %q, want %q", p.Type, want)
			}
			if p.Status != tc.status || p.Type.DefaultStatus() != tc.status {
				t.Fatalf("status = %d (default %d), want %d", p.Status, p.Type.DefaultStatus(), tc.status)
			}
			if p.Detail != "the detail" || p.Error() != "acme: "+tc.name+": the detail" {
				t.Fatalf("detail %q, Error() %q", p.Detail, p.Error())
			}
		})
	}
}

func TestProblemSpecialFields(t *testing.T) {
	t.Parallel()
	if p := acme.UserActionRequired("accept the new terms", "https://example.com/acme/terms/2017-6-02"); p.Instance != "https://example.com/acme/terms/2017-6-02" {
		t.Fatalf("userActionRequired instance = %q", p.Instance)
	}
	if p := acme.NotFound("no such order"); p.Type != acme.ProblemMalformed || p.Status != http.StatusNotFound {
		t.Fatalf("NotFound = %+v", p)
	}
	if got := acme.ProblemType("urn:example:other").DefaultStatus(); got != 400 {
		t.Fatalf("foreign type status = %d, want 400", got)
	}
}

func TestProblemJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §6.7.1.
	const example = `{
       "type": "urn:ietf:params:acme:error:malformed",
       "detail": "Some of the identifiers requested were rejected",
       "subproblems": [
           {
               "type": "urn:ietf:params:acme:error:malformed",
               "detail": "Invalid underscore in DNS name \"_example.org\"",
               "identifier": {
                   "type": "dns",
                   "value": "_example.org"
               }
           },
           {
               "type": "urn:ietf:params:acme:error:rejectedIdentifier",
               "detail": "This CA will not issue for \"example.net\"",
               "identifier": {
                   "type": "dns",
                   "value": "example.net"
               }
           }
       ]
   }`
	var p acme.Problem
	roundTrip(t, example, &p)
	want := `acme: malformed: Some of the identifiers requested were rejected [_example.org: malformed: Invalid underscore in DNS name "_example.org"; example.net: rejectedIdentifier: This CA will not issue for "example.net"]`
	if p.Error() != want {
		t.Fatalf("Error() =\n%s\nwant\n%s", p.Error(), want)
	}
	out, err := json.Marshal(acme.BadNonce("stale"))
	if err != nil || string(out) != `{"type":"urn:ietf:params:acme:error:badNonce","detail":"stale","status":400}` {
		t.Fatalf("Marshal(BadNonce) = %s, %v", out, err)
	}
}

func TestProblemFrom(t *testing.T) {
	t.Parallel()
	orig := acme.RejectedIdentifier("no")
	tests := []struct {
		name string
		in   error
		want *acme.Problem
	}{
		{"nil", nil, nil},
		{"problem passes through", orig, orig},
		{"wrapped problem", fmt.Errorf("creating order: %w", orig), orig},
		{"joined problem", errors.Join(errors.New("x"), orig), orig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := acme.ProblemFrom(tc.in); got != tc.want {
				t.Fatalf("ProblemFrom(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
	t.Run("internal error hides its text", func(t *testing.T) {
		t.Parallel()
		secret := errors.New(`pq: relation "orders" at db.internal:5432 does not exist`)
		p := acme.ProblemFrom(fmt.Errorf("loading: %w", secret))
		if p.Type != acme.ProblemServerInternal || p.Status != 500 || strings.Contains(p.Error(), "db.internal") || strings.Contains(p.Error(), "orders") {
			t.Fatalf("ProblemFrom(internal) = %+v", p)
		}
	})
	t.Run("typed nil problem is internal", func(t *testing.T) {
		t.Parallel()
		var nilProblem *acme.Problem
		if p := acme.ProblemFrom(fmt.Errorf("x: %w", nilProblem)); p == nil || p.Type != acme.ProblemServerInternal {
			t.Fatalf("ProblemFrom(typed nil) = %v", p)
		}
	})
}
