package acmeserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/store"
)

// nonces mints and checks anti-replay nonces (RFC 8555 §6.5). A nonce is its issue time, 12
// random bytes and a truncated HMAC-SHA256 of both under a secret kept in the store, so any
// process sharing the store can check a nonce without a write when minting it; only spending
// one is a write, which the store makes single-use across processes.
type nonces struct {
	store    Store
	lifetime time.Duration
	now      func() time.Time

	key atomic.Pointer[[]byte] // loaded once; every request reads it
	mu  sync.Mutex             // serialises the first load
}

const (
	nonceTimeLen = 8
	nonceRandLen = 12
	nonceMACLen  = 16
	nonceLen     = nonceTimeLen + nonceRandLen + nonceMACLen
	// nonceSkew tolerates clocks of processes sharing the store that disagree a little.
	nonceSkew = time.Minute
)

func (n *nonces) secret(ctx context.Context) ([]byte, error) {
	if k := n.key.Load(); k != nil {
		return *k, nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if k := n.key.Load(); k != nil {
		return *k, nil
	}
	k, err := n.store.ACMESecret(ctx, "nonce-hmac-sha256", func() ([]byte, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	if len(k) < 32 {
		return nil, errors.New("acmeserver: the stored nonce secret is too short")
	}
	n.key.Store(&k)
	return k, nil
}

func (n *nonces) issue(ctx context.Context) (string, error) {
	key, err := n.secret(ctx)
	if err != nil {
		return "", err
	}
	b := make([]byte, nonceLen)
	binary.BigEndian.PutUint64(b, uint64(n.now().Unix()))
	rand.Read(b[nonceTimeLen : nonceTimeLen+nonceRandLen])
	copy(b[nonceTimeLen+nonceRandLen:], mac(key, b[:nonceTimeLen+nonceRandLen]))
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// spend checks a nonce from a JWS header and uses it up. Every refusal is badNonce; a store
// that cannot be reached is the server's fault and is not.
func (n *nonces) spend(ctx context.Context, nonce string) error {
	if nonce == "" {
		return acme.BadNonce("the JWS protected header has no nonce; get one from newNonce")
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen {
		return acme.BadNonce("the nonce is not one this server issued")
	}
	key, err := n.secret(ctx)
	if err != nil {
		return err
	}
	if !hmac.Equal(b[nonceTimeLen+nonceRandLen:], mac(key, b[:nonceTimeLen+nonceRandLen])) {
		return acme.BadNonce("the nonce is not one this server issued")
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b)), 0)
	now := n.now()
	if issued.After(now.Add(nonceSkew)) || now.Sub(issued) > n.lifetime {
		return acme.BadNonce(fmt.Sprintf("the nonce expired (nonces live %s); use the one in this response", n.lifetime))
	}
	err = n.store.SpendNonce(ctx, nonce, issued.Add(n.lifetime+nonceSkew))
	if errors.Is(err, store.ErrNonceSpent) {
		return acme.BadNonce("the nonce was used before; use the one in this response")
	}
	return err
}

func mac(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)[:nonceMACLen]
}
