package verify

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"

	"golang.org/x/crypto/ocsp"
)

const maxFetch = 16 << 20 // CRLs of large CAs run to megabytes; OCSP responses are small

// revocationCache keeps what one Verify call fetched, so each URL is asked once however many
// candidate paths share the certificate.
type revocationCache struct {
	crls map[string]crlFetch
	ocsp map[[2]*certInfo]ocspAnswer
}

type crlFetch struct {
	crl *x509.RevocationList
	err error
}

type ocspAnswer struct {
	resp *ocsp.Response
	url  string
	err  error
}

func newRevocationCache() *revocationCache {
	return &revocationCache{crls: map[string]crlFetch{}, ocsp: map[[2]*certInfo]ocspAnswer{}}
}

// fetchCRL downloads and parses the CRL at an http:// distribution point.
func (v *verifier) fetchCRL(url string) (*x509.RevocationList, error) {
	if f, ok := v.rev.crls[url]; ok {
		return f.crl, f.err
	}
	crl, err := func() (*x509.RevocationList, error) {
		body, err := v.httpDo(http.MethodGet, url, "", nil)
		if err != nil {
			return nil, err
		}
		if b, _ := pem.Decode(body); b != nil && b.Type == "X509 CRL" {
			body = b.Bytes
		}
		crl, err := x509.ParseRevocationList(body)
		if err != nil {
			return nil, fmt.Errorf("CRL at %s: %w", url, err)
		}
		if err := crlMalformed(crl); err != nil {
			return nil, fmt.Errorf("CRL at %s is malformed: %w", url, err)
		}
		return crl, nil
	}()
	v.rev.crls[url] = crlFetch{crl, err}
	return crl, err
}

func (v *verifier) httpDo(method, url, contentType string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(v.ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := v.cfg.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: HTTP status %s", method, url, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxFetch+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading body: %w", method, url, err)
	}
	if len(data) > maxFetch {
		return nil, fmt.Errorf("%s %s: response larger than %d bytes", method, url, maxFetch)
	}
	return data, nil
}
