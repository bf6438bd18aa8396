package pemfile_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/pemfile"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCRL builds a DER CRL: openssl ca -gencrl needs a whole CA directory for one file.
func testCRL(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issuer := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "CRL issuer"},
		NotBefore:             now,
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCRLSign | x509.KeyUsageCertSign,
		SubjectKeyId:          []byte{1, 2, 3, 4},
	}
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(7),
		ThisUpdate:                now,
		NextUpdate:                now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: big.NewInt(42), RevocationTime: now}},
	}, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestDecodeDER(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"openssl certificate", readTestdata(t, "root.der"), "CERTIFICATE"},
		{"openssl request", readTestdata(t, "req.der"), "CERTIFICATE REQUEST"},
		{"crl", testCRL(t), "X509 CRL"},
		{"openssl pkcs8 key", readTestdata(t, "pkcs8.der"), "PRIVATE KEY"},
		{"openssl pkcs1 rsa key", readTestdata(t, "rsa.der"), "RSA PRIVATE KEY"},
		{"openssl sec1 ec key", readTestdata(t, "ec.der"), "EC PRIVATE KEY"},
		{"openssl encrypted pkcs8", readTestdata(t, "encrypted.der"), "ENCRYPTED PRIVATE KEY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blocks, err := pemfile.Decode(tc.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(blocks) != 1 || blocks[0].Type != tc.want || blocks[0].Index != 1 || !bytes.Equal(blocks[0].Bytes, tc.data) {
				t.Fatalf("Decode = %v; want one %s block holding the input", blocks, tc.want)
			}
		})
	}
}

func TestDecodePEM(t *testing.T) {
	t.Parallel()
	root := readTestdata(t, "root.pem")
	rootDER := readTestdata(t, "root.der")
	encryptedLegacy := "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,\n 00112233445566778899AABBCCDDEEFF\n\nAAEC\n-----END RSA PRIVATE KEY-----\n"
	tests := []struct {
		name    string
		data    []byte
		types   []string
		lines   []int
		headers map[string]string // of the first block
	}{
		{"openssl bundle with -text output", readTestdata(t, "bundle.pem"), []string{"CERTIFICATE", "CERTIFICATE"}, nil, nil},
		{"one certificate", root, []string{"CERTIFICATE"}, []int{1}, nil},
		{"key and certificate", append(readTestdata(t, "key.pem"), root...), []string{"PRIVATE KEY", "CERTIFICATE"}, []int{1, 6}, nil},
		{"crlf", bytes.ReplaceAll(root, []byte("\n"), []byte("\r\n")), []string{"CERTIFICATE"}, nil, nil},
		{"indented", []byte("  " + strings.ReplaceAll(string(root), "\n", "\n  ")), []string{"CERTIFICATE"}, nil, nil},
		{"trailing spaces", bytes.ReplaceAll(root, []byte("\n"), []byte(" \t\n")), []string{"CERTIFICATE"}, nil, nil},
		{"no final newline", bytes.TrimRight(root, "\n"), []string{"CERTIFICATE"}, nil, nil},
		{"blank lines in body", bytes.Replace(root, []byte("\n"), []byte("\n\n"), 3), []string{"CERTIFICATE"}, nil, nil},
		{"legacy encrypted key headers", []byte(encryptedLegacy), []string{"RSA PRIVATE KEY"}, []int{1},
			map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"}},
		{"der of a pem", pemfile.Encode("X509 CRL", []byte{0x30, 0}), []string{"X509 CRL"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blocks, err := pemfile.Decode(tc.data)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(blocks) != len(tc.types) {
				t.Fatalf("Decode = %v; want %d blocks", blocks, len(tc.types))
			}
			for i, b := range blocks {
				if b.Type != tc.types[i] || b.Index != i+1 {
					t.Errorf("block %d = %v; want type %s index %d", i, b, tc.types[i], i+1)
				}
				if tc.lines != nil && b.Line != tc.lines[i] {
					t.Errorf("block %d begins on line %d; want %d", i+1, b.Line, tc.lines[i])
				}
			}
			if tc.types[len(tc.types)-1] == "CERTIFICATE" && !bytes.Equal(blocks[len(blocks)-1].Bytes, rootDER) {
				t.Errorf("the last certificate is not the root")
			}
			if tc.headers != nil {
				for k, v := range tc.headers {
					if blocks[0].Headers[k] != v {
						t.Errorf("header %s = %q; want %q (all: %q)", k, blocks[0].Headers[k], v, blocks[0].Headers)
					}
				}
			}
		})
	}
}

func TestDecodeEmpty(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "\n", " \r\n\t"} {
		blocks, err := pemfile.Decode([]byte(in))
		if err != nil || len(blocks) != 0 {
			t.Errorf("Decode(%q) = %v, %v; want no blocks, no error", in, blocks, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	root := string(readTestdata(t, "root.pem"))
	lines := strings.SplitAfter(root, "\n")
	corruptLine3 := strings.Join(lines[:2], "") + "!!!!" + lines[2][4:] + strings.Join(lines[3:], "")
	tests := []struct {
		name    string
		in      string
		wantErr error
		msg     string
	}{
		{"text only", "hello, world\n", pemfile.ErrUnrecognized, "pemfile: unrecognized data: neither PEM (no -----BEGIN line) nor DER"},
		{"unknown der", "\x30\x03\x02\x01\x05", pemfile.ErrUnrecognized, "pemfile: unrecognized data: DER, but not a certificate, certificate request, CRL or private key"},
		{"truncated der", root[:0] + "\x30\x10\x02\x01", pemfile.ErrUnrecognized, "pemfile: unrecognized data: neither PEM (no -----BEGIN line) nor DER"},
		{"bad base64", corruptLine3, pemfile.ErrMalformedPEM, "pemfile: line 3: malformed PEM: bad base64 in the CERTIFICATE block begun on line 1"},
		{"missing end", strings.Join(lines[:len(lines)-2], ""), pemfile.ErrMalformedPEM, "pemfile: line 1: malformed PEM: no END line for the CERTIFICATE block"},
		{"mismatched end", strings.Replace(root, "-----END CERTIFICATE-----", "-----END X509 CRL-----", 1), pemfile.ErrMalformedPEM,
			`pemfile: line ` + itoa(len(lines)-1) + `: malformed PEM: END line "-----END X509 CRL-----" does not match BEGIN CERTIFICATE on line 1`},
		{"begin inside block", strings.Join(lines[:3], "") + root, pemfile.ErrMalformedPEM, "pemfile: line 4: malformed PEM: BEGIN line inside the CERTIFICATE block begun on line 1 (its END line is missing)"},
		{"orphan end", "text\n-----END CERTIFICATE-----\n" + root, pemfile.ErrMalformedPEM, `pemfile: line 2: malformed PEM: END line "-----END CERTIFICATE-----" without a BEGIN line`},
		{"bad begin line", "-----BEGIN CERTIFICATE\nAAAA\n-----END CERTIFICATE-----\n", pemfile.ErrMalformedPEM, `pemfile: line 1: malformed PEM: bad BEGIN line "-----BEGIN CERTIFICATE" (want -----BEGIN LABEL-----)`},
		{"empty label", "-----BEGIN -----\nAAAA\n-----END -----\n", pemfile.ErrMalformedPEM, `pemfile: line 1: malformed PEM: bad BEGIN line "-----BEGIN -----" (want -----BEGIN LABEL-----)`},
		{"empty block", "x\n-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", pemfile.ErrMalformedPEM, "pemfile: line 2: malformed PEM: the CERTIFICATE block is empty"},
		{"second block broken", root + "\n-----BEGIN CERTIFICATE-----\nAA=A\n-----END CERTIFICATE-----\n", pemfile.ErrMalformedPEM,
			"pemfile: line " + itoa(len(lines)+2) + ": malformed PEM: bad base64 in the CERTIFICATE block begun on line " + itoa(len(lines)+1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			blocks, err := pemfile.Decode([]byte(tc.in))
			if err == nil {
				t.Fatalf("Decode = %v; want an error", blocks)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Decode error %v; want it to wrap %v", err, tc.wantErr)
			}
			if _, ok := errors.AsType[*pemfile.Error](err); !ok {
				t.Errorf("Decode error %v is not a *pemfile.Error", err)
			}
			if err.Error() != tc.msg {
				t.Errorf("Decode error:\n got %s\nwant %s", err, tc.msg)
			}
		})
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	der := readTestdata(t, "root.der")
	pemBytes := pemfile.Encode("CERTIFICATE", der)
	if !bytes.Equal(pemBytes, readTestdata(t, "root.pem")) {
		t.Errorf("Encode differs from openssl's PEM:\n%s", pemBytes)
	}
	blocks, err := pemfile.Decode(pemBytes)
	if err != nil || len(blocks) != 1 || !bytes.Equal(blocks[0].Bytes, der) {
		t.Fatalf("Decode(Encode) = %v, %v", blocks, err)
	}
}

// FuzzDecode: no input panics; every error is a *pemfile.Error wrapping one sentinel; every PEM
// block survives Encode and Decode.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"root.pem", "root.der", "bundle.pem", "key.pem", "req.der", "pkcs8.der", "rsa.der", "ec.der", "encrypted.der"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(testCRL(f))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte("-----BEGIN X-----\n-----END X-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, err := pemfile.Decode(data)
		if err != nil {
			e, ok := errors.AsType[*pemfile.Error](err)
			if !ok {
				t.Fatalf("Decode error %v is not a *pemfile.Error", err)
			}
			if !errors.Is(e, pemfile.ErrMalformedPEM) && !errors.Is(e, pemfile.ErrUnrecognized) {
				t.Fatalf("Decode error %v wraps no sentinel", err)
			}
			return
		}
		for i, b := range blocks {
			if b.Index != i+1 {
				t.Fatalf("block %d has Index %d", i+1, b.Index)
			}
			if b.Line == 0 {
				continue // DER
			}
			again, err := pemfile.Decode(pemfile.Encode(b.Type, b.Bytes))
			if err != nil || len(again) != 1 || again[0].Type != b.Type || !bytes.Equal(again[0].Bytes, b.Bytes) {
				t.Fatalf("block %v does not survive Encode/Decode: %v, %v", b, again, err)
			}
		}
		_, _ = pemfile.ParseCertificates(blocks)
		_, _ = pemfile.ParseCRLs(blocks)
	})
}

// FuzzParseCertificatesAndCRLs: what `anchor verify`, `revoke --cert` and `ocsp check` read
// from untrusted files — certificates and CRLs in PEM or DER — never panics, and every error
// is a *pemfile.Error naming the block.
func FuzzParseCertificatesAndCRLs(f *testing.F) {
	for _, name := range []string{"root.pem", "root.der", "bundle.pem"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(testCRL(f))
	f.Add(pemfile.Encode("X509 CRL", testCRL(f)))
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, err := pemfile.Decode(data)
		if err != nil {
			return
		}
		for _, parse := range []func([]pemfile.Block) error{
			func(b []pemfile.Block) error { _, err := pemfile.ParseCertificates(b); return err },
			func(b []pemfile.Block) error { _, err := pemfile.ParseCRLs(b); return err },
		} {
			if err := parse(blocks); err != nil {
				if _, ok := errors.AsType[*pemfile.Error](err); !ok {
					t.Fatalf("error %v is not a *pemfile.Error", err)
				}
			}
		}
	})
}
