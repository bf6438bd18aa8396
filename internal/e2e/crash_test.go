package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

// csrPEM is a request for name with a fresh P-256 key.
func csrPEM(t testing.TB, name string) []byte {
	t.Helper()
	k, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		t.Fatal(err)
	}
	sans, err := names.ParseSANs([]string{name})
	if err != nil {
		t.Fatal(err)
	}
	der, err := csr.Create(csr.Request{Key: k, SANs: sans})
	if err != nil {
		t.Fatal(err)
	}
	return pemfile.Encode("CERTIFICATE REQUEST", der)
}

// TestCrashSafety is issue 4's acceptance 7: SIGKILL the server 20 times while concurrent
// clients issue over the API, restarting it each time. Afterwards every certificate a client
// received is in the inventory with the same DER, no serial appears twice, and every start
// was clean.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server 20 times")
	}
	const rounds, clients = 20, 6
	data := filepath.Join(t.TempDir(), "anchor-data")
	s := newServer(t, data)
	s.start()
	token := trimNL(s.anchor("token", "create", "--name", "crash", "--scope", "issue,read"))
	req := csrPEM(t, "crash.svc.internal")

	var mu sync.Mutex
	received := map[string][]byte{} // serial → DER
	duplicates := 0
	for round := range rounds {
		if round > 0 {
			s.start() // a failed start fails the test: the server must come up after any kill
		}
		c := s.client()
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				for ctx.Err() == nil {
					got, _, err := issue(ctx, c, "https://"+s.https, token, req)
					if err != nil {
						continue // the server died mid-request: the client never saw a certificate
					}
					block, err := pemfile.Decode([]byte(got.Certificate))
					if err != nil || len(block) == 0 {
						t.Errorf("round %d: unreadable certificate for %s: %v", round, got.Serial, err)
						continue
					}
					mu.Lock()
					if _, dup := received[got.Serial]; dup {
						duplicates++
					}
					received[got.Serial] = block[0].Bytes
					mu.Unlock()
				}
			})
		}
		time.Sleep(time.Duration(200+rand.IntN(600)) * time.Millisecond)
		s.kill()
		cancel()
		wg.Wait()
		c.CloseIdleConnections()
	}
	if duplicates > 0 {
		t.Errorf("%d serials were handed out twice", duplicates)
	}
	if len(received) < rounds {
		t.Fatalf("only %d certificates issued in %d rounds: the test proved little", len(received), rounds)
	}

	// The inventory, read directly, holds every certificate any client received.
	ctx := context.Background()
	layout := ca.Layout{Dir: data}
	inter, err := pemfile.ReadCertificate(layout.IntermediateCert())
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, layout.Database(), store.Options{})
	if err != nil {
		t.Fatalf("inventory after %d kills: %v", rounds, err)
	}
	defer db.Close()
	for serialHex, der := range received {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := db.Get(ctx, inter.SubjectKeyId, cert.SerialNumber)
		if err != nil {
			t.Errorf("certificate %s was handed to a client but is not in the inventory: %v", serialHex, err)
			continue
		}
		if rec.Status != store.StatusValid || !bytes.Equal(rec.DER, der) {
			t.Errorf("certificate %s: inventory has status %s, DER equal %v", serialHex, rec.Status, bytes.Equal(rec.DER, der))
		}
	}
	// No serial twice in the whole inventory, pending rows included.
	seen := map[string]bool{}
	var cursor string
	total := 0
	for {
		page, next, err := db.List(ctx, store.Filter{IssuerKeyID: inter.SubjectKeyId, After: cursor, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			k := hex.EncodeToString(c.Serial.Bytes())
			if seen[k] {
				t.Errorf("serial %s appears twice in the inventory", k)
			}
			seen[k] = true
			total++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	t.Logf("%d rounds: %d certificates received by clients, %d rows in the inventory", rounds, len(received), total)

	// And the server still starts and shuts down cleanly.
	s.start()
	s.stop()
}

func trimNL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
