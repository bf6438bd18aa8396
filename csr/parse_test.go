package csr_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/names"
)

// ourCSR returns a fresh DER request for CN=parse.example from the P-256 test key.
func ourCSR(t testing.TB) []byte {
	t.Helper()
	subject, err := names.ParseSubject("CN=parse.example")
	if err != nil {
		t.Fatal(err)
	}
	der, err := csr.Create(csr.Request{Key: testKeys()["p256"], Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// selfSigned returns a DER certificate, to be handed to Parse by mistake.
func selfSigned(t testing.TB) []byte {
	t.Helper()
	key := testKeys()["p256"].(*ecdsa.PrivateKey)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "not a request"},
		NotBefore:    time.Now(),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	der := ourCSR(t)
	tests := []struct {
		name string
		in   []byte
	}{
		{"der", der},
		{"pem", pemOf("CERTIFICATE REQUEST", der)},
		{"legacy pem label", pemOf("NEW CERTIFICATE REQUEST", der)},
		{"pem with text around", append(append([]byte("Certificate Request:\n    Data: ...\n"), pemOf("CERTIFICATE REQUEST", der)...), "trailing notes\n"...)},
		{"pem after a key block", append(pemOf("PRIVATE KEY", []byte{1, 2, 3}), pemOf("CERTIFICATE REQUEST", der)...)},
		{"crlf pem", bytes.ReplaceAll(pemOf("CERTIFICATE REQUEST", der), []byte("\n"), []byte("\r\n"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := csr.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if req.Subject.CommonName != "parse.example" {
				t.Fatalf("CN %q", req.Subject.CommonName)
			}
		})
	}
}

func TestParseOpenSSLFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		cn      string
		dns     []string
		sigAlgo x509.SignatureAlgorithm
	}{
		{"testdata/openssl-rsa.csr", "rsa.example", []string{"rsa.example"}, x509.SHA256WithRSA},
		{"testdata/openssl-ec.der", "ec.example", []string{"ec.example"}, x509.ECDSAWithSHA256},
		{"testdata/openssl-ed25519.csr", "ed.example", []string{"ed.example", "*.ed.example"}, x509.PureEd25519},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			req, err := csr.Parse(data)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.file, err)
			}
			if req.Subject.CommonName != tc.cn || strings.Join(req.DNSNames, ",") != strings.Join(tc.dns, ",") || req.SignatureAlgorithm != tc.sigAlgo {
				t.Fatalf("Parse(%s) = CN %q, DNS %q, %v; want %q, %q, %v", tc.file, req.Subject.CommonName, req.DNSNames, req.SignatureAlgorithm, tc.cn, tc.dns, tc.sigAlgo)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	der := ourCSR(t)
	flipped := bytes.Clone(der)
	flipped[len(flipped)-1] ^= 0x01 // last byte of the signature BIT STRING
	// Change the subject without re-signing: "parse.example" → "parse.exampme".
	tampered := bytes.Replace(der, []byte("parse.example"), []byte("parse.exampme"), 1)
	cert := selfSigned(t)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		msg     string // a substring of the message
	}{
		{"flipped signature byte", flipped, csr.ErrBadSignature, "csr: signature does not verify: x509: ECDSA verification failure"},
		{"tampered subject", tampered, csr.ErrBadSignature, "csr: signature does not verify"},
		{"flipped signature in pem", pemOf("CERTIFICATE REQUEST", flipped), csr.ErrBadSignature, "ECDSA verification failure"},
		{"der certificate", cert, csr.ErrMalformed, "csr: malformed certificate request: this is a certificate, not a certificate request"},
		{"pem certificate", pemOf("CERTIFICATE", cert), csr.ErrMalformed, "csr: malformed certificate request: found a PEM CERTIFICATE block, not a CERTIFICATE REQUEST"},
		{"empty", nil, csr.ErrMalformed, "csr: malformed certificate request: empty input"},
		{"whitespace", []byte(" \n"), csr.ErrMalformed, "empty input"},
		{"garbage", []byte("hello"), csr.ErrMalformed, "csr: malformed certificate request: not DER: does not start with a SEQUENCE (first byte 0x68)"},
		{"truncated der", der[:len(der)-10], csr.ErrMalformed, "csr: malformed certificate request: not DER (asn1: syntax error: data truncated)"},
		{"trailing data", append(bytes.Clone(der), 0), csr.ErrMalformed, "csr: malformed certificate request: trailing data after the request (1 bytes)"},
		{"wrong structure", []byte{0x30, 0x03, 0x02, 0x01, 0x00}, csr.ErrMalformed, "csr: malformed certificate request: not a PKCS#10 CertificationRequest (RFC 2986 §4.2): asn1: structure error: tags don't match"},
		{"two requests", append(pemOf("CERTIFICATE REQUEST", der), pemOf("CERTIFICATE REQUEST", der)...), csr.ErrMalformed, "2 certificate requests in one input; expected one"},
		{"broken pem", []byte("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n"), csr.ErrMalformed, "csr: malformed certificate request: pemfile: line 2: malformed PEM: bad base64 in the CERTIFICATE REQUEST block begun on line 1"},
		{"pem with garbage body", pemOf("CERTIFICATE REQUEST", []byte("not asn1")), csr.ErrMalformed, "csr: malformed certificate request: not DER: does not start with a SEQUENCE (first byte 0x6e)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := csr.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse = %v; want an error", req.Subject)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("Parse error %v; want it to wrap %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Parse error %q; want it to contain %q", err, tc.msg)
			}
			if errors.Is(err, csr.ErrMalformed) && errors.Is(err, csr.ErrBadSignature) {
				t.Errorf("Parse error %v wraps both sentinels", err)
			}
		})
	}
}

// FuzzParse: no input may panic, and every error wraps exactly one sentinel.
func FuzzParse(f *testing.F) {
	der := ourCSR(f)
	f.Add(der)
	f.Add(pemOf("CERTIFICATE REQUEST", der))
	f.Add(pemOf("NEW CERTIFICATE REQUEST", der))
	f.Add(selfSigned(f))
	for _, file := range []string{"testdata/openssl-rsa.csr", "testdata/openssl-ec.der", "testdata/openssl-ed25519.csr"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := csr.Parse(data)
		if err != nil {
			if errors.Is(err, csr.ErrMalformed) == errors.Is(err, csr.ErrBadSignature) {
				t.Fatalf("Parse error %v wraps neither or both sentinels", err)
			}
			return
		}
		if err := req.CheckSignature(); err != nil {
			t.Fatalf("Parse accepted a request whose signature fails: %v", err)
		}
	})
}
