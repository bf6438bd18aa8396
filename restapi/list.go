package restapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/duration"
	"github.com/anchorpki/anchor/store"
)

// page is the body of GET /api/v1/certificates.
type page struct {
	Certificates []certificate `json:"certificates"`
	// NextCursor fetches the next page as ?cursor=; "" on the last page.
	NextCursor string `json:"next_cursor"`
}

// listParams are the query parameters of a list; any other is an error, so a misspelt filter
// does not silently return everything.
var listParams = map[string]bool{"status": true, "expiring_within": true, "san": true, "profile": true, "cursor": true, "limit": true}

func (a *API) list(w http.ResponseWriter, r *http.Request, ev *event) error {
	if _, err := a.authorize(w, r, ev, apitoken.ScopeRead); err != nil {
		return err
	}
	now := a.o.Now()
	f, err := a.filter(r, now)
	if err != nil {
		return err
	}
	certs, next, err := a.o.Inventory.List(r.Context(), f)
	if err != nil {
		return err
	}
	out := page{Certificates: make([]certificate, 0, len(certs)), NextCursor: next}
	for _, c := range certs {
		out.Certificates = append(out.Certificates, view(c, now, false))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) filter(r *http.Request, now time.Time) (store.Filter, error) {
	q := r.URL.Query()
	for k, vs := range q {
		if !listParams[k] {
			return store.Filter{}, problemf(TypeMalformed, "unknown query parameter %q (known: status, expiring_within, san, profile, cursor, limit)", k)
		}
		if len(vs) > 1 {
			return store.Filter{}, problemf(TypeMalformed, "query parameter %q given %d times", k, len(vs))
		}
	}
	f := store.Filter{SAN: q.Get("san"), Profile: q.Get("profile"), After: q.Get("cursor"), Limit: a.o.PageSize}
	// The status a record is shown with (view) is the status it is filtered by: "expired"
	// means valid but past notAfter, and "valid" excludes expired.
	switch s := q.Get("status"); s {
	case "":
	case "valid":
		f.Status, f.ValidAt = store.StatusValid, now
	case "expired":
		f.Status, f.ExpiredAt = store.StatusValid, now
	case "revoked":
		f.Status = store.StatusRevoked
	case "pending":
		f.Status = store.StatusPending
	default:
		return store.Filter{}, problemf(TypeMalformed, "status must be valid, revoked, expired or pending, not %q", s)
	}
	if s := q.Get("expiring_within"); s != "" {
		d, err := parseDuration(s)
		if err != nil {
			return store.Filter{}, err
		}
		f.ValidAt, f.ExpiringBefore = now, now.Add(d)
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxPageSize {
			return store.Filter{}, problemf(TypeMalformed, "limit must be a whole number from 1 to %d, not %q", MaxPageSize, s)
		}
		f.Limit = n
	}
	return f, nil
}

// maxWithin bounds expiring_within well inside time.Duration's 292 years.
const maxWithin = 100 * 365 * 24 * time.Hour

// parseDuration reads expiring_within as `anchor list --expiring-within` does (duration.Parse):
// whole days ("30d") or a Go duration ("12h"), positive and within a century.
func parseDuration(s string) (time.Duration, error) {
	d, err := duration.Parse(s)
	if err != nil || d <= 0 || d > maxWithin {
		return 0, problemf(TypeMalformed, "expiring_within must be a positive duration such as 30d or 12h, not %q", s)
	}
	return d, nil
}
