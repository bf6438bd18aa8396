package server_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/server"
)

// freshPostgres returns a DSN whose search_path is a new schema, dropped after the test, as
// the store's tests do.
func freshPostgres(t *testing.T) string {
	t.Helper()
	base := testkit.PostgresDSN(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "server_" + hex.EncodeToString(b)
	admin := func(stmt string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connecting to PostgreSQL: %v", err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	admin("CREATE SCHEMA " + schema)
	t.Cleanup(func() { admin("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// The server runs on PostgreSQL (db: postgres://…) as on SQLite: first run, OCSP from the
// inventory, a revocation on the CRL, a restart that reuses the CA.
func TestPostgres(t *testing.T) {
	t.Parallel()
	dsn := freshPostgres(t)
	dir := t.TempDir()
	withDB := func(o *server.Options) { o.Config.DB = dsn }
	r := start(t, dir, withDB)
	code, body, _ := get(t, r.httpsClient(), r.httpsURL("/healthz"))
	if code != 200 {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	iss, _ := r.issue(t, "server", time.Time{}, "pg.test")
	if _, err := r.Authority().Revoke(context.Background(), iss.Certificate.SerialNumber, revocation.Superseded, "test"); err != nil {
		t.Fatal(err)
	}
	_, body, _ = get(t, nil, iss.Certificate.CRLDistributionPoints[0])
	if !lists(parseCRL(t, body, iss.Chain[0]), iss.Certificate, revocation.Superseded) {
		t.Fatal("the CRL does not list the revoked certificate")
	}
	root := r.Root()
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	r = start(t, dir, withDB)
	if !root.Equal(r.Root()) {
		t.Fatal("the restart made a new CA")
	}
	req, err := ocsp.CreateRequest(iss.Certificate, iss.Chain[0], &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ = get(t, nil, r.httpURL("/ocsp/"+url.PathEscape(base64Std(req))))
	if o, err := ocsp.ParseResponseForCert(body, iss.Certificate, iss.Chain[0]); code != 200 || err != nil || o.Status != ocsp.Revoked {
		t.Fatalf("OCSP after restart: %d %v %v", code, o, err)
	}
}
