package cli_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acmeserver"
	"github.com/anchorpki/anchor/challenge"
)

type eabJSON struct {
	KeyID   string `json:"kid"`
	Name    string `json:"name"`
	HMACKey string `json:"hmac_key"`
	Account string `json:"account_id"`
	Status  string `json:"status"`
}

// anchor acme eab create|list|revoke, and a key it prints binding an account on an ACME server
// that requires external account binding, over the same inventory.
func TestACMEExternalAccountKeys(t *testing.T) {
	a := newAnchor(t)
	a.ok("ca", "init")

	var created eabJSON
	if err := json.Unmarshal([]byte(a.ok("acme", "eab", "create", "--name", "team-web", "--json")), &created); err != nil {
		t.Fatal(err)
	}
	mac, err := base64.RawURLEncoding.DecodeString(created.HMACKey)
	if err != nil || len(mac) != 32 || !strings.HasPrefix(created.KeyID, "eab_") || created.Status != "unused" {
		t.Fatalf("created %+v (MAC key %d bytes, %v)", created, len(mac), err)
	}
	text := a.ok("acme", "eab", "create", "--name", "team-api")
	for _, want := range []string{"kid:      eab_", "hmac key: ", "certbot ... --eab-kid eab_", "lego ... --eab --kid eab_"} {
		if !strings.Contains(text, want) {
			t.Fatalf("text output lacks %q:\n%s", want, text)
		}
	}

	// The key binds an account on a server that requires it, once.
	auth, _, db := a.authority()
	v, err := challenge.New(challenge.Options{Resolver: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := acmeserver.New(acmeserver.Options{Store: db, Authority: auth, Validator: v, EABRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	srv := httptest.NewTLSServer(s)
	defer srv.Close()
	register := func() error {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c := &xacme.Client{Key: key, DirectoryURL: srv.URL + "/acme/directory", HTTPClient: srv.Client()}
		_, err := c.Register(context.Background(), &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{
			KID: created.KeyID, Key: mac}}, xacme.AcceptTOS)
		return err
	}
	if err := register(); err != nil {
		t.Fatalf("registering with the printed key: %v", err)
	}
	if err := register(); err == nil {
		t.Fatal("one external account key bound two accounts")
	}

	var list []eabJSON
	if err := json.Unmarshal([]byte(a.ok("acme", "eab", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].KeyID != created.KeyID || list[0].Status != "bound" || list[0].Account == "" ||
		list[0].HMACKey != "" || list[1].Status != "unused" {
		t.Fatalf("list: %+v", list)
	}
	if out := a.ok("acme", "eab", "list"); strings.Contains(out, created.HMACKey) || !strings.Contains(out, "team-web") {
		t.Fatalf("list text shows the MAC key or lacks the name:\n%s", out)
	}

	if out := a.ok("acme", "eab", "revoke", list[1].KeyID); !strings.Contains(out, "revoked "+list[1].KeyID) {
		t.Fatalf("revoke: %s", out)
	}
	if r := a.run("acme", "eab", "revoke", list[1].KeyID); r.code != 0 || !strings.Contains(r.stderr, "already revoked") {
		t.Fatalf("revoking twice: exit %d %s", r.code, r.stderr)
	}
	if r := a.run("acme", "eab", "revoke", "eab_nope"); r.code != 1 || !strings.Contains(r.stderr, "no external account binding key") {
		t.Fatalf("unknown key: exit %d %s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"acme", "eab", "create"}, {"acme", "eab", "revoke"}, {"acme", "eab", "list", "extra"}} {
		if r := a.run(args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
	}
}
