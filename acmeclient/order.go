package acmeclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"

	"github.com/go-jose/go-jose/v4"
	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// newOrder creates the order for domains. x/crypto/acme cannot send "replaces" (RFC 9773 §5),
// so when renewing a certificate at a server with renewalInfo this package signs that one
// request itself; if the server refuses the replacement (already replaced, another account's
// certificate), the order is placed again without it, since a new certificate matters more.
func (c *Client) newOrder(ctx context.Context, cl *xacme.Client, hc *http.Client, dir *acme.Directory, domains []string, replaces string) (*xacme.Order, error) {
	if replaces != "" && dir.RenewalInfo != "" {
		o, err := c.newOrderReplacing(ctx, cl, hc, dir, domains, replaces)
		if err == nil {
			return o, nil
		}
		if _, ok := errors.AsType[*ProblemError](err); !ok {
			return nil, err
		}
		c.log.WarnContext(ctx, "acme: order replacing the old certificate refused; ordering without replaces",
			slog.String("replaces", replaces), slog.String("error", err.Error()))
	}
	var ids []xacme.AuthzID
	for _, d := range domains {
		if net.ParseIP(d) != nil {
			ids = append(ids, xacme.IPIDs(d)...)
		} else {
			ids = append(ids, xacme.DomainIDs(d)...)
		}
	}
	return cl.AuthorizeOrder(ctx, ids)
}

func (c *Client) newOrderReplacing(ctx context.Context, cl *xacme.Client, hc *http.Client, dir *acme.Directory, domains []string, replaces string) (*xacme.Order, error) {
	req := acme.NewOrderRequest{Replaces: replaces}
	for _, d := range domains {
		id, err := acme.IdentifierFor(d)
		if err != nil {
			return nil, err
		}
		req.Identifiers = append(req.Identifiers, id)
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	nonce, err := fetchNonce(ctx, hc, dir.NewNonce)
	if err != nil {
		return nil, err
	}
	// RFC 8555 §6.5: a badNonce answer carries a fresh nonce; retry once with it.
	for attempt := 0; ; attempt++ {
		resp, body, err := postJWS(ctx, hc, cl.Key, string(cl.KID), dir.NewOrder, nonce, payload)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusCreated {
			loc := resp.Header.Get("Location")
			if loc == "" {
				return nil, errors.New("newOrder answered without a Location")
			}
			return cl.GetOrder(ctx, loc)
		}
		var p acme.Problem
		if json.Unmarshal(body, &p) != nil || p.Type == "" {
			return nil, fmt.Errorf("newOrder: %s", resp.Status)
		}
		if p.Type == acme.ProblemBadNonce && attempt == 0 && resp.Header.Get("Replay-Nonce") != "" {
			nonce = resp.Header.Get("Replay-Nonce")
			continue
		}
		return nil, &ProblemError{Problem: &p}
	}
}

func fetchNonce(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("newNonce: %w", err)
	}
	resp.Body.Close()
	n := resp.Header.Get("Replay-Nonce")
	if n == "" {
		return "", errors.New("newNonce: no Replay-Nonce")
	}
	return n, nil
}

// postJWS sends payload to url as a flattened JWS signed by the account key (RFC 8555 §6.2).
func postJWS(ctx context.Context, hc *http.Client, key crypto.Signer, kid, url, nonce string, payload []byte) (*http.Response, []byte, error) {
	alg, err := jwsAlgorithm(key)
	if err != nil {
		return nil, nil, err
	}
	opts := (&jose.SignerOptions{}).WithHeader("url", url).WithHeader("nonce", nonce).WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, nil, err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader([]byte(jws.FullSerialize())))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/jose+json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, body, err
}

func jwsAlgorithm(key crypto.Signer) (jose.SignatureAlgorithm, error) {
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
	}
	return "", errors.New("account key: only RSA and ECDSA keys can sign ACME requests")
}
