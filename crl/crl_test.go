package crl_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/anchorpki/anchor/crl"
	"github.com/anchorpki/anchor/store"
)

var (
	thisUpdate = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	nextUpdate = thisUpdate.Add(7 * 24 * time.Hour)
	revokedAt  = time.Date(2026, 2, 27, 8, 30, 15, 0, time.UTC)
)

var keyKinds = []string{"P-256", "P-384", "P-521", "P-224", "RSA-2048", "Ed25519"}

func opts(c ca, number int64) crl.Options {
	return crl.Options{Issuer: c.cert, Signer: c.key, Number: big.NewInt(number), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
}

// randomRows returns n revocations with 16-octet random serials, every reason but
// removeFromCRL, and times spread over the last year.
func randomRows(n int, seed uint64) []store.Revocation {
	rng := rand.New(rand.NewPCG(seed, 1))
	reasons := []int{0, 1, 2, 3, 4, 5, 6, 9, 10}
	rows := make([]store.Revocation, n)
	for i := range rows {
		b := make([]byte, 16)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		rows[i] = store.Revocation{
			Serial:    new(big.Int).SetBytes(b),
			RevokedAt: revokedAt.Add(-time.Duration(rng.Int64N(int64(365 * 24 * time.Hour)))),
			Reason:    reasons[rng.IntN(len(reasons))],
		}
	}
	return rows
}

// TestCreateMatchesStandardLibrary checks every field of the CRL against its input, and the
// whole to-be-signed list against x509.CreateRevocationList byte for byte.
func TestCreateMatchesStandardLibrary(t *testing.T) {
	t.Parallel()
	allReasons := []store.Revocation{}
	for _, reason := range []int{0, 1, 2, 3, 4, 5, 6, 9, 10} {
		allReasons = append(allReasons, store.Revocation{Serial: big.NewInt(int64(100 + reason)), RevokedAt: revokedAt, Reason: reason})
	}
	serials := []store.Revocation{}
	for _, s := range []string{
		"1", "7f", "80", "ff", "0100", "8000000000000000",
		"7fffffffffffffffffffffffffffffffffffffff", // 20 octets
		"ffffffffffffffffffffffffffffffffffffffff", // 20-octet magnitude, 21 octets with the 0x00
		"0", "-1", "-80", "-81", // not from a conforming CA, but listable
	} {
		n, _ := new(big.Int).SetString(s, 16)
		serials = append(serials, store.Revocation{Serial: n, RevokedAt: revokedAt, Reason: 1})
	}
	cet := time.FixedZone("CET", 3600)
	times := []store.Revocation{
		{Serial: big.NewInt(1), RevokedAt: time.Date(1949, 12, 31, 23, 59, 59, 0, time.UTC)},
		{Serial: big.NewInt(2), RevokedAt: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Serial: big.NewInt(3), RevokedAt: time.Date(2049, 12, 31, 23, 59, 59, 999, time.UTC)},
		{Serial: big.NewInt(4), RevokedAt: time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Serial: big.NewInt(5), RevokedAt: time.Date(2050, 1, 1, 0, 30, 0, 0, cet)}, // 2049 in UTC
		{Serial: big.NewInt(6), RevokedAt: time.Date(2026, 2, 3, 4, 5, 6, 7, cet)},
	}
	maxNumber := hexInt(t, "7fffffffffffffffffffffffffffffffffffffff")
	tests := []struct {
		name       string
		rows       []store.Revocation
		number     *big.Int
		this, next time.Time
	}{
		{"empty", nil, big.NewInt(1), thisUpdate, nextUpdate},
		{"one", []store.Revocation{{Serial: big.NewInt(42), RevokedAt: revokedAt, Reason: 1}}, big.NewInt(2), thisUpdate, nextUpdate},
		{"every reason", allReasons, big.NewInt(3), thisUpdate, nextUpdate},
		{"serial edges", serials, big.NewInt(4), thisUpdate, nextUpdate},
		{"times around 1950 and 2050", times, big.NewInt(0), thisUpdate, nextUpdate},
		{"update times across 2050", allReasons, maxNumber,
			time.Date(2049, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"update times after 2050", allReasons, big.NewInt(1 << 40),
			time.Date(2050, 6, 1, 0, 0, 0, 5, cet), time.Date(2051, 6, 1, 0, 0, 0, 0, time.UTC)},
		{"1000 random", randomRows(1000, 1), big.NewInt(1000), thisUpdate, nextUpdate},
	}
	for _, kind := range keyKinds {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c := testCA(t, kind)
				o := crl.Options{Issuer: c.cert, Signer: c.key, Number: tc.number, ThisUpdate: tc.this, NextUpdate: tc.next}
				src := &source{rows: tc.rows}
				got, err := crl.Create(t.Context(), src, o)
				if err != nil {
					t.Fatalf("Create: %v", err)
				}
				if !bytes.Equal(src.gotKeyID, c.cert.SubjectKeyId) || !src.gotAsOf.Equal(tc.this) {
					t.Errorf("source asked for issuer %x as of %v; want %x as of %v", src.gotKeyID, src.gotAsOf, c.cert.SubjectKeyId, tc.this)
				}
				rl := checkCRL(t, got, c, tc.rows, tc.number, tc.this, tc.next)

				want := stdCreate(t, tc.rows, c, tc.number, tc.this, tc.next)
				ref, err := x509.ParseRevocationList(want)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rl.RawTBSRevocationList, ref.RawTBSRevocationList) {
					t.Fatalf("TBSCertList differs from x509.CreateRevocationList:\n got % x\nwant % x", rl.RawTBSRevocationList, ref.RawTBSRevocationList)
				}
				// RSA PKCS #1 v1.5 and Ed25519 signatures are deterministic: the whole CRL matches.
				if (kind == "RSA-2048" || kind == "Ed25519") && !bytes.Equal(got, want) {
					t.Fatal("CRL differs from x509.CreateRevocationList although the signature is deterministic")
				}
			})
		}
	}
}

// checkCRL parses der and compares every field with what went in.
func checkCRL(t *testing.T, der []byte, c ca, rows []store.Revocation, number *big.Int, this, next time.Time) *x509.RevocationList {
	t.Helper()
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("x509.ParseRevocationList: %v", err)
	}
	if err := rl.CheckSignatureFrom(c.cert); err != nil {
		t.Fatalf("CheckSignatureFrom: %v", err)
	}
	if rl.SignatureAlgorithm != c.cert.SignatureAlgorithm { // self-signed with x509's default for the key
		t.Errorf("signature algorithm %v; want %v", rl.SignatureAlgorithm, c.cert.SignatureAlgorithm)
	}
	if rl.Number.Cmp(number) != 0 {
		t.Errorf("number %v; want %v", rl.Number, number)
	}
	if !bytes.Equal(rl.AuthorityKeyId, c.cert.SubjectKeyId) {
		t.Errorf("authority key id %x; want %x", rl.AuthorityKeyId, c.cert.SubjectKeyId)
	}
	if !bytes.Equal(rl.RawIssuer, c.cert.RawSubject) {
		t.Errorf("issuer % x; want % x", rl.RawIssuer, c.cert.RawSubject)
	}
	if !rl.ThisUpdate.Equal(this.Truncate(time.Second)) || !rl.NextUpdate.Equal(next.Truncate(time.Second)) {
		t.Errorf("thisUpdate %v nextUpdate %v; want %v, %v", rl.ThisUpdate, rl.NextUpdate, this, next)
	}
	if len(rl.Extensions) != 2 || rl.Extensions[0].Critical || rl.Extensions[1].Critical {
		t.Errorf("extensions %v; want AKI and CRL number, not critical", rl.Extensions)
	}
	if len(rl.RevokedCertificateEntries) != len(rows) {
		t.Fatalf("%d entries; want %d", len(rl.RevokedCertificateEntries), len(rows))
	}
	for i, e := range rl.RevokedCertificateEntries {
		r := rows[i]
		if e.SerialNumber.Cmp(r.Serial) != 0 || !e.RevocationTime.Equal(r.RevokedAt.Truncate(time.Second)) || e.ReasonCode != r.Reason {
			t.Fatalf("entry %d = %x %v reason %d; want %x %v reason %d", i, e.SerialNumber, e.RevocationTime, e.ReasonCode, r.Serial, r.RevokedAt, r.Reason)
		}
		// RFC 5280 §5.3.1: no reasonCode extension for unspecified.
		if wantExt := r.Reason != 0; (len(e.Extensions) == 1) != wantExt || len(e.Extensions) > 1 {
			t.Fatalf("entry %d (reason %d) has extensions %v", i, r.Reason, e.Extensions)
		}
	}

	// RFC 5280 §5.1.2: v2, and revokedCertificates absent (not empty) when there are none.
	want := []int{asn1.TagInteger, asn1.TagSequence, asn1.TagSequence, timeTag(this), timeTag(next)}
	if len(rows) > 0 {
		want = append(want, asn1.TagSequence)
	}
	want = append(want, 0) // [0] crlExtensions
	version, tags := tbsShape(t, rl.RawTBSRevocationList)
	if version != 1 || !slices.Equal(tags, want) {
		t.Errorf("TBSCertList version %d, element tags %v; want version 1, tags %v", version, tags, want)
	}
	return rl
}

func timeTag(tm time.Time) int {
	if y := tm.UTC().Year(); y >= 1950 && y < 2050 {
		return asn1.TagUTCTime
	}
	return asn1.TagGeneralizedTime
}

// tbsShape returns the version and the tag numbers of the TBSCertList's elements.
func tbsShape(t *testing.T, tbs []byte) (int, []int) {
	t.Helper()
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(tbs, &seq); err != nil || len(rest) > 0 {
		t.Fatalf("TBSCertList: %v (%d trailing bytes)", err, len(rest))
	}
	var tags []int
	version := -1
	for b := seq.Bytes; len(b) > 0; {
		var el asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &el); err != nil {
			t.Fatalf("TBSCertList element: %v", err)
		}
		if len(tags) == 0 && el.Tag == asn1.TagInteger && len(el.Bytes) == 1 {
			version = int(el.Bytes[0])
		}
		tags = append(tags, el.Tag)
	}
	return version, tags
}

func TestWriteStreamsTheSameCRL(t *testing.T) {
	t.Parallel()
	c := testCA(t, "Ed25519") // deterministic signatures: Write and Create must agree byte for byte
	for _, n := range []int{0, 1, 10000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			rows := randomRows(n, uint64(n))
			var buf bytes.Buffer
			st, err := crl.Write(t.Context(), &buf, &source{rows: rows}, opts(c, 7))
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			if st.Entries != n || st.Bytes != int64(buf.Len()) {
				t.Errorf("Stats %+v; want %d entries and %d bytes", st, n, buf.Len())
			}
			created, err := crl.Create(t.Context(), &source{rows: rows}, opts(c, 7))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), created) {
				t.Fatal("Write and Create produced different CRLs")
			}
			checkCRL(t, created, c, rows, big.NewInt(7), thisUpdate, nextUpdate)
		})
	}
}

// FuzzCreateMatchesStd compares one-entry CRLs with x509.CreateRevocationList for arbitrary
// serials, times and reasons; both must accept or refuse, and agree on the TBSCertList.
func FuzzCreateMatchesStd(f *testing.F) {
	f.Add([]byte{0x80}, false, int64(1772000000), 1)
	f.Add([]byte{}, true, int64(-631152001), 0)
	f.Add(bytes.Repeat([]byte{0xff}, 20), false, int64(2524608000), 10)
	f.Fuzz(func(t *testing.T, mag []byte, neg bool, unix int64, reason int) {
		serial := new(big.Int).SetBytes(mag)
		if neg {
			serial.Neg(serial)
		}
		at := time.Unix(unix, 0)
		if y := at.UTC().Year(); y < 1 || y > 9999 || reason < 0 || reason > 10 || reason == 7 || reason == 8 {
			t.Skip("outside what either encoder accepts") // the error tests cover these
		}
		c := testCA(t, "Ed25519")
		rows := []store.Revocation{{Serial: serial, RevokedAt: at, Reason: reason}}
		got, err := crl.Create(context.Background(), &source{rows: rows}, opts(c, 1))
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if want := stdCreate(t, rows, c, big.NewInt(1), thisUpdate, nextUpdate); !bytes.Equal(got, want) {
			t.Fatalf("CRL differs from x509.CreateRevocationList:\n got % x\nwant % x", got, want)
		}
	})
}
