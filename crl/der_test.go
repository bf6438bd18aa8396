package crl

import (
	"bytes"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"
)

// The hand-written DER must match encoding/asn1 byte for byte; these tests and fuzzers compare
// the two directly.

func TestAppendInteger(t *testing.T) {
	t.Parallel()
	tests := []string{
		"0", "1", "7f", "80", "ff", "100", "7fff", "8000", "ffff",
		"7fffffffffffffffffffffffffffffffffffffff", // 20 octets, the RFC 5280 maximum
		"ffffffffffffffffffffffffffffffffffffffff", // 20-octet magnitude: 21 octets in DER
		"-1", "-7f", "-80", "-81", "-ff", "-100", "-8000", "-8001",
		"-8000000000000000000000000000000000000000",
	}
	for _, s := range tests {
		t.Run(s, func(t *testing.T) {
			t.Parallel()
			x, _ := new(big.Int).SetString(s, 16)
			checkInteger(t, x)
		})
	}
}

func checkInteger(t *testing.T, x *big.Int) {
	t.Helper()
	want, err := asn1.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	got := appendInteger([]byte{0xee}, x)
	if !bytes.Equal(got[1:], want) || got[0] != 0xee {
		t.Fatalf("appendInteger(%x) = % x; want % x", x, got[1:], want)
	}
	if n := intLen(x); n+headerLen(n) != len(want) {
		t.Fatalf("intLen(%x) = %d; DER is % x", x, n, want)
	}
}

func FuzzAppendInteger(f *testing.F) {
	f.Add([]byte{0x80}, false)
	f.Add([]byte{0x80}, true)
	f.Add(bytes.Repeat([]byte{0xff}, 200), true)
	f.Fuzz(func(t *testing.T, mag []byte, neg bool) {
		x := new(big.Int).SetBytes(mag)
		if neg {
			x.Neg(x)
		}
		checkInteger(t, x)
	})
}

func TestAppendTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   time.Time
		want string // DER as hex-free text: tag name and content
	}{
		{"last UTCTime year start", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), "17 500101000000Z"},
		{"before 1950", time.Date(1949, 12, 31, 23, 59, 59, 0, time.UTC), "18 19491231235959Z"},
		{"end of 2049", time.Date(2049, 12, 31, 23, 59, 59, 999999999, time.UTC), "17 491231235959Z"},
		{"2050", time.Date(2050, 1, 1, 0, 0, 0, 0, time.UTC), "18 20500101000000Z"},
		{"zone converted to UTC", time.Date(2050, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "17 491231233000Z"},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "18 00010101000000Z"},
		{"year 9999", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), "18 99991231235959Z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := appendTime(nil, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if s := describeTime(got); s != tc.want {
				t.Fatalf("appendTime(%v) = %s; want %s", tc.in, s, tc.want)
			}
			want, err := asn1.Marshal(tc.in.UTC())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("appendTime(%v) = % x; encoding/asn1 says % x", tc.in, got, want)
			}
		})
	}
	for _, bad := range []time.Time{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := appendTime(nil, bad); err == nil {
			t.Errorf("appendTime(%v) succeeded; want an error", bad)
		}
	}
}

func describeTime(b []byte) string {
	if len(b) < 2 || int(b[1]) != len(b)-2 {
		return "malformed"
	}
	return map[byte]string{tagUTCTime: "17", tagGeneralizedTime: "18"}[b[0]] + " " + string(b[2:])
}

func FuzzAppendTime(f *testing.F) {
	f.Add(int64(0), int64(0))
	f.Add(int64(2524608000), int64(1)) // 2050-01-01
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		tm := time.Unix(sec, nsec).UTC()
		want, wantErr := asn1.Marshal(tm)
		got, err := appendTime(nil, tm)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("appendTime(%v) error %v; encoding/asn1 error %v", tm, err, wantErr)
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("appendTime(%v) = % x; encoding/asn1 says % x", tm, got, want)
		}
	})
}

func TestAppendHeader(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 127, 128, 255, 256, 65535, 65536, 1<<24 - 1, 1 << 24, 1 << 31} {
		got := appendHeader(nil, tagSequence, n)
		var want []byte
		switch {
		case n < 128:
			want = []byte{0x30, byte(n)}
		default:
			var l []byte
			for v := n; v > 0; v >>= 8 {
				l = append([]byte{byte(v)}, l...)
			}
			want = append([]byte{0x30, 0x80 | byte(len(l))}, l...)
		}
		if !bytes.Equal(got, want) || headerLen(n) != len(want) {
			t.Errorf("appendHeader(%d) = % x (headerLen %d); want % x", n, got, headerLen(n), want)
		}
	}
}

func TestChunksKeepOrderAcrossBlocks(t *testing.T) {
	t.Parallel()
	var c chunks
	var want []byte
	for i := range 300000 {
		p := []byte{byte(i), byte(i >> 8), byte(i >> 16)}[:1+i%3]
		c.write(p)
		want = append(want, p...)
	}
	var got []byte
	blocks := 0
	for b := range c.all() {
		if len(b) > maxChunk {
			t.Fatalf("block of %d bytes exceeds %d", len(b), maxChunk)
		}
		got = append(got, b...)
		blocks++
	}
	if !bytes.Equal(got, want) || c.n != len(want) || blocks < 2 {
		t.Fatalf("chunks returned %d bytes in %d blocks (n=%d); want %d bytes in several", len(got), blocks, c.n, len(want))
	}
}
