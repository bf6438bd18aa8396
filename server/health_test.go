package server_test

import (
	"testing"

	"github.com/anchorpki/anchor/server"
)

// /healthz is 200 while the inventory answers and the CA key signs, and 503 naming the failed
// check (only the name: the cause is logged) once the inventory is gone.
func TestHealth(t *testing.T) {
	t.Parallel()
	r := start(t, t.TempDir(), nil)
	for _, url := range []string{r.httpsURL("/healthz"), r.httpURL("/healthz")} {
		code, body, h := get(t, r.httpsClient(), url)
		rep := decodeHealth(t, body)
		if code != 200 || rep.Status != "ok" || rep.Checks["store"] != "ok" || rep.Checks["ca_key"] != "ok" ||
			h.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %d %s", url, code, body)
		}
	}
	if err := server.Store(r.Server).Close(); err != nil {
		t.Fatal(err)
	}
	code, body, _ := get(t, r.httpsClient(), r.httpsURL("/healthz"))
	rep := decodeHealth(t, body)
	if code != 503 || rep.Status != "error" || rep.Checks["store"] != "error" || rep.Checks["ca_key"] != "ok" {
		t.Fatalf("with the store closed: %d %s", code, body)
	}
	if ev := r.logs.events(t, "health check failed"); len(ev) == 0 || ev[0]["check"] != "store" || ev[0]["error"] == "" {
		t.Fatalf("health failure events %v", ev)
	}
}
