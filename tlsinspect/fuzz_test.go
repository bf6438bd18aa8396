package tlsinspect

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/internal/testkit/catest"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/names"
)

// FuzzStaple feeds arbitrary bytes as the stapled OCSP response of a real leaf: what a server
// staples is untrusted, and describing it must never panic nor call it verified unless the
// issuer signed it.
func FuzzStaple(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	self, err := issuance.NewSelfSigned(key, issuance.Options{})
	if err != nil {
		f.Fatal(err)
	}
	issuer := catest.Sign(f, self, issuance.Request{PublicKey: key.Public(), SANs: names.SANs{DNS: []string{"fuzz.test"}},
		Profile: issuance.SelfSigned})
	leaf := issuer // a self-signed certificate is its own issuer
	good, err := ocsp.CreateResponse(issuer, issuer, ocsp.Response{Status: ocsp.Good, SerialNumber: leaf.SerialNumber,
		ThisUpdate: time.Now().Add(-time.Hour), NextUpdate: time.Now().Add(time.Hour)}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{0x30, 0x03, 0x0A, 0x01, 0x01})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := describeStaple(b, leaf, issuer, time.Now())
		if s.Verified && s.Problem != "" {
			t.Fatalf("verified with a problem: %+v", s)
		}
		_ = describeStaple(b, leaf, nil, time.Now())
	})
}

// FuzzAcceptableCAs feeds arbitrary bytes as a CertificateRequest's distinguished names.
func FuzzAcceptableCAs(f *testing.F) {
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x0f, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 't', 'e', 's', 't'})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got := acceptableCAs([][]byte{b}); len(got) != 1 {
			t.Fatalf("%d names for one", len(got))
		}
	})
}
