package acmeclient

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/anchorpki/anchor/acme"
	"slices"
)

// Bounds of the time between two renewal checks.
const (
	defaultARIRetry = 6 * time.Hour // when renewalInfo sends no Retry-After
	minCheck        = time.Minute
	maxCheck        = 24 * time.Hour
)

// RenewRequest asks Renew to look at the directory's certificate.
type RenewRequest struct {
	Force bool // renew even if not due
}

// decision is when a certificate should be renewed and why.
type decision struct {
	due       bool
	reason    string
	at        time.Time             // the renewal point
	window    *acme.SuggestedWindow // the server's (ARI), if it gave one
	nextCheck time.Time
}

// Renew renews the directory's certificate when it is due (or req.Force), with the settings
// state.json recorded, and runs the deploy hook. When it is not due, the Result says why and
// when to check again, and nothing is written.
//
// When it is due: the certificate has expired; or the server publishes renewal information
// (RFC 9773) and now is past a point chosen uniformly at random inside its suggested window
// (§4.2) — derived from the certificate's serial, so every check of one certificate picks the
// same point — which also covers a revoked certificate (its window lies in the past); or, for
// a server without renewal information or when asking it fails, two thirds of the lifetime
// have passed, less a jitter of up to a twentieth of the lifetime, again fixed per certificate.
// A certificate whose names differ from the state's is due too.
func (c *Client) Renew(ctx context.Context, req RenewRequest) (*Result, error) {
	st, err := ReadState(c.o.Dir)
	if err != nil {
		return nil, err
	}
	if c.o.RootsFile != "" {
		st.RootsFile = absPath(c.o.RootsFile) // remembered with the next certificate
	}
	hc, dir, err := c.connect(ctx, st)
	if err != nil {
		return nil, err
	}
	leaf, err := readLeaf(c.o.Dir)
	if err != nil {
		c.log.WarnContext(ctx, "acme: current certificate unreadable; obtaining a new one", slog.String("error", err.Error()))
		return c.issue(ctx, st, hc, dir, nil, "", "the current certificate is unreadable")
	}
	d := c.decide(ctx, hc, dir, leaf)
	switch {
	case req.Force:
		d.reason = "forced"
	case !sameNames(certNames(leaf), st.Domains):
		d.due, d.reason = true, "the certificate's names differ from the requested ones"
	}
	if !req.Force && !d.due {
		res := &Result{Reason: d.reason, Dir: c.o.Dir, RenewAt: d.at, Window: d.window, NextCheck: d.nextCheck}
		fillCert(res, leaf)
		return res, nil
	}
	replaces := ""
	if dir.RenewalInfo != "" {
		replaces, _ = acme.CertID(leaf) // a certificate without AKI simply replaces nothing
	}
	return c.issue(ctx, st, hc, dir, nil, replaces, d.reason)
}

// certNames are the names a certificate was obtained for, as Result.Domains lists them.
func certNames(leaf *x509.Certificate) []string {
	names := slices.Clone(leaf.DNSNames)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	return names
}

// decide implements the renewal decision documented on Renew.
func (c *Client) decide(ctx context.Context, hc *http.Client, dir *acme.Directory, leaf *x509.Certificate) decision {
	now := c.o.Now()
	if !now.Before(leaf.NotAfter) {
		return decision{due: true, reason: "expired at " + stamp(leaf.NotAfter), at: leaf.NotAfter, nextCheck: now}
	}
	if dir != nil && dir.RenewalInfo != "" {
		w, retry, err := fetchRenewalInfo(ctx, hc, dir.RenewalInfo, leaf)
		if err == nil {
			at := pointIn(leaf, w.Start, w.End)
			d := decision{at: at, window: &w}
			switch {
			case !now.Before(w.End):
				d.due, d.reason = true, "the renewal window ended "+stamp(w.End)+" (the certificate may be revoked)"
			case !now.Before(at):
				d.due, d.reason = true, "inside the renewal window "+stamp(w.Start)+" – "+stamp(w.End)
			default:
				d.reason = "not due: renewal window starts " + stamp(w.Start) + ", renewing at " + stamp(at)
			}
			d.nextCheck = nextCheck(now, at, retry)
			return d
		}
		c.log.WarnContext(ctx, "acme: renewal information unavailable; renewing at two thirds of the lifetime",
			slog.String("error", err.Error()))
	}
	life := leaf.NotAfter.Sub(leaf.NotBefore)
	start := leaf.NotBefore.Add(life * 2 / 3)
	at := pointIn(leaf, start.Add(-life/20), start)
	d := decision{at: at}
	if !now.Before(at) {
		d.due, d.reason = true, "two thirds of the lifetime have passed"
	} else {
		d.reason = "not due: renewal window starts " + stamp(at) + " (two thirds of the lifetime)"
	}
	d.nextCheck = nextCheck(now, at, maxCheck)
	return d
}

// nextCheck is at, but no later than retry from now, within [minCheck, maxCheck].
func nextCheck(now, at time.Time, retry time.Duration) time.Time {
	retry = min(max(retry, minCheck), maxCheck)
	next := now.Add(retry)
	if at.After(now) && at.Before(next) {
		next = at
	}
	return next.Truncate(time.Second)
}

// pointIn picks the renewal point in [start, end): uniformly distributed over certificates (a
// hash of the serial and the window), the same on every check of one certificate.
func pointIn(leaf *x509.Certificate, start, end time.Time) time.Time {
	if !end.After(start) {
		return start
	}
	h := sha256.New()
	h.Write(leaf.SerialNumber.Bytes())
	h.Write([]byte(start.UTC().String() + end.UTC().String()))
	sum := h.Sum(nil)
	frac := float64(binary.BigEndian.Uint64(sum[:8])>>11) / float64(1<<53)
	return start.Add(time.Duration(frac * float64(end.Sub(start)))).Truncate(time.Second)
}

// fetchRenewalInfo GETs the certificate's renewal information (RFC 9773 §4.1: the directory's
// renewalInfo URL, "/", the CertID) and its Retry-After (§4.3).
func fetchRenewalInfo(ctx context.Context, hc *http.Client, base string, leaf *x509.Certificate) (acme.SuggestedWindow, time.Duration, error) {
	id, err := acme.CertID(leaf)
	if err != nil {
		return acme.SuggestedWindow{}, 0, err
	}
	url := strings.TrimSuffix(base, "/") + "/" + id
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return acme.SuggestedWindow{}, 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return acme.SuggestedWindow{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return acme.SuggestedWindow{}, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		var p acme.Problem
		if json.Unmarshal(b, &p) == nil && p.Type != "" {
			return acme.SuggestedWindow{}, 0, &ProblemError{Problem: &p}
		}
		return acme.SuggestedWindow{}, 0, fmt.Errorf("renewalInfo: %s", resp.Status)
	}
	var ri acme.RenewalInfo
	if err := json.Unmarshal(b, &ri); err != nil {
		return acme.SuggestedWindow{}, 0, fmt.Errorf("renewalInfo: %w", err)
	}
	w := ri.SuggestedWindow
	if w.Start.IsZero() || !w.End.After(w.Start) {
		return acme.SuggestedWindow{}, 0, errors.New("renewalInfo: the window's end is not after its start")
	}
	w.Start, w.End = w.Start.UTC(), w.End.UTC()
	return w, retryAfter(resp.Header.Get("Retry-After")), nil
}

// retryAfter reads Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3).
func retryAfter(v string) time.Duration {
	if v == "" {
		return defaultARIRetry
	}
	if s, err := strconv.Atoi(v); err == nil {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return defaultARIRetry
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// RunRenewals checks the certificate at first (zero: now) and then whenever Result.NextCheck
// says, renewing it when due, until ctx is done; report is called after every check (with the
// error of a failed one). A failed check is retried after 5 minutes, doubling up to 6 hours.
// It returns ctx's error.
func (c *Client) RunRenewals(ctx context.Context, first time.Time, report func(*Result, error)) error {
	backoff := 5 * time.Minute
	wait := time.Duration(0)
	if !first.IsZero() {
		wait = max(first.Sub(c.o.Now()), 0)
	}
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		res, err := c.Renew(ctx, RenewRequest{})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if report != nil {
			report(res, err)
		}
		if res != nil && !res.NextCheck.IsZero() {
			backoff = 5 * time.Minute
			wait = max(res.NextCheck.Sub(c.o.Now()), minCheck)
		} else {
			wait = backoff
			backoff = min(2*backoff, 6*time.Hour)
		}
	}
}
