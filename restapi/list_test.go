package restapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/restapi"
	"github.com/anchorpki/anchor/revocation"
)

func TestListPagination(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "issue,read", nil, nil)
	var want []string
	for _, n := range []string{"a.example", "b.example", "c.example", "d.example", "e.example"} {
		var got issued
		f.create(t, nil, tok, n).decode(t, 201, &got)
		want = append(want, got.Serial)
	}
	var client issued
	f.do(t, nil, "POST", "/api/v1/certificates", tok, map[string]any{"csr": csrPEM(t, "CN=Alice", "alice@example.com"), "profile": "client"}).decode(t, 201, &client)

	// Five requested server certificates (plus the fixture's own), two per page: three pages
	// filtered to the API's requester, walked by cursor.
	var seen []string
	cursor, pages := "", 0
	for {
		path := "/api/v1/certificates?profile=server&limit=2&status=valid"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var p page
		f.do(t, nil, "GET", path, tok, nil).decode(t, 200, &p)
		pages++
		if len(p.Certificates) > 2 {
			t.Fatalf("page %d has %d certificates; limit 2", pages, len(p.Certificates))
		}
		for _, c := range p.Certificates {
			if c.Profile != "server" || c.Status != "valid" || c.Certificate != "" || len(c.SHA256) != 64 {
				t.Errorf("listed %+v", c)
			}
			seen = append(seen, c.Serial)
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	// The fixture's TLS server certificate is the first server certificate.
	if pages != 3 || len(seen) != 6 || !slices.Equal(seen[1:], want) {
		t.Fatalf("%d pages, serials %q; want 3 pages ending with %q", pages, seen, want)
	}

	// Filters.
	tests := []struct {
		name, query string
		want        []string
	}{
		{"san", "san=c.example", want[2:3]},
		{"san any case", "san=C.Example", want[2:3]},
		{"profile client", "profile=client", []string{client.Serial}},
		{"email san", "san=alice@example.com", []string{client.Serial}},
		{"nothing expiring soon", "expiring_within=30d&profile=server", nil},
		{"everything within a year", "expiring_within=365d&profile=client", []string{client.Serial}},
		{"hours", "expiring_within=2400h&profile=client", []string{client.Serial}},
		{"no revoked", "status=revoked", nil},
		{"pending", "status=pending", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p page
			f.do(t, nil, "GET", "/api/v1/certificates?"+tc.query, tok, nil).decode(t, 200, &p)
			var got []string
			for _, c := range p.Certificates {
				got = append(got, c.Serial)
			}
			if !slices.Equal(got, tc.want) || p.NextCursor != "" {
				t.Errorf("%s: %q, cursor %q; want %q", tc.query, got, p.NextCursor, tc.want)
			}
		})
	}

	// Revoked and expired are statuses as shown, and as filtered.
	if _, err := f.auth.Revoke(context.Background(), mustSerial(t, want[0]), revocation.Superseded, "test"); err != nil {
		t.Fatal(err)
	}
	var p page
	f.do(t, nil, "GET", "/api/v1/certificates?status=revoked", tok, nil).decode(t, 200, &p)
	if len(p.Certificates) != 1 || p.Certificates[0].Serial != want[0] || p.Certificates[0].Reason != "superseded" || p.Certificates[0].RevokedAt == nil {
		t.Fatalf("status=revoked: %+v", p.Certificates)
	}
	f.setClock(time.Now().Add(100 * 24 * time.Hour)) // past the leaves' 90 days, not the CA's years
	f.do(t, nil, "GET", "/api/v1/certificates?status=expired", tok, nil).decode(t, 200, &p)
	if len(p.Certificates) != 6 {
		t.Fatalf("status=expired: %d certificates; want the 6 unrevoked leaves", len(p.Certificates))
	}
	for _, c := range p.Certificates {
		if c.Status != "expired" {
			t.Errorf("status=expired lists %s as %s", c.Serial, c.Status)
		}
	}
	f.do(t, nil, "GET", "/api/v1/certificates?status=valid", tok, nil).decode(t, 200, &p)
	if len(p.Certificates) != 2 { // the root and the intermediate
		t.Fatalf("status=valid after 100 days: %+v", p.Certificates)
	}
}

func TestListDefaultPageSize(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{api: func(o *restapi.Options) { o.PageSize = 2 }})
	tok := f.token(t, "ci", "read", nil, nil)
	var p page
	f.do(t, nil, "GET", "/api/v1/certificates", tok, nil).decode(t, 200, &p)
	if len(p.Certificates) != 2 || p.NextCursor == "" {
		t.Fatalf("first page: %d certificates, cursor %q", len(p.Certificates), p.NextCursor)
	}
	f.do(t, nil, "GET", "/api/v1/certificates?limit=1000", tok, nil).decode(t, 200, &p)
	if len(p.Certificates) != 3 || p.NextCursor != "" {
		t.Fatalf("limit=1000: %d certificates, cursor %q", len(p.Certificates), p.NextCursor)
	}
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "read", nil, nil)
	tests := []struct{ query, detail string }{
		{"status=active", `status must be valid, revoked, expired or pending, not "active"`},
		{"expiring_within=soon", "expiring_within must be a positive duration"},
		{"expiring_within=-1h", "expiring_within must be"},
		{"expiring_within=0d", "expiring_within must be"},
		{"expiring_within=99999999d", "expiring_within must be"},
		{"limit=0", "limit must be a whole number from 1 to 1000"},
		{"limit=1001", "limit must be"},
		{"limit=ten", "limit must be"},
		{"cursor=bm9wZQ", "cursor: not a next_cursor this API returned"},
		{"cursor=%25%25", "cursor"},
		{"expiring=30d", `unknown query parameter "expiring"`},
		{"status=valid&status=revoked", `"status" given 2 times`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			f.do(t, nil, "GET", "/api/v1/certificates?"+tc.query, tok, nil).problem(t, 400, restapi.TypeMalformed, tc.detail)
		})
	}
}

func TestGetCertificate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOptions{})
	tok := f.token(t, "ci", "read", nil, nil)
	_, cert := f.issue(t, "server", "get.example")
	var rec record
	serial := hexSerial(cert)
	f.do(t, nil, "GET", "/api/v1/certificates/"+serial, tok, nil).decode(t, 200, &rec)
	if rec.Serial != serial || rec.Status != "valid" || rec.Requester != "test" || rec.RevokedAt != nil || rec.Reason != "" ||
		!slices.Equal(rec.SANs, []string{"get.example"}) || rec.Certificate == "" || rec.IssuerKeyID == "" {
		t.Fatalf("GET = %+v", rec)
	}
	// Upper case and colons, as openssl prints serials, name the same certificate.
	colons := ""
	for i, c := range serial {
		if i > 0 && i%2 == 0 {
			colons += ":"
		}
		colons += string(c)
	}
	var again record
	f.do(t, nil, "GET", "/api/v1/certificates/"+colons, tok, nil).decode(t, 200, &again)
	if again.Serial != serial {
		t.Fatalf("GET %s = %s", colons, again.Serial)
	}
	// The CA certificates are in the inventory too.
	f.do(t, nil, "GET", "/api/v1/certificates/"+hexSerial(f.h.Root), tok, nil).decode(t, 200, &again)
	if again.Profile != "root" {
		t.Fatalf("root: %+v", again)
	}

	f.do(t, nil, "GET", "/api/v1/certificates/0123456789abcdef", tok, nil).problem(t, 404, restapi.TypeNotFound, "no certificate with serial 0123456789abcdef")
	for _, bad := range []string{"xyz", "00", "-1", "0x12", "ff" + strings.Repeat("ff", 20)} {
		f.do(t, nil, "GET", "/api/v1/certificates/"+bad, tok, nil).problem(t, 400, restapi.TypeMalformed, "invalid serial")
	}
}
