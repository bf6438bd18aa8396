package server

import (
	"context"
	"encoding/json"
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
	db       pinger
	checkKey func() error // issuance.Issuer.CheckKey of the intermediate
	now      func() time.Time
	log      *slog.Logger

	mu        sync.Mutex
	checkedAt time.Time
	keyErr    error
}

func newHealth(db pinger, checkKey func() error, now func() time.Time, log *slog.Logger) *health {
	return &health{db: db, checkKey: checkKey, now: now, log: log}
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

// caKey checks that the intermediate key signs what its certificate verifies
// (issuance.Issuer.CheckKey), at most once per keyCheckTTL.
func (h *health) caKey() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.now(); !h.checkedAt.IsZero() && now.Sub(h.checkedAt) < keyCheckTTL && now.After(h.checkedAt) {
		return h.keyErr
	}
	h.keyErr = h.checkKey()
	h.checkedAt = h.now()
	return h.keyErr
}
