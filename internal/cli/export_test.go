package cli

import (
	"net/http"
	"testing"
)

// SetVerifyHTTPClient makes `anchor verify --fetch-crl/--ocsp` use c until the test ends, so a
// fixture's fixed URL can reach a loopback server. Tests using it must not run in parallel.
func SetVerifyHTTPClient(t testing.TB, c *http.Client) {
	old := verifyHTTPClientOverride
	verifyHTTPClientOverride = c
	t.Cleanup(func() { verifyHTTPClientOverride = old })
}
