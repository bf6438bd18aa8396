package server

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// keyCheckTTL is how long a CA key check stands: a burst of health probes must not become a
// burst of signatures (on an HSM, a queue of them).
const keyCheckTTL = 10 * time.Second

type pinger interface {
	Ping(ctx context.Context) error
}

// health answers /healthz: can the server do its job right now? That is, does the inventory
// answer, and does the intermediate key still sign what its certificate verifies.
type health struct {
	db     pinger
	signer crypto.Signer
	pub    crypto.PublicKey // the intermediate certificate's, not the signer's own idea of it
	now    func() time.Time
	log    *slog.Logger

	mu        sync.Mutex
	checkedAt time.Time
	keyErr    error
}

func newHealth(db pinger, signer crypto.Signer, pub crypto.PublicKey, now func() time.Time, log *slog.Logger) *health {
	return &health{db: db, signer: signer, pub: pub, now: now, log: log}
}

type healthReport struct {
	Status string            `json:"status"` // ok or error
	Checks map[string]string `json:"checks"` // check name → ok or error
}

func (h *health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	rep := healthReport{Status: "ok", Checks: map[string]string{}}
	for name, err := range map[string]error{"store": h.db.Ping(ctx), "ca_key": h.caKey()} {
		rep.Checks[name] = "ok"
		if err != nil {
			// The cause goes to the log only: /healthz is public on the plain-HTTP listener.
			rep.Status, rep.Checks[name] = "error", "error"
			h.log.Warn("health check failed", slog.String("check", name), slog.String("error", err.Error()))
		}
	}
	code := http.StatusOK
	if rep.Status != "ok" {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rep)
}

// caKey signs a random message with the intermediate key and verifies the signature against the
// intermediate certificate, at most once per keyCheckTTL. The message is random and prefixed,
// so the signature can never stand for a certificate, a CRL or an OCSP response.
func (h *health) caKey() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.now(); !h.checkedAt.IsZero() && now.Sub(h.checkedAt) < keyCheckTTL && now.After(h.checkedAt) {
		return h.keyErr
	}
	h.keyErr = h.signAndVerify()
	h.checkedAt = h.now()
	return h.keyErr
}

func (h *health) signAndVerify() error {
	msg := make([]byte, 0, 64)
	msg = append(msg, "anchor health check\x00"...)
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	msg = append(msg, nonce...)
	if pub, ok := h.pub.(ed25519.PublicKey); ok {
		sig, err := h.signer.Sign(rand.Reader, msg, crypto.Hash(0))
		if err != nil {
			return fmt.Errorf("signing: %w", err)
		}
		if !ed25519.Verify(pub, msg, sig) {
			return errors.New("the intermediate key's signature does not verify with the intermediate certificate")
		}
		return nil
	}
	digest := sha256.Sum256(msg)
	sig, err := h.signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	var ok bool
	switch pub := h.pub.(type) {
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(pub, digest[:], sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	default:
		return fmt.Errorf("unsupported CA key type %T", h.pub)
	}
	if !ok {
		return errors.New("the intermediate key's signature does not verify with the intermediate certificate")
	}
	return nil
}
