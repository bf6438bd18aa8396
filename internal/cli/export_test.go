package cli

import (
	"net/http"
	"testing"
)

// SetVerifyHTTPClient makes the command line's outbound requests use c until the test ends, so
// a fixture's fixed URL can reach a loopback server. Tests using it must not run in parallel.
func SetVerifyHTTPClient(t testing.TB, c *http.Client) {
	old := httpClient
	httpClient = c
	t.Cleanup(func() { httpClient = old })
}
