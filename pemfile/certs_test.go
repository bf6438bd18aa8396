package pemfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/anchorpki/anchor/pemfile"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCertificates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		cns  []string
	}{
		{"testdata/root.pem", []string{"Test Root"}},
		{"testdata/root.der", []string{"Test Root"}},
		{"testdata/bundle.pem", []string{"leaf.example", "Test Root"}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			certs, err := pemfile.ReadCertificates(tc.file)
			if err != nil {
				t.Fatalf("ReadCertificates: %v", err)
			}
			var cns []string
			for _, c := range certs {
				cns = append(cns, c.Subject.CommonName)
			}
			if strings.Join(cns, ",") != strings.Join(tc.cns, ",") {
				t.Fatalf("ReadCertificates(%s) = %q; want %q", tc.file, cns, tc.cns)
			}
			first, err := pemfile.ReadCertificate(tc.file)
			if err != nil || first.Subject.CommonName != tc.cns[0] {
				t.Fatalf("ReadCertificate(%s) = %v, %v; want %q", tc.file, first, err, tc.cns[0])
			}
		})
	}
}

func TestParseCertificatesSkipsOtherBlocks(t *testing.T) {
	t.Parallel()
	data := append(readTestdata(t, "key.pem"), readTestdata(t, "leaf.pem")...)
	blocks, err := pemfile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pemfile.ParseCertificates(blocks)
	if err != nil || len(certs) != 1 || certs[0].Subject.CommonName != "leaf.example" {
		t.Fatalf("ParseCertificates = %v, %v; want the leaf", certs, err)
	}
}

func TestTrustedCertificate(t *testing.T) {
	t.Parallel()
	// openssl x509 -trustout appends trust settings after the certificate's DER.
	der := append(readTestdata(t, "root.der"), 0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01)
	blocks, err := pemfile.Decode(pemfile.Encode("TRUSTED CERTIFICATE", der))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pemfile.ParseCertificates(blocks)
	if err != nil || certs[0].Subject.CommonName != "Test Root" {
		t.Fatalf("ParseCertificates(TRUSTED CERTIFICATE) = %v, %v", certs, err)
	}
}

func TestReadCertificateErrors(t *testing.T) {
	t.Parallel()
	root := readTestdata(t, "root.pem")
	broken := pemfile.Encode("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01})
	tests := []struct {
		name    string
		file    string // under a temp dir, or a testdata path if data is nil
		data    []byte
		wantErr error
		msg     string // with %s for the path
	}{
		{"a key", "root.pem", readTestdata(t, "key.pem"), pemfile.ErrNoCertificate, "%s: expected a certificate, found PRIVATE KEY"},
		{"der request", "testdata/req.der", nil, pemfile.ErrNoCertificate, "%s: expected a certificate, found CERTIFICATE REQUEST"},
		{"several kinds", "mixed.pem", append(readTestdata(t, "key.pem"), pemfile.Encode("X509 CRL", testCRL(t))...), pemfile.ErrNoCertificate, "%s: expected a certificate, found PRIVATE KEY, X509 CRL"},
		{"empty file", "empty.pem", []byte{}, pemfile.ErrNoCertificate, "%s: expected a certificate, found nothing"},
		{"malformed second certificate", "root.pem", append(root, broken...), nil, "%s: block 2 (CERTIFICATE): x509: malformed tbs certificate"},
		{"bad pem", "root.pem", root[:len(root)-len("-----END CERTIFICATE-----\n")], pemfile.ErrMalformedPEM, "%s: line 1: malformed PEM: no END line for the CERTIFICATE block"},
		{"text", "notes.txt", []byte("hello\n"), pemfile.ErrUnrecognized, "%s: unrecognized data: neither PEM (no -----BEGIN line) nor DER"},
		{"missing file", "missing.pem", nil, os.ErrNotExist, "open %s: no such file or directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.file
			switch {
			case tc.data != nil:
				path = writeTemp(t, tc.file, tc.data)
			case tc.wantErr == os.ErrNotExist:
				path = filepath.Join(t.TempDir(), tc.file)
			}
			for _, read := range []func(string) error{
				func(p string) error { _, err := pemfile.ReadCertificates(p); return err },
				func(p string) error { _, err := pemfile.ReadCertificate(p); return err },
			} {
				err := read(path)
				if err == nil {
					t.Fatalf("no error for %s", path)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v; want it to wrap %v", err, tc.wantErr)
				}
				if want := strings.ReplaceAll(tc.msg, "%s", path); err.Error() != want {
					t.Errorf("error:\n got %s\nwant %s", err, want)
				}
			}
		})
	}
}

func TestMalformedCertificateError(t *testing.T) {
	t.Parallel()
	data := append(readTestdata(t, "root.pem"), pemfile.Encode("CERTIFICATE", []byte{0x30, 0})...)
	blocks, err := pemfile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pemfile.ParseCertificates(blocks)
	e, ok := errors.AsType[*pemfile.Error](err)
	if !ok || e.Block != 2 || e.Type != "CERTIFICATE" || e.File != "" {
		t.Fatalf("ParseCertificates error = %#v; want *Error for block 2", err)
	}
	if !strings.HasPrefix(err.Error(), "pemfile: block 2 (CERTIFICATE): x509: ") {
		t.Errorf("error %q", err)
	}
}

func TestParseCRLs(t *testing.T) {
	t.Parallel()
	crl := testCRL(t)
	blocks, err := pemfile.Decode(append(readTestdata(t, "root.pem"), pemfile.Encode("X509 CRL", crl)...))
	if err != nil {
		t.Fatal(err)
	}
	crls, err := pemfile.ParseCRLs(blocks)
	if err != nil || len(crls) != 1 || crls[0].Number.Int64() != 7 || len(crls[0].RevokedCertificateEntries) != 1 {
		t.Fatalf("ParseCRLs = %v, %v", crls, err)
	}
	if _, err := pemfile.ParseCRLs(blocks[:1]); !errors.Is(err, pemfile.ErrNoCRL) || err.Error() != "pemfile: expected a CRL, found CERTIFICATE" {
		t.Errorf("ParseCRLs(certificate only) = %v; want ErrNoCRL", err)
	}
	bad, err := pemfile.Decode(pemfile.Encode("X509 CRL", crl[:len(crl)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pemfile.ParseCRLs(bad); err == nil || !strings.HasPrefix(err.Error(), "pemfile: block 1 (X509 CRL): x509: ") {
		t.Errorf("ParseCRLs(truncated) = %v", err)
	}
}
