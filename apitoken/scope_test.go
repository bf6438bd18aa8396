package apitoken_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/anchorpki/anchor/apitoken"
)

func TestParseScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []apitoken.Scope
		wantErr error
	}{
		{"issue", []apitoken.Scope{apitoken.ScopeIssue}, nil},
		{"issue,read", []apitoken.Scope{apitoken.ScopeIssue, apitoken.ScopeRead}, nil},
		{"read, issue", []apitoken.Scope{apitoken.ScopeIssue, apitoken.ScopeRead}, nil},
		{"read,revoke,issue,read", []apitoken.Scope{apitoken.ScopeIssue, apitoken.ScopeRevoke, apitoken.ScopeRead}, nil},
		{"", nil, apitoken.ErrUnknownScope},
		{" ", nil, apitoken.ErrUnknownScope},
		{"issue,", nil, apitoken.ErrUnknownScope},
		{"admin", nil, apitoken.ErrUnknownScope},
		{"Issue", nil, apitoken.ErrUnknownScope},
		{"issue;read", nil, apitoken.ErrUnknownScope},
	}
	for _, tc := range tests {
		got, err := apitoken.ParseScopes(tc.in)
		if !errors.Is(err, tc.wantErr) || !slices.Equal(got, tc.want) {
			t.Errorf("ParseScopes(%q) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
	if !slices.Equal(apitoken.Strings(apitoken.Scopes()), []string{"issue", "revoke", "read"}) {
		t.Errorf("Scopes() = %v", apitoken.Scopes())
	}
}

func TestHas(t *testing.T) {
	t.Parallel()
	stored := []string{"issue", "future-scope"}
	if !apitoken.Has(stored, apitoken.ScopeIssue) || apitoken.Has(stored, apitoken.ScopeRead) || apitoken.Has(nil, apitoken.ScopeRead) {
		t.Fatal("Has answers wrongly")
	}
}
