package keys

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestTypes(t *testing.T) {
	want := []Type{ECP256, ECP384, Ed25519, RSA2048, RSA3072, RSA4096}
	got := Types()
	if !slices.Equal(got, want) {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
	if !slices.Contains(got, DefaultType) {
		t.Fatalf("DefaultType %q is not in Types()", DefaultType)
	}
	got[0] = "mutated"
	if Types()[0] != ECP256 {
		t.Fatal("Types() returns the package's own slice")
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in      string
		want    Type
		wantErr error
	}{
		{"ec-p256", ECP256, nil},
		{"ec-p384", ECP384, nil},
		{"ed25519", Ed25519, nil},
		{"rsa-2048", RSA2048, nil},
		{"rsa-3072", RSA3072, nil},
		{"rsa-4096", RSA4096, nil},
		{"RSA-4096", RSA4096, nil},
		{"rsa-1024", "", ErrUnknownType},
		{"p256", "", ErrUnknownType},
		{"", "", ErrUnknownType},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseType(tc.in)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("ParseType(%q) = %q, %v; want %q, %v", tc.in, got, err, tc.want, tc.wantErr)
			}
			if err != nil {
				for _, typ := range Types() {
					if !strings.Contains(err.Error(), string(typ)) {
						t.Errorf("error %q does not list valid type %s", err, typ)
					}
				}
			}
		})
	}
}

func TestTypeOfAndDescribe(t *testing.T) {
	ecKey := func(c elliptic.Curve) crypto.PublicKey {
		k, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k.Public()
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pub      crypto.PublicKey
		want     Type
		wantErr  error
		describe string
	}{
		{"p256", testKey(t, ECP256).Public(), ECP256, nil, "ECDSA P-256"},
		{"p384", testKey(t, ECP384).Public(), ECP384, nil, "ECDSA P-384"},
		{"ed25519", testKey(t, Ed25519).Public(), Ed25519, nil, "Ed25519"},
		{"rsa2048", testKey(t, RSA2048).Public(), RSA2048, nil, "RSA 2048"},
		{"rsa3072", testKey(t, RSA3072).Public(), RSA3072, nil, "RSA 3072"},
		{"rsa4096", testKey(t, RSA4096).Public(), RSA4096, nil, "RSA 4096"},
		{"p521", ecKey(elliptic.P521()), "", ErrUnsupported, "ECDSA P-521"},
		{"p224", ecKey(elliptic.P224()), "", ErrUnsupported, "ECDSA P-224"},
		{"rsa1024", rsa1024.Public(), "", ErrUnsupported, "RSA 1024"},
		{"x25519", x25519.PublicKey(), "", ErrUnsupported, "X25519"},
		{"nil", nil, "", ErrUnsupported, "no key"},
		{"private key", testKey(t, ECP256), "", ErrUnsupported, "unknown (*ecdsa.PrivateKey)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := TypeOf(tc.pub)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("TypeOf = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.describe) {
				t.Errorf("TypeOf error %q does not name the key (%s)", err, tc.describe)
			}
			if d := Describe(tc.pub); d != tc.describe {
				t.Errorf("Describe = %q, want %q", d, tc.describe)
			}
		})
	}
}

func TestSubjectKeyID(t *testing.T) {
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			pub := testKey(t, typ).Public()
			got, err := SubjectKeyID(pub)
			if err != nil {
				t.Fatal(err)
			}
			// The same hash by another route: encoding/asn1 instead of cryptobyte.
			der, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			var spki struct {
				Algorithm asn1.RawValue
				PublicKey asn1.BitString
			}
			if _, err := asn1.Unmarshal(der, &spki); err != nil {
				t.Fatal(err)
			}
			want := sha1.Sum(spki.PublicKey.Bytes)
			if string(got) != string(want[:]) {
				t.Fatalf("SubjectKeyID = %x, want %x", got, want)
			}
		})
	}
	if _, err := SubjectKeyID(struct{}{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("SubjectKeyID(struct{}{}) error = %v, want ErrUnsupported", err)
	}
}
