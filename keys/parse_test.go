package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func mustPEM(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// ecParamsP256 is the "EC PARAMETERS" block `openssl ecparam -genkey -name prime256v1` writes first.
const ecParamsP256 = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"

func TestParsePrivateKeyForms(t *testing.T) {
	ec := testKey(t, ECP256).(*ecdsa.PrivateKey)
	rsaKey := testKey(t, RSA2048).(*rsa.PrivateKey)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(rsaKey)
	crlf := strings.ReplaceAll(string(mustPEM("PRIVATE KEY", pkcs8)), "\n", "\r\n")
	tests := []struct {
		name string
		in   []byte
		want crypto.Signer
	}{
		{"PKCS#8 PEM", mustPEM("PRIVATE KEY", pkcs8), ec},
		{"PKCS#8 DER", pkcs8, ec},
		{"PKCS#8 PEM with CRLF", []byte(crlf), ec},
		{"PKCS#8 after text and a certificate", append([]byte("key for www\n"+string(selfSigned(t, ec))), mustPEM("PRIVATE KEY", pkcs8)...), ec},
		{"PKCS#8 under a PKCS#1 label", mustPEM("RSA PRIVATE KEY", pkcs8), ec},
		{"SEC1 PEM", mustPEM("EC PRIVATE KEY", sec1), ec},
		{"SEC1 PEM after EC PARAMETERS", append([]byte(ecParamsP256), mustPEM("EC PRIVATE KEY", sec1)...), ec},
		{"SEC1 DER", sec1, ec},
		{"PKCS#1 PEM", mustPEM("RSA PRIVATE KEY", pkcs1), rsaKey},
		{"PKCS#1 DER", pkcs1, rsaKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePrivateKey(tc.in, []byte("ignored for plain keys"))
			if err != nil {
				t.Fatal(err)
			}
			sameKey(t, tc.want, got)
			checkSigns(t, got)
		})
	}
}

func selfSigned(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return mustPEM("CERTIFICATE", der)
}

func TestLegacyEncryptedPEM(t *testing.T) {
	ec := testKey(t, ECP256).(*ecdsa.PrivateKey)
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	//nolint:staticcheck // SA1019: writing the legacy format is what the test needs.
	block, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", sec1, []byte("pw"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	in := pem.EncodeToMemory(block)
	got, err := ParsePrivateKey(in, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, ec, got)
	if _, err := ParsePrivateKey(in, nil); !errors.Is(err, ErrPassphraseRequired) {
		t.Errorf("no passphrase: error %v, want ErrPassphraseRequired", err)
	}
	// Legacy encryption has no iteration count, so every wrong passphrase is cheap to try;
	// about 1 in 256 decrypts to valid padding and must still be reported as wrong.
	for i := range 2000 {
		if _, err := ParsePrivateKey(in, []byte{'x', byte(i), byte(i >> 8)}); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("wrong passphrase %d: error %v, want ErrWrongPassphrase", i, err)
		}
	}

	bad := *block
	bad.Headers = map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "RC2-40-CBC,0011223344556677"}
	if _, err := ParsePrivateKey(pem.EncodeToMemory(&bad), []byte("pw")); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "RC2-40-CBC") {
		t.Errorf("RC2 legacy PEM: error %v, want ErrUnsupported naming RC2-40-CBC", err)
	}
	bad.Headers = map[string]string{"Proc-Type": "4,ENCRYPTED"}
	if _, err := ParsePrivateKey(pem.EncodeToMemory(&bad), []byte("pw")); !errors.Is(err, ErrMalformed) {
		t.Errorf("legacy PEM without DEK-Info: error %v, want ErrMalformed", err)
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	ec := testKey(t, ECP256)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	plainPEM := mustPEM("PRIVATE KEY", pkcs8)
	encPEM, err := MarshalEncryptedPEM(ec, []byte("pw"), fastEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	encDER := pemBlock(t, encPEM, "ENCRYPTED PRIVATE KEY").Bytes
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x25519DER, err := x509.MarshalPKCS8PrivateKey(x25519)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := x509.MarshalPKCS8PrivateKey(testKey(t, Ed25519))
	if err != nil {
		t.Fatal(err)
	}
	// Ed448's OID is Ed25519's with 113 for 112: same structure, an algorithm we do not implement.
	ed448 := bytes.Replace(ed, []byte{0x06, 0x03, 0x2b, 0x65, 0x70}, []byte{0x06, 0x03, 0x2b, 0x65, 0x71}, 1)
	// PBES1 pbeWithMD5AndDES-CBC in place of PBES2 (both OIDs are 9 bytes long).
	pbes1 := bytes.Replace(encDER, oidBytes(oidPBES2), oidBytes(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 3}), 1)
	// Ciphertext one byte short of a block: fix up the three lengths that contain it.
	short := shortenLastOctetString(t, encDER)
	// An RSA key whose private exponent does not match its public one.
	broken := *testKey(t, RSA2048).(*rsa.PrivateKey)
	broken.D = new(big.Int).Add(broken.D, big.NewInt(2))
	broken.Precomputed = rsa.PrecomputedValues{}
	brokenDER := x509.MarshalPKCS1PrivateKey(&broken)

	tests := []struct {
		name    string
		in      []byte
		pass    string
		wantErr error
		wantMsg string
	}{
		{"empty", nil, "", ErrMalformed, "empty"},
		{"blank", []byte(" \n\t"), "", ErrMalformed, "empty"},
		{"text", []byte("hello, world"), "", ErrMalformed, "neither PEM nor DER"},
		{"truncated DER", pkcs8[:len(pkcs8)/2], "", ErrMalformed, "truncated"},
		{"DER with trailing data", append(bytes.Clone(pkcs8), 0, 0), "", ErrMalformed, "trailing"},
		{"DER sequence of something else", []byte{0x30, 0x03, 0x01, 0x01, 0xff}, "", ErrMalformed, "not a PKCS#8"},
		{"truncated PEM", plainPEM[:len(plainPEM)/2], "", ErrMalformed, "line 1: malformed PEM: no END line"},
		{"broken block before a good one", append(bytes.Replace(plainPEM, []byte("\n"), []byte("\n!!!!\n"), 1), plainPEM...), "", ErrMalformed, "line 2: malformed PEM: bad base64"},
		{"PEM of truncated DER", mustPEM("PRIVATE KEY", pkcs8[:len(pkcs8)-10]), "", ErrMalformed, "truncated"},
		{"certificate only", selfSigned(t, ec), "", ErrMalformed, "no private key in the PEM data (found: CERTIFICATE)"},
		{"EC PARAMETERS only", []byte(ecParamsP256), "", ErrMalformed, "EC PARAMETERS"},
		{"OpenSSH key", mustPEM("OPENSSH PRIVATE KEY", []byte("openssh-key-v1")), "", ErrUnsupported, "OPENSSH"},
		{"encrypted, no passphrase", encPEM, "", ErrPassphraseRequired, ""},
		{"encrypted DER, no passphrase", encDER, "", ErrPassphraseRequired, ""},
		{"encrypted, wrong passphrase", encPEM, "wp", ErrWrongPassphrase, ""},
		{"encrypted, truncated PEM", encPEM[:len(encPEM)-40], "pw", ErrMalformed, "no END line"},
		{"encrypted, truncated DER", encDER[:len(encDER)-1], "pw", ErrMalformed, "truncated"},
		{"encrypted, ciphertext not whole blocks", short, "pw", ErrMalformed, "block size"},
		{"encrypted, ciphertext not whole blocks, no passphrase", short, "", ErrMalformed, "block size"},
		{"PBES1", pbes1, "pw", ErrUnsupported, "1.2.840.113549.1.5.3"},
		{"PBES1 without passphrase", pbes1, "", ErrUnsupported, "pbeWithMD5AndDES-CBC"},
		{"Ed448", ed448, "", ErrUnsupported, "1.3.101.113"},
		{"X25519", x25519DER, "", ErrUnsupported, "X25519"},
		{"inconsistent RSA", mustPEM("RSA PRIVATE KEY", brokenDER), "", ErrMalformed, "RSA"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var pass []byte
			if tc.pass != "" {
				pass = []byte(tc.pass)
			}
			k, err := ParsePrivateKey(tc.in, pass)
			if !errors.Is(err, tc.wantErr) || k != nil {
				t.Fatalf("ParsePrivateKey = %v, %v; want error %v", k, err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

func oidBytes(oid asn1.ObjectIdentifier) []byte { return must(asn1.Marshal(oid)) }

// shortenLastOctetString drops the last byte of an EncryptedPrivateKeyInfo's encryptedData,
// keeping the DER valid, so that only the ciphertext length is wrong.
func shortenLastOctetString(t testing.TB, der []byte) []byte {
	t.Helper()
	var epki struct {
		Alg  asn1.RawValue
		Data []byte
	}
	if _, err := asn1.Unmarshal(der, &epki); err != nil {
		t.Fatal(err)
	}
	epki.Data = epki.Data[:len(epki.Data)-1]
	out, err := asn1.Marshal(epki)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestErrorsHideKeyMaterial damages a key in every position and checks that no error message
// quotes any part of it.
func TestErrorsHideKeyMaterial(t *testing.T) {
	for _, typ := range []Type{ECP256, Ed25519, RSA2048} {
		der, err := x509.MarshalPKCS8PrivateKey(testKey(t, typ))
		if err != nil {
			t.Fatal(err)
		}
		enc := pemBlock(t, must(MarshalEncryptedPEM(testKey(t, typ), []byte("pw"), fastEncrypt)), "ENCRYPTED PRIVATE KEY").Bytes
		for _, src := range [][]byte{der, enc} {
			for i := 0; i < len(src); i += 1 + len(src)/200 {
				for _, in := range [][]byte{src[:i], flip(src, i)} {
					_, err := ParsePrivateKey(in, []byte("pw"))
					if err == nil {
						continue
					}
					msg := strings.ToLower(err.Error())
					for j := 0; j+6 <= len(der); j++ {
						if strings.Contains(msg, hex.EncodeToString(der[j:j+6])) {
							t.Fatalf("%s: error %q quotes key bytes", typ, err)
						}
					}
				}
			}
		}
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x5a
	return c
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func FuzzParsePrivateKey(f *testing.F) {
	ec := testKey(f, ECP256)
	rsaKey := testKey(f, RSA2048).(*rsa.PrivateKey)
	ed := testKey(f, Ed25519)
	for _, k := range []crypto.Signer{ec, ed, rsaKey} {
		p := must(MarshalPEM(k))
		f.Add(p)
		f.Add(pemBlock(f, p, "PRIVATE KEY").Bytes)
		e := must(MarshalEncryptedPEM(k, []byte("pw"), fastEncrypt))
		f.Add(e)
		f.Add(pemBlock(f, e, "ENCRYPTED PRIVATE KEY").Bytes)
	}
	scrypted := &pbes2{kdf: &scryptKDF{salt: []byte("salt"), n: 16, r: 1, p: 1}, cipher: ciphers[0], iv: make([]byte, 16)}
	f.Add(mustPEM("ENCRYPTED PRIVATE KEY", must(encryptPKCS8(scrypted, []byte("pw"), must(x509.MarshalPKCS8PrivateKey(ec))))))
	sec1 := must(x509.MarshalECPrivateKey(ec.(*ecdsa.PrivateKey)))
	f.Add(append([]byte(ecParamsP256), mustPEM("EC PRIVATE KEY", sec1)...))
	f.Add(sec1)
	f.Add(mustPEM("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)))
	//nolint:staticcheck // SA1019: a legacy encrypted seed.
	legacy := must(x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", sec1, []byte("pw"), x509.PEMCipherAES128))
	f.Add(pem.EncodeToMemory(legacy))

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, pass := range [][]byte{nil, []byte("pw")} {
			k, err := ParsePrivateKey(data, pass)
			if err != nil {
				if k != nil {
					t.Fatal("a key and an error")
				}
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) &&
					!errors.Is(err, ErrPassphraseRequired) && !errors.Is(err, ErrWrongPassphrase) {
					t.Fatalf("error wraps no sentinel: %v", err)
				}
				continue
			}
			// Whatever parses can be written and read back.
			out, err := MarshalPEM(k)
			if err != nil {
				t.Fatalf("MarshalPEM of a parsed %s key: %v", Describe(k.Public()), err)
			}
			again, err := ParsePrivateKey(out, nil)
			if err != nil {
				t.Fatalf("reparsing: %v", err)
			}
			sameKey(t, k, again)
		}
	})
}
