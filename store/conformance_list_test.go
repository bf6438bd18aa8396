package store

import (
	"context"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"
)

func testListFilters(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	day := 24 * time.Hour
	mk := func(n int64, profile string, notAfter time.Duration, sans ...string) Certificate {
		c := cert(issuerA, n)
		c.Profile, c.NotAfter, c.SANs = profile, testNow.Add(notAfter), sans
		return c
	}
	issue(t, db, mk(1, "server", 90*day, "WWW.Example.test", "192.0.2.7"))
	issue(t, db, mk(2, "client", 10*day, "alice@example.test"))
	issue(t, db, mk(3, "server", -1*day, "old.example.test")) // expired
	if err := db.Reserve(ctx, mk(4, "server", 30*day, "www.example.test")); err != nil {
		t.Fatal(err) // stays pending
	}
	issue(t, db, mk(5, "server", 60*day))
	if err := db.Revoke(ctx, issuerA, big.NewInt(5), 1, testNow); err != nil {
		t.Fatal(err)
	}
	b := cert(issuerB, 6)
	b.SANs = []string{"www.example.test"}
	issue(t, db, b)

	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"all", Filter{}, []int64{1, 2, 3, 4, 5, 6}},
		{"valid", Filter{Status: StatusValid}, []int64{1, 2, 3, 6}},
		{"pending", Filter{Status: StatusPending}, []int64{4}},
		{"revoked", Filter{Status: StatusRevoked}, []int64{5}},
		{"expired", Filter{ExpiredAt: testNow}, []int64{3}},
		{"valid and unexpired", Filter{Status: StatusValid, ValidAt: testNow}, []int64{1, 2, 6}},
		{"expiring within 45 days", Filter{ExpiringBefore: testNow.Add(45 * day), ValidAt: testNow}, []int64{2, 4}},
		{"SAN any case", Filter{SAN: "www.EXAMPLE.test"}, []int64{1, 4, 6}},
		{"SAN ip", Filter{SAN: "192.0.2.7"}, []int64{1}},
		{"SAN email", Filter{SAN: "alice@example.test"}, []int64{2}},
		{"SAN unknown", Filter{SAN: "nope.test"}, nil},
		{"SAN is not a substring match", Filter{SAN: "example.test"}, nil},
		{"profile", Filter{Profile: "client"}, []int64{2}},
		{"issuer", Filter{IssuerKeyID: issuerB}, []int64{6}},
		{"SAN and issuer", Filter{SAN: "www.example.test", IssuerKeyID: issuerA, Status: StatusValid}, []int64{1}},
	}
	for _, tc := range tests {
		got, next, err := db.List(ctx, tc.f)
		if err != nil {
			t.Errorf("List(%s): %v", tc.name, err)
			continue
		}
		if next != "" {
			t.Errorf("List(%s) cursor = %q without a limit, want empty", tc.name, next)
		}
		if s := serials(got); !slices.Equal(s, tc.want) {
			t.Errorf("List(%s) = serials %v, want %v", tc.name, s, tc.want)
		}
	}
	got, _, _ := db.List(ctx, Filter{SAN: "WWW.EXAMPLE.TEST", Profile: "server", Status: StatusValid, IssuerKeyID: issuerA})
	if len(got) != 1 || !slices.Equal(got[0].SANs, []string{"WWW.Example.test", "192.0.2.7"}) {
		t.Errorf("SANs come back as given: got %v", got)
	}
}

func serials(cs []Certificate) []int64 {
	var s []int64
	for _, c := range cs {
		s = append(s, c.Serial.Int64())
	}
	return s
}

func testListPages(t *testing.T, dsn string) {
	db := openDB(t, dsn)
	ctx := context.Background()
	for n := int64(1); n <= 25; n++ {
		c := cert(issuerA, n)
		if n%3 == 0 {
			c.Profile = "client"
		}
		issue(t, db, c)
	}
	walk := func(f Filter, addDuring bool) []int64 {
		var all []int64
		pages := 0
		for {
			page, next, err := db.List(ctx, f)
			if err != nil {
				t.Fatalf("List page %d: %v", pages, err)
			}
			if len(page) > f.Limit {
				t.Fatalf("page of %d rows, limit %d", len(page), f.Limit)
			}
			all = append(all, serials(page)...)
			pages++
			if next == "" {
				return all
			}
			if pages > 30 {
				t.Fatal("pagination does not end")
			}
			if addDuring && pages == 1 {
				issue(t, db, cert(issuerB, 1000)) // a row added between pages is seen once, at the end
			}
			f.After = next
		}
	}
	var want []int64
	for n := int64(1); n <= 25; n++ {
		want = append(want, n)
	}
	if got := walk(Filter{IssuerKeyID: issuerA, Limit: 7}, false); !slices.Equal(got, want) {
		t.Errorf("pages of 7 = %v, want %v", got, want)
	}
	if got := walk(Filter{Limit: 5}, false); !slices.Equal(got, want) { // exact multiple: no empty last page
		t.Errorf("pages of 5 = %v, want %v", got, want)
	}
	if got := walk(Filter{Limit: 4}, true); !slices.Equal(got, append(slices.Clone(want), 1000)) {
		t.Errorf("pages of 4 with an insert between pages = %v", got)
	}
	var clients []int64
	for n := int64(3); n <= 25; n += 3 {
		clients = append(clients, n)
	}
	if got := walk(Filter{Profile: "client", Limit: 3}, false); !slices.Equal(got, clients) {
		t.Errorf("filtered pages = %v, want %v", got, clients)
	}
	for _, bad := range []string{"garbage!", "YzE6", "eDE6NQ", encodeCursor(-1)[:2]} {
		if _, _, err := db.List(ctx, Filter{After: bad}); !errors.Is(err, ErrBadCursor) {
			t.Errorf("List(After: %q) = %v, want ErrBadCursor", bad, err)
		}
	}
}
