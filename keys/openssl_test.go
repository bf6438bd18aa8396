package keys

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/internal/testkit"
)

// testPassphrase is not ASCII: openssl and this package must both use the bytes as they are.
const testPassphrase = "correct horse ✓ staple"

// opensslDir returns openssl and a directory holding the passphrase files "pw" and "wrong".
func opensslDir(t *testing.T) (ossl, dir string) {
	t.Helper()
	ossl = testkit.OpenSSL(t)
	dir = t.TempDir()
	writeFile(t, dir, "pw", []byte(testPassphrase+"\n"))
	writeFile(t, dir, "wrong", []byte(testPassphrase+"!\n"))
	return ossl, dir
}

func writeFile(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// opensslPublicKey checks that openssl reads the key file and returns the public key it sees.
func opensslPublicKey(t testing.TB, ossl, dir, file string, der bool) crypto.PublicKey {
	t.Helper()
	args := []string{"pkey", "-in", file, "-passin", "file:pw", "-pubout"}
	if der {
		args = append(args, "-inform", "DER")
	}
	out := testkit.Run(t, dir, ossl, args...).Stdout
	b, _ := pem.Decode([]byte(out))
	if b == nil || b.Type != "PUBLIC KEY" {
		t.Fatalf("openssl pkey -pubout printed no public key: %q", out)
	}
	pub, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func samePublic(t testing.TB, k crypto.Signer, pub crypto.PublicKey) {
	t.Helper()
	if e, ok := k.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !e.Equal(pub) {
		t.Fatalf("openssl sees public key %s, ours is %s: they differ", Describe(pub), Describe(k.Public()))
	}
}

func TestOpenSSLReadsOurKeys(t *testing.T) {
	for _, typ := range Types() {
		for _, encrypted := range []bool{false, true} {
			name := string(typ) + "/plain"
			if encrypted {
				name = string(typ) + "/encrypted"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ossl, dir := opensslDir(t)
				k := testKey(t, typ)
				out, err := MarshalPEM(k)
				if encrypted {
					out, err = MarshalEncryptedPEM(k, []byte(testPassphrase), fastEncrypt)
				}
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, "key.pem", out)
				samePublic(t, k, opensslPublicKey(t, ossl, dir, "key.pem", false))
				testkit.Run(t, dir, ossl, "pkey", "-in", "key.pem", "-passin", "file:pw", "-noout", "-check")
				if !encrypted {
					return
				}
				for _, passin := range []string{"pass:", "file:wrong"} {
					if r := testkit.Exec(t, dir, nil, ossl, "pkey", "-in", "key.pem", "-passin", passin, "-noout"); r.ExitCode == 0 {
						t.Errorf("openssl pkey -passin %s read the encrypted key", passin)
					}
				}
				dump := testkit.Run(t, dir, ossl, "asn1parse", "-in", "key.pem").Stdout
				for _, want := range []string{":PBES2", ":PBKDF2", ":hmacWithSHA256", ":aes-256-cbc"} {
					if !strings.Contains(dump, want) {
						t.Errorf("openssl asn1parse does not show %s:\n%s", want, dump)
					}
				}
			})
		}
	}
}

// TestOpenSSLReadsDefaultEncryption is the one interop test with 600,000 iterations.
func TestOpenSSLReadsDefaultEncryption(t *testing.T) {
	ossl, dir := opensslDir(t)
	k := testKey(t, ECP256)
	out, err := MarshalEncryptedPEM(k, []byte(testPassphrase), EncryptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "key.pem", out)
	samePublic(t, k, opensslPublicKey(t, ossl, dir, "key.pem", false))
	if dump := testkit.Run(t, dir, ossl, "asn1parse", "-in", "key.pem").Stdout; !strings.Contains(dump, "INTEGER           :0927C0") {
		t.Errorf("iteration count 600000 (0x0927C0) not in:\n%s", dump)
	}
}

// TestOpenSSLPassphraseFileCRLF: a passphrase file with Windows line endings means the same
// passphrase to openssl and to PassphraseFromFile, in both directions.
func TestOpenSSLPassphraseFileCRLF(t *testing.T) {
	ossl, dir := opensslDir(t)
	writeFile(t, dir, "pw", []byte("crlf passphrase\r\n"))
	pass, err := PassphraseFromFile(filepath.Join(dir, "pw"))
	if err != nil {
		t.Fatal(err)
	}
	k := testKey(t, Ed25519)
	out, err := MarshalEncryptedPEM(k, pass, fastEncrypt)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "ours.pem", out)
	samePublic(t, k, opensslPublicKey(t, ossl, dir, "ours.pem", false))

	testkit.Run(t, dir, ossl, "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "file:pw", "-out", "theirs.pem")
	theirs, err := ParsePrivateKey(readFile(t, dir, "theirs.pem"), pass)
	if err != nil {
		t.Fatalf("reading openssl's key with the same passphrase file: %v", err)
	}
	samePublic(t, theirs, opensslPublicKey(t, ossl, dir, "theirs.pem", false))
}

func TestWeReadOpenSSLKeys(t *testing.T) {
	genEC := []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "base.pem"}
	genRSA := []string{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "base.pem"}
	topk8 := func(extra ...string) []string {
		return append([]string{"pkcs8", "-topk8", "-in", "base.pem", "-passout", "file:pw", "-out", "key"}, extra...)
	}
	tests := []struct {
		name      string
		cmds      [][]string // openssl arguments, run in order in a directory holding "pw"; the last writes "key"
		der       bool
		encrypted bool
		want      Type  // "": the key parses but TypeOf refuses it
		wantErr   error // the key does not parse
		wantMsg   string
	}{
		{name: "genpkey EC P-256 (PKCS#8)", want: ECP256,
			cmds: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key"}}},
		{name: "genpkey EC P-384 -aes256 (PBES2)", want: ECP384, encrypted: true,
			cmds: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-aes256", "-pass", "file:pw", "-out", "key"}}},
		{name: "genpkey EC -outform DER", want: ECP256, der: true,
			cmds: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-outform", "DER", "-out", "key"}}},
		{name: "genpkey ed25519", want: Ed25519,
			cmds: [][]string{{"genpkey", "-algorithm", "ed25519", "-out", "key"}}},
		// genpkey -outform DER silently ignores -aes256 (openssl 3.0); pkcs8 -topk8 below encrypts DER.
		{name: "genpkey ed25519 -outform DER", want: Ed25519, der: true,
			cmds: [][]string{{"genpkey", "-algorithm", "ed25519", "-outform", "DER", "-out", "key"}}},
		{name: "genpkey RSA 2048", want: RSA2048,
			cmds: [][]string{{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key"}}},
		{name: "genrsa -traditional (PKCS#1)", want: RSA2048,
			cmds: [][]string{{"genrsa", "-traditional", "-out", "key", "2048"}}},
		{name: "rsa -traditional (PKCS#1)", want: RSA2048,
			cmds: [][]string{genRSA, {"rsa", "-in", "base.pem", "-traditional", "-out", "key"}}},
		{name: "rsa -traditional -outform DER", want: RSA2048, der: true,
			cmds: [][]string{genRSA, {"rsa", "-in", "base.pem", "-traditional", "-outform", "DER", "-out", "key"}}},
		{name: "rsa -traditional -aes256 (legacy PEM encryption)", want: RSA2048, encrypted: true,
			cmds: [][]string{genRSA, {"rsa", "-in", "base.pem", "-traditional", "-aes256", "-passout", "file:pw", "-out", "key"}}},
		{name: "ecparam -genkey (EC PARAMETERS then SEC1)", want: ECP256,
			cmds: [][]string{{"ecparam", "-genkey", "-name", "prime256v1", "-out", "key"}}},
		{name: "ecparam -genkey -noout (SEC1)", want: ECP384,
			cmds: [][]string{{"ecparam", "-genkey", "-name", "secp384r1", "-noout", "-out", "key"}}},
		{name: "ec -outform DER (SEC1 DER)", want: ECP256, der: true,
			cmds: [][]string{genEC, {"ec", "-in", "base.pem", "-outform", "DER", "-out", "key"}}},
		{name: "ec -aes128 (legacy PEM encryption)", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, {"ec", "-in", "base.pem", "-aes128", "-passout", "file:pw", "-out", "key"}}},
		{name: "pkcs8 -topk8 (default PBES2)", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, topk8()}},
		{name: "pkcs8 -topk8 -scrypt", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, topk8("-scrypt")}},
		{name: "pkcs8 -topk8 -v2 aes-256-cbc", want: RSA2048, encrypted: true,
			cmds: [][]string{genRSA, topk8("-v2", "aes-256-cbc")}},
		{name: "pkcs8 -topk8 -v2 aes-128-cbc -v2prf hmacWithSHA1", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, topk8("-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1")}},
		{name: "pkcs8 -topk8 -v2 aes-192-cbc -v2prf hmacWithSHA512", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, topk8("-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512")}},
		{name: "pkcs8 -topk8 -v2 des3 -v2prf hmacWithSHA384", want: ECP256, encrypted: true,
			cmds: [][]string{genEC, topk8("-v2", "des3", "-v2prf", "hmacWithSHA384")}},
		{name: "pkcs8 -topk8 -outform DER", want: ECP256, encrypted: true, der: true,
			cmds: [][]string{genEC, topk8("-outform", "DER")}},
		{name: "RSA 1024 parses, TypeOf refuses",
			cmds: [][]string{{"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "key"}}},
		{name: "P-521 parses, TypeOf refuses",
			cmds: [][]string{{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521", "-out", "key"}}},
		{name: "pkcs8 -v1 PBE-SHA1-3DES", wantErr: ErrUnsupported, wantMsg: "1.2.840.113549.1.12.1.3",
			cmds: [][]string{genEC, topk8("-v1", "PBE-SHA1-3DES")}},
		{name: "X25519", wantErr: ErrUnsupported, wantMsg: "X25519",
			cmds: [][]string{{"genpkey", "-algorithm", "X25519", "-out", "key"}}},
		{name: "Ed448", wantErr: ErrUnsupported, wantMsg: "1.3.101.113",
			cmds: [][]string{{"genpkey", "-algorithm", "ed448", "-out", "key"}}},
		{name: "RSA-PSS", wantErr: ErrUnsupported, wantMsg: "1.2.840.113549.1.1.10",
			cmds: [][]string{{"genpkey", "-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "key"}}},
		{name: "secp256k1", wantErr: ErrUnsupported, wantMsg: "1.3.132.0.10",
			cmds: [][]string{{"ecparam", "-genkey", "-name", "secp256k1", "-out", "key"}}},
		{name: "explicit curve parameters", wantErr: ErrUnsupported, wantMsg: "explicit",
			cmds: [][]string{{"ecparam", "-genkey", "-name", "prime256v1", "-param_enc", "explicit", "-out", "key"}}},
		{name: "RSA 512", wantErr: ErrUnsupported, wantMsg: "RSA 512",
			cmds: [][]string{{"genrsa", "-traditional", "-out", "key", "512"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ossl, dir := opensslDir(t)
			for _, args := range tc.cmds {
				testkit.Run(t, dir, ossl, args...)
			}
			data := readFile(t, dir, "key")
			pass, err := PassphraseFromFile(filepath.Join(dir, "pw"))
			if err != nil {
				t.Fatal(err)
			}
			k, err := ParsePrivateKey(data, pass)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
					t.Fatalf("ParsePrivateKey error = %v, want %v naming %q", err, tc.wantErr, tc.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			checkSigns(t, k)
			samePublic(t, k, opensslPublicKey(t, ossl, dir, "key", tc.der))
			typ, err := TypeOf(k.Public())
			if tc.want == "" && !errors.Is(err, ErrUnsupported) || tc.want != "" && typ != tc.want {
				t.Fatalf("TypeOf = %q, %v; want %q", typ, err, tc.want)
			}
			if !tc.encrypted {
				return
			}
			if _, err := ParsePrivateKey(data, nil); !errors.Is(err, ErrPassphraseRequired) {
				t.Errorf("no passphrase: error %v, want ErrPassphraseRequired", err)
			}
			if _, err := ParsePrivateKey(data, []byte(testPassphrase+"!")); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("wrong passphrase: error %v, want ErrWrongPassphrase", err)
			}
		})
	}
}

// TestOpenSSLSubjectKeyID compares SubjectKeyID with the identifier openssl computes for
// "subjectKeyIdentifier=hash" (also RFC 5280 method 1).
func TestOpenSSLSubjectKeyID(t *testing.T) {
	for _, typ := range []Type{ECP256, Ed25519, RSA2048} {
		t.Run(string(typ), func(t *testing.T) {
			t.Parallel()
			ossl, dir := opensslDir(t)
			k := testKey(t, typ)
			writeFile(t, dir, "key.pem", must(MarshalPEM(k)))
			writeFile(t, dir, "req.cnf", []byte("[req]\ndistinguished_name=dn\n[dn]\n"))
			testkit.Run(t, dir, ossl, "req", "-new", "-x509", "-key", "key.pem", "-subj", "/CN=ski", "-days", "1",
				"-config", "req.cnf", "-addext", "subjectKeyIdentifier=hash", "-outform", "DER", "-out", "cert.der")
			cert, err := x509.ParseCertificate(readFile(t, dir, "cert.der"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := SubjectKeyID(k.Public())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(cert.SubjectKeyId) {
				t.Fatalf("SubjectKeyID = %x, openssl says %x", got, cert.SubjectKeyId)
			}
		})
	}
}
