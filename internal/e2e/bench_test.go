package e2e

// `make bench`: end-to-end figures, each beside a baseline measured in the same run, because
// the machine is shared and absolute numbers mean little.
//
//	BenchmarkSignRaw            one ECDSA P-256 signature per op, all cores: the physical limit
//	BenchmarkCreateCertificate  x509.CreateCertificate of a typical leaf, all cores
//	BenchmarkRESTIssue          POST /api/v1/certificates to a running `anchor serve`, concurrent clients
//	BenchmarkCSRCheck           what the server does first with each request's CSR: parse it and
//	                            verify its signature (csr.Parse)
//	BenchmarkLint               the pre-issuance lints of one leaf (lint.Linter.Lint, zlint)
//	BenchmarkOCSP               POST /ocsp to the same server
//	BenchmarkTrivialHandler     a Go HTTP server in its own process returning a body of the OCSP
//	                            response's size: the same load generator's ceiling
//
// Throughput is 1/ns-per-op for each; the Makefile prints the ratios, and the floor: the
// issuance rate that CSR verification, the lints and one signature alone would allow, with
// HTTP, authentication and the durable record free.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/internal/testkit"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/lint"
	"github.com/anchorpki/anchor/pemfile"
)

const parallelism = 32 // concurrent clients per core: a CA server batches their durable records

// benchEnv is one server shared by every benchmark of the run.
type benchEnv struct {
	srv     *server
	client  *http.Client
	token   string
	csr     []byte
	leafDER []byte
	ocspReq []byte
	ocspLen int
	inter   *x509.Certificate
	interK  crypto.Signer
	trivial string
	stop    func()
}

var (
	envOnce sync.Once
	env     *benchEnv
)

func setup(b *testing.B) *benchEnv {
	envOnce.Do(func() {
		data, err := os.MkdirTemp("", "anchor-bench-")
		if err != nil {
			b.Fatal(err)
		}
		s := newServer(b, filepath.Join(data, "anchor-data"))
		s.start()
		e := &benchEnv{srv: s, client: s.client(), csr: csrPEM(b, "bench.svc.internal")}
		e.token = trimNL(s.anchor("token", "create", "--name", "bench", "--scope", "issue"))
		got, _, err := issue(context.Background(), e.client, "https://"+s.https, e.token, e.csr)
		if err != nil {
			b.Fatal(err)
		}
		leaf := mustCert(b, []byte(got.Certificate))
		e.leafDER = leaf.Raw
		e.inter = mustCert(b, readFile(b, filepath.Join(s.data, "ca", "intermediate.pem")))
		keyPEM := readFile(b, filepath.Join(s.data, "ca", "intermediate.key"))
		if e.interK, err = keys.ParsePrivateKey(keyPEM, nil); err != nil {
			b.Fatal(err)
		}
		if e.ocspReq, err = ocsp.CreateRequest(leaf, e.inter, nil); err != nil {
			b.Fatal(err)
		}
		resp := e.postOCSP(b, "http://"+s.web+"/ocsp")
		e.ocspLen = len(resp)
		e.trivial, e.stop = startTrivial(b, e.ocspLen)
		env = e
	})
	if env == nil {
		b.Fatal("benchmark setup failed")
	}
	return env
}

func (e *benchEnv) postOCSP(b *testing.B, url string) []byte {
	resp, err := e.client.Post(url, "application/ocsp-request", bytes.NewReader(e.ocspReq))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("OCSP: HTTP %d %v", resp.StatusCode, err)
	}
	return body
}

// parallel runs op on every core, parallelism callers per core, until the benchmark ends or
// op fails.
func parallel(b *testing.B, op func() error) {
	b.ResetTimer()
	b.SetParallelism(parallelism)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkSignRaw(b *testing.B) {
	e := setup(b)
	digest := sha256.Sum256([]byte("tbs"))
	parallel(b, func() error {
		_, err := e.interK.Sign(rand.Reader, digest[:], crypto.SHA256)
		return err
	})
}

func BenchmarkCreateCertificate(b *testing.B) {
	e := setup(b)
	leafKey, _ := keys.Generate(keys.ECP256, nil)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench.svc.internal"},
		DNSNames: []string{"bench.svc.internal"}, NotBefore: time.Now(), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, OCSPServer: []string{"http://127.0.0.1:8080/ocsp"},
		CRLDistributionPoints: []string{"http://127.0.0.1:8080/crl/intermediate.crl"},
	}
	key := e.interK.(*ecdsa.PrivateKey)
	parallel(b, func() error {
		_, err := x509.CreateCertificate(rand.Reader, tmpl, e.inter, leafKey.Public(), key)
		return err
	})
}

func BenchmarkRESTIssue(b *testing.B) {
	e := setup(b)
	base := "https://" + e.srv.https
	parallel(b, func() error {
		_, _, err := issue(context.Background(), e.client, base, e.token, e.csr)
		return err
	})
}

func BenchmarkCSRCheck(b *testing.B) {
	e := setup(b)
	parallel(b, func() error {
		_, err := csr.Parse(e.csr)
		return err
	})
}

func BenchmarkLint(b *testing.B) {
	e := setup(b)
	l, err := lint.New(lint.Options{})
	if err != nil {
		b.Fatal(err)
	}
	parallel(b, func() error { return l.Lint(e.leafDER) })
}

func BenchmarkOCSP(b *testing.B) { benchPost(b, "http://"+setup(b).srv.web+"/ocsp") }

func BenchmarkTrivialHandler(b *testing.B) { benchPost(b, "http://"+setup(b).trivial+"/") }

// benchPost is the load generator shared by the OCSP server and its baseline.
func benchPost(b *testing.B, url string) {
	e := setup(b)
	parallel(b, func() error {
		resp, err := e.client.Post(url, "application/ocsp-request", bytes.NewReader(e.ocspReq))
		if err != nil {
			return err
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || int(n) != e.ocspLen {
			return fmt.Errorf("HTTP %d, %d bytes; want 200 and %d", resp.StatusCode, n, e.ocspLen)
		}
		return nil
	})
}

// startTrivial runs this test binary as the baseline server in a process of its own.
func startTrivial(b *testing.B, size int) (string, func()) {
	addr := testkit.FreeAddr(b)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), trivialEnv+"="+addr+"|"+strconv.Itoa(size))
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 200 {
			cmd.Process.Kill()
			b.Fatal("baseline server did not start")
		}
		time.Sleep(25 * time.Millisecond)
	}
	return addr, func() { cmd.Process.Kill(); cmd.Wait() }
}

func serveTrivial(spec string) {
	addr, sizeText, _ := strings.Cut(spec, "|")
	size, err := strconv.Atoi(sizeText)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad", trivialEnv, spec)
		os.Exit(2)
	}
	body := bytes.Repeat([]byte{0x30}, size)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(body)
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(addr, h))
	os.Exit(1)
}

func mustCert(b testing.TB, pemData []byte) *x509.Certificate {
	blocks, err := pemfile.Decode(pemData)
	if err != nil {
		b.Fatal(err)
	}
	certs, err := pemfile.ParseCertificates(blocks)
	if err != nil || len(certs) == 0 {
		b.Fatalf("no certificate: %v", err)
	}
	return certs[0]
}

func readFile(b testing.TB, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}
