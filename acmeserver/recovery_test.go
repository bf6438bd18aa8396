package acmeserver_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acmeserver"
	xacme "golang.org/x/crypto/acme"
)

// setJSON rewrites one field of a stored JSON body, to leave an object as a process that died
// at that point would have.
func setJSON(t *testing.T, body []byte, edit func(map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lastPart(u string) string { return u[strings.LastIndex(u, "/")+1:] }

// An order left processing by a process that died while issuing is offered for finalize again.
func TestOrderStrandedInProcessingRecovers(t *testing.T) {
	f := newFixture(t, fixtureOptions{})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	o := f.authorized(c, "http-01", "a.test")
	stored, err := f.db.ACMEOrder(ctx, lastPart(o.URI))
	if err != nil {
		t.Fatal(err)
	}
	stored.Status = "processing"
	stored.Body = setJSON(t, stored.Body, func(m map[string]any) { m["finalizing"] = time.Now().Add(-2 * time.Minute) })
	if _, err := f.db.UpdateACMEOrder(ctx, stored); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetOrder(ctx, o.URI); err != nil || got.Status != xacme.StatusReady {
		t.Fatalf("stranded order reads as %v (%v), want ready", got.Status, err)
	}
	_, csr := newCSR(t, "a.test")
	chain, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	if err != nil {
		t.Fatalf("finalizing the recovered order: %v", err)
	}
	f.verifyChain(chain, "a.test")

	// A fresh processing order (an issuance in flight elsewhere) is left alone.
	o2, _ := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test")) // reuses the valid authorization
	stored, _ = f.db.ACMEOrder(ctx, lastPart(o2.URI))
	stored.Status = "processing"
	stored.Body = setJSON(t, stored.Body, func(m map[string]any) { m["finalizing"] = time.Now() })
	f.db.UpdateACMEOrder(ctx, stored)
	if got, _ := c.GetOrder(ctx, o2.URI); got.Status != xacme.StatusProcessing {
		t.Fatalf("an order being finalized reads as %v", got.Status)
	}
}

// A validation stranded by a restart is resumed when the client polls the authorization, as
// certbot, lego and x/crypto/acme do after answering a challenge once.
func TestValidationStrandedByRestartResumes(t *testing.T) {
	f := newFixture(t, fixtureOptions{server: func(o *acmeserver.Options) { o.ValidationTimeout = time.Second }})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("a.test"))
	if err != nil {
		t.Fatal(err)
	}
	z, _ := c.GetAuthorization(ctx, o.AuthzURLs[0])
	for _, ch := range z.Challenges {
		if ch.Type == "http-01" {
			if err := f.publish(c, ch, "a.test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// What a process killed after accepting the challenge leaves: processing, started long ago.
	stored, err := f.db.ACMEAuthz(ctx, lastPart(z.URI))
	if err != nil {
		t.Fatal(err)
	}
	stored.Body = setJSON(t, stored.Body, func(m map[string]any) {
		for _, ch := range m["challenges"].([]any) {
			if cm := ch.(map[string]any); cm["type"] == "http-01" {
				cm["status"], cm["started"] = "processing", time.Now().Add(-time.Minute)
			}
		}
	})
	if _, err := f.db.UpdateACMEAuthz(ctx, stored); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := c.WaitAuthorization(wctx, z.URI)
	if err != nil || got.Status != xacme.StatusValid {
		t.Fatalf("the stranded validation was not resumed: %v, %v", got, err)
	}
	if !strings.Contains(f.logString(), "resuming a stranded validation") {
		t.Fatal("no log line for the resumed validation")
	}
}

func (f *fixture) logString() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logs.String()
}

// CAA is checked again at issuance when the validation an order relies on is older than 8
// hours, so a record published since cannot be outrun by a reused authorization.
func TestCAARecheckedForOldValidations(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f := newFixture(t, fixtureOptions{server: func(o *acmeserver.Options) { o.Now = clock }})
	ctx := context.Background()
	c := f.client()
	f.register(c)
	chain, _, _ := f.obtain(c, "http-01", "b.test")
	f.verifyChain(chain, "b.test")
	f.dns.Add(t, `b.test. 60 IN CAA 0 issue "other-ca.example"`)

	// Within 8 hours the validation stands.
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	o, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("b.test"))
	if err != nil || o.Status != xacme.StatusReady {
		t.Fatalf("reused authorization: %v %v", o, err)
	}
	_, csr := newCSR(t, "b.test")
	if _, _, err := c.CreateOrderCert(ctx, o.FinalizeURL, csr, true); err != nil {
		t.Fatalf("finalize within 8 hours of validation: %v", err)
	}
	// After 8 hours the new record is found, and the order stays ready.
	mu.Lock()
	now = now.Add(8 * time.Hour)
	mu.Unlock()
	o, err = c.AuthorizeOrder(ctx, xacme.DomainIDs("b.test"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.CreateOrderCert(ctx, o.FinalizeURL, csr, true)
	acmeError(t, err, "caa")
	if got, _ := c.GetOrder(ctx, o.URI); got.Status != xacme.StatusReady {
		t.Fatalf("after a CAA refusal the order is %v, want ready", got.Status)
	}
}
