package keys

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// fastEncrypt keeps tests quick: 1000 iterations is the minimum MarshalEncryptedPEM accepts.
var fastEncrypt = EncryptOptions{Iterations: 1000}

func pemBlock(t testing.TB, data []byte, wantType string) *pem.Block {
	t.Helper()
	b, rest := pem.Decode(data)
	if b == nil || b.Type != wantType || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("want exactly one PEM block %q, got %q", wantType, data)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	pass := []byte("correct horse battery staple")
	for _, typ := range Types() {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			k := testKey(t, typ)

			plain, err := MarshalPEM(k)
			if err != nil {
				t.Fatal(err)
			}
			block := pemBlock(t, plain, "PRIVATE KEY")
			for _, in := range [][]byte{plain, block.Bytes} {
				got, err := ParsePrivateKey(in, nil)
				if err != nil {
					t.Fatalf("ParsePrivateKey(plain): %v", err)
				}
				sameKey(t, k, got)
			}

			enc, err := MarshalEncryptedPEM(k, pass, fastEncrypt)
			if err != nil {
				t.Fatal(err)
			}
			block = pemBlock(t, enc, "ENCRYPTED PRIVATE KEY")
			for _, in := range [][]byte{enc, block.Bytes} {
				got, err := ParsePrivateKey(in, pass)
				if err != nil {
					t.Fatalf("ParsePrivateKey(encrypted): %v", err)
				}
				sameKey(t, k, got)
				checkSigns(t, got)
				if _, err := ParsePrivateKey(in, nil); !errors.Is(err, ErrPassphraseRequired) {
					t.Errorf("no passphrase: error %v, want ErrPassphraseRequired", err)
				}
				if _, err := ParsePrivateKey(in, []byte("correct horse battery stapl")); !errors.Is(err, ErrWrongPassphrase) {
					t.Errorf("wrong passphrase: error %v, want ErrWrongPassphrase", err)
				}
			}
		})
	}
}

// readPBES2 parses the PBES2 parameters of an encrypted PEM key, for tests that check what we wrote.
func readPBES2(t testing.TB, pemData []byte) *pbes2 {
	t.Helper()
	s := cryptobyte.String(pemBlock(t, pemData, "ENCRYPTED PRIVATE KEY").Bytes)
	var epki, alg cryptobyte.String
	var oid asn1.ObjectIdentifier
	if !s.ReadASN1(&epki, cbasn1.SEQUENCE) || !epki.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&oid) || !oid.Equal(oidPBES2) {
		t.Fatal("not an EncryptedPrivateKeyInfo with PBES2")
	}
	p, err := parsePBES2(alg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMarshalEncryptedPEMDefaults(t *testing.T) {
	k := testKey(t, ECP256)
	enc, err := MarshalEncryptedPEM(k, []byte("pw"), EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := readPBES2(t, enc)
	kdf, ok := p.kdf.(*pbkdf2KDF)
	if !ok || kdf.prf != hmacWithSHA256 || kdf.iter != 600_000 || len(kdf.salt) != 16 {
		t.Fatalf("KDF = %+v, want PBKDF2 hmacWithSHA256, 600000 iterations, 16-byte salt", p.kdf)
	}
	if p.cipher != aes256CBC || len(p.iv) != 16 {
		t.Fatalf("cipher = %s with %d-byte IV, want aes-256-cbc with 16", p.cipher.name, len(p.iv))
	}
	got, err := ParsePrivateKey(enc, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, k, got)

	again, err := MarshalEncryptedPEM(k, []byte("pw"), fastEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	if q := readPBES2(t, again); bytes.Equal(q.iv, p.iv) || bytes.Equal(q.kdf.(*pbkdf2KDF).salt, kdf.salt) {
		t.Fatal("two encryptions share a salt or an IV")
	}
}

func TestMarshalEncryptedPEMOptions(t *testing.T) {
	k := testKey(t, Ed25519)
	for _, n := range []int{-1, 1, 999, maxPBKDF2Iterations + 1} {
		if _, err := MarshalEncryptedPEM(k, []byte("pw"), EncryptOptions{Iterations: n}); err == nil {
			t.Errorf("Iterations %d accepted", n)
		}
	}
	for _, pass := range [][]byte{nil, {}} {
		if _, err := MarshalEncryptedPEM(k, pass, fastEncrypt); !errors.Is(err, ErrPassphraseRequired) {
			t.Errorf("passphrase %q: error %v, want ErrPassphraseRequired", pass, err)
		}
	}
	// The salt and IV come from Rand: the same bytes give the same file.
	fixed := func() io.Reader { return bytes.NewReader(bytes.Repeat([]byte{42}, 32)) }
	a, err := MarshalEncryptedPEM(k, []byte("pw"), EncryptOptions{Iterations: 1000, Rand: fixed()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalEncryptedPEM(k, []byte("pw"), EncryptOptions{Iterations: 1000, Rand: fixed()})
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("same Rand gave different output (err %v)", err)
	}
	if _, err := MarshalEncryptedPEM(k, []byte("pw"), EncryptOptions{Iterations: 1000, Rand: iotest.ErrReader(io.ErrUnexpectedEOF)}); err == nil {
		t.Fatal("a failing Rand was not reported")
	}
}

func TestMarshalPEMKeyForms(t *testing.T) {
	k := testKey(t, Ed25519).(ed25519.PrivateKey)
	// A pointer to an Ed25519 key is a crypto.Signer too.
	out, err := MarshalPEM(&k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKey(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, k, got)

	// A signer whose key is not exportable (an HSM, a KMS) cannot be written.
	if _, err := MarshalPEM(opaqueSigner{k}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("MarshalPEM(opaque) error = %v, want ErrUnsupported", err)
	}
	if _, err := MarshalEncryptedPEM(opaqueSigner{k}, []byte("pw"), fastEncrypt); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("MarshalEncryptedPEM(opaque) error = %v, want ErrUnsupported", err)
	}
}

type opaqueSigner struct{ ed25519.PrivateKey }

// TestPBES2Variants encrypts with every KDF and cipher the parser accepts — what the openssl
// options -v2, -v2prf and -scrypt produce — and reads the result back.
func TestPBES2Variants(t *testing.T) {
	k := testKey(t, ECP256)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("saltsaltsaltsalt")
	var kdfs []kdf
	for _, p := range prfs {
		kdfs = append(kdfs, &pbkdf2KDF{salt: salt, iter: 1000, prf: p})
	}
	kdfs = append(kdfs, &scryptKDF{salt: salt, n: 1024, r: 8, p: 1})
	for _, c := range ciphers {
		for _, kd := range kdfs {
			name := c.name + "/scrypt"
			if p, ok := kd.(*pbkdf2KDF); ok {
				name = c.name + "/" + p.prf.name
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				p := &pbes2{kdf: kd, cipher: c, iv: bytes.Repeat([]byte{1}, c.blockSize)}
				enc, err := encryptPKCS8(p, []byte("pw"), der)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ParsePrivateKey(enc, []byte("pw"))
				if err != nil {
					t.Fatal(err)
				}
				sameKey(t, k, got)
				if _, err := ParsePrivateKey(enc, []byte("wp")); !errors.Is(err, ErrWrongPassphrase) {
					t.Fatalf("wrong passphrase: error %v, want ErrWrongPassphrase", err)
				}
			})
		}
	}
}

// TestWrongPassphraseWithValidPadding finds a wrong passphrase whose decryption happens to end
// in valid padding (about 1 in 256) and checks that it is still reported as wrong.
func TestWrongPassphraseWithValidPadding(t *testing.T) {
	der, err := x509.MarshalPKCS8PrivateKey(testKey(t, ECP256))
	if err != nil {
		t.Fatal(err)
	}
	// One iteration is below what MarshalEncryptedPEM writes, but the parser accepts it (openssl
	// does too) and it makes thousands of tries cheap.
	p := &pbes2{kdf: &pbkdf2KDF{salt: []byte("salt"), iter: 1, prf: hmacWithSHA256}, cipher: aes256CBC, iv: make([]byte, 16)}
	enc, err := encryptPKCS8(p, []byte("pw"), der)
	if err != nil {
		t.Fatal(err)
	}
	ct := enc[len(enc)-(len(der)/16+1)*16:] // encryptedData, the last element, is the padded DER
	for i := range 100_000 {
		wrong := []byte{byte(i), byte(i >> 8), byte(i >> 16)}
		plain, err := p.decrypt(wrong, ct)
		if errors.Is(err, ErrWrongPassphrase) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		clear(plain)
		if _, err := ParsePrivateKey(enc, wrong); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("wrong passphrase with valid padding: error %v, want ErrWrongPassphrase", err)
		}
		return
	}
	t.Fatal("no wrong passphrase with valid padding found")
}
