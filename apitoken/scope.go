package apitoken

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Scope is one thing a token may do.
type Scope string

// The scopes, one per kind of API call.
const (
	ScopeIssue  Scope = "issue"  // POST /api/v1/certificates
	ScopeRevoke Scope = "revoke" // POST /api/v1/certificates/{serial}/revoke
	ScopeRead   Scope = "read"   // GET /api/v1/certificates and /api/v1/certificates/{serial}
)

var allScopes = []Scope{ScopeIssue, ScopeRevoke, ScopeRead}

// Scopes returns every scope in canonical order. The caller owns the slice.
func Scopes() []Scope { return slices.Clone(allScopes) }

// ErrUnknownScope is wrapped by ParseScopes for a scope that does not exist or an empty list.
var ErrUnknownScope = errors.New("apitoken: unknown scope")

// ParseScopes reads a comma-separated list such as "issue,read". Blanks around entries are
// ignored, duplicates dropped, and the result is in canonical order. An unknown entry, an empty
// entry or an empty list is an error: a token that silently lost a scope to a typo would fail
// later, far from the mistake.
func ParseScopes(s string) ([]Scope, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("%w: no scope given (choose from %s)", ErrUnknownScope, joinScopes(allScopes))
	}
	seen := map[Scope]bool{}
	for part := range strings.SplitSeq(s, ",") {
		sc := Scope(strings.TrimSpace(part))
		if !slices.Contains(allScopes, sc) {
			return nil, fmt.Errorf("%w %q (choose from %s)", ErrUnknownScope, string(sc), joinScopes(allScopes))
		}
		seen[sc] = true
	}
	var out []Scope
	for _, sc := range allScopes {
		if seen[sc] {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Strings converts scopes to the strings the store keeps.
func Strings(scopes []Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

// Has reports whether stored scopes include want. Stored entries that are not scopes (written by
// a newer version, say) grant nothing.
func Has(scopes []string, want Scope) bool {
	return slices.Contains(scopes, string(want))
}

func joinScopes(ss []Scope) string { return strings.Join(Strings(ss), ", ") }
