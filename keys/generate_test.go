package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
)

// testKeys generates each type at most once per test binary and shares it: RSA-4096 takes
// seconds, more under -race.
var testKeys = func() map[Type]func() (crypto.Signer, error) {
	m := make(map[Type]func() (crypto.Signer, error))
	for _, typ := range allTypes {
		m[typ] = sync.OnceValues(func() (crypto.Signer, error) { return Generate(typ, nil) })
	}
	return m
}()

func testKey(t testing.TB, typ Type) crypto.Signer {
	t.Helper()
	k, err := testKeys[typ]()
	if err != nil {
		t.Fatalf("Generate(%s): %v", typ, err)
	}
	return k
}

// checkSigns signs a message with k and verifies the signature with its public key.
func checkSigns(t testing.TB, k crypto.Signer) {
	t.Helper()
	msg := []byte("anchor keys test message")
	digest := sha256.Sum256(msg)
	var ok bool
	switch pub := k.Public().(type) {
	case ed25519.PublicKey:
		sig, err := k.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			t.Fatalf("Ed25519 Sign: %v", err)
		}
		ok = ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		sig, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("ECDSA Sign: %v", err)
		}
		ok = ecdsa.VerifyASN1(pub, digest[:], sig)
	case *rsa.PublicKey:
		sig, err := k.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatalf("RSA Sign: %v", err)
		}
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	default:
		t.Fatalf("unexpected public key %T", pub)
	}
	if !ok {
		t.Fatalf("%s: signature does not verify with the public key", Describe(k.Public()))
	}
}

// sameKey fails unless a and b are the same private key.
func sameKey(t testing.TB, a, b crypto.Signer) {
	t.Helper()
	type equaler interface{ Equal(crypto.PrivateKey) bool }
	if e, ok := a.(equaler); !ok || !e.Equal(b) {
		t.Fatalf("keys differ: %s (%T) and %s (%T)", Describe(a.Public()), a, Describe(b.Public()), b)
	}
}

func TestGenerate(t *testing.T) {
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			k := testKey(t, typ)
			got, err := TypeOf(k.Public())
			if err != nil || got != typ {
				t.Fatalf("TypeOf(Generate(%s)) = %q, %v", typ, got, err)
			}
			checkSigns(t, k)
		})
	}
}

func TestGenerateUnknownType(t *testing.T) {
	for _, typ := range []Type{"", "rsa-1024", "ec-p521", "EC-P256"} {
		if k, err := Generate(typ, nil); !errors.Is(err, ErrUnknownType) || k != nil {
			t.Errorf("Generate(%q) = %v, %v; want ErrUnknownType", typ, k, err)
		}
	}
}

func TestGenerateEd25519ReadsRand(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, ed25519.SeedSize)
	k, err := Generate(Ed25519, bytes.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if want := ed25519.NewKeyFromSeed(seed); !want.Equal(k) {
		t.Fatal("Ed25519 key is not derived from the given rand")
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, typ := range Types() {
		b.Run(string(typ), func(b *testing.B) {
			for b.Loop() {
				if _, err := Generate(typ, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
