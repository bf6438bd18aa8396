package acme_test

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/anchorpki/anchor/acme"
)

func TestCertIDRFC9773(t *testing.T) {
	t.Parallel()
	// RFC 9773 §4.1: keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4
	// and serial 00:87:65:43:21 (DER keeps the leading zero of a high first bit).
	aki, _ := hex.DecodeString("69885B6B87464041E1B37B847BA0AE2CDE01C8D4")
	serial, _ := new(big.Int).SetString("87654321", 16)
	const want = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"
	got, err := acme.CertID(&x509.Certificate{AuthorityKeyId: aki, SerialNumber: serial})
	if err != nil || got != want {
		t.Fatalf("CertID = %q, %v; want %q", got, err, want)
	}
	gotAKI, gotSerial, err := acme.ParseCertID(want)
	if err != nil || !bytes.Equal(gotAKI, aki) || gotSerial.Cmp(serial) != 0 {
		t.Fatalf("ParseCertID(%q) = %x, %v, %v", want, gotAKI, gotSerial, err)
	}
}

func TestCertIDSerials(t *testing.T) {
	t.Parallel()
	aki := []byte{1, 2, 3}
	for _, s := range []string{"1", "7f", "80", "ff", "100", "0123456789abcdef0123456789abcdef01234567"} {
		serial, _ := new(big.Int).SetString(s, 16)
		id, err := acme.CertID(&x509.Certificate{AuthorityKeyId: aki, SerialNumber: serial})
		if err != nil {
			t.Fatalf("CertID(serial %s): %v", s, err)
		}
		_, back, err := acme.ParseCertID(id)
		if err != nil || back.Cmp(serial) != 0 {
			t.Fatalf("serial %s → %q → %v, %v", s, id, back, err)
		}
	}
	if _, err := acme.CertID(&x509.Certificate{SerialNumber: big.NewInt(1)}); err == nil {
		t.Fatal("CertID without an AKI succeeded")
	}
}

func TestParseCertIDErrors(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"",
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ",           // no dot
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE.x", // three parts
		".AIdlQyE",                              // empty AKI
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.",          // empty serial
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE",  // padding
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl+yE",   // standard alphabet
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAE",       // 00 01: not minimal
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.gA",        // 80: negative
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AA",        // zero
		"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdl\nQyE", // line break
	} {
		if _, _, err := acme.ParseCertID(s); problemType(err) != acme.ProblemMalformed {
			t.Errorf("ParseCertID(%q) error = %v, want malformed", s, err)
		}
	}
}

func FuzzParseCertID(f *testing.F) {
	f.Add("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
	f.Add("AQID.AQ")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		aki, serial, err := acme.ParseCertID(s)
		if err != nil {
			wantMalformed(t, err)
			return
		}
		// One certificate, one CertID: whatever parses re-encodes to the same string.
		back, err := acme.CertID(&x509.Certificate{AuthorityKeyId: aki, SerialNumber: serial})
		if err != nil || back != s {
			t.Fatalf("ParseCertID(%q) re-encodes to %q, %v", s, back, err)
		}
	})
}
