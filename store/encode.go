package store

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/anchorpki/anchor/revocation"
)

// maxSerialOctets is the RFC 5280 §4.1.2.2 limit on a serial number.
const maxSerialOctets = 20

// maxKeyIDOctets bounds an issuer key identifier; a SHA-1 SKI is 20 octets, a truncated SHA-256
// one the same, and nothing sane needs more than a full SHA-512.
const maxKeyIDOctets = 64

// serialText is the stored form of a serial: lowercase hex without leading zeros, so that one
// number has exactly one spelling and UNIQUE(issuer_key_id, serial) means what it says.
func serialText(s *big.Int) (string, error) {
	switch {
	case s == nil:
		return "", fmt.Errorf("%w: serial is nil", ErrInvalid)
	case s.Sign() <= 0:
		return "", fmt.Errorf("%w: serial %s is not positive (RFC 5280 §4.1.2.2)", ErrInvalid, s)
	case len(s.Bytes()) > maxSerialOctets:
		return "", fmt.Errorf("%w: serial is %d octets, more than %d (RFC 5280 §4.1.2.2)", ErrInvalid, len(s.Bytes()), maxSerialOctets)
	}
	return s.Text(16), nil
}

func parseSerial(s string) (*big.Int, error) {
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		return nil, fmt.Errorf("store: stored serial %q is not hexadecimal", s)
	}
	return n, nil
}

// keyIDText is the stored form of an issuer key identifier: lowercase hex of its bytes.
func keyIDText(id []byte) (string, error) {
	switch {
	case len(id) == 0:
		return "", fmt.Errorf("%w: issuer key id is empty", ErrInvalid)
	case len(id) > maxKeyIDOctets:
		return "", fmt.Errorf("%w: issuer key id is %d octets, more than %d", ErrInvalid, len(id), maxKeyIDOctets)
	}
	return hex.EncodeToString(id), nil
}

// key is the (issuer key id, serial) pair in stored form.
type key struct{ issuer, serial string }

func makeKey(issuerKeyID []byte, serial *big.Int) (key, error) {
	iss, err := keyIDText(issuerKeyID)
	if err != nil {
		return key{}, err
	}
	ser, err := serialText(serial)
	if err != nil {
		return key{}, err
	}
	return key{iss, ser}, nil
}

func (k key) String() string { return "issuer " + k.issuer + " serial " + k.serial }

// micros is the stored form of an instant. Microseconds are PostgreSQL's own precision, and
// int64 microseconds span ±292,000 years, so every time.Time a certificate can carry fits.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// checkText rejects what PostgreSQL cannot store in TEXT (NUL, invalid UTF-8), so both
// backends accept exactly the same values and one bad row cannot abort a batch.
func checkText(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return fmt.Errorf("%w: %s contains a NUL byte", ErrInvalid, field)
	}
	return nil
}

// reservation is a Certificate checked and converted to the values Reserve inserts.
type reservation struct {
	key
	subject, sans, profile, requester string
	names                             []string // distinct lowercased SANs
	notBefore, notAfter, createdAt    int64
	tbs                               []byte
}

func newReservation(c Certificate, now func() time.Time) (reservation, error) {
	k, err := makeKey(c.IssuerKeyID, c.Serial)
	if err != nil {
		return reservation{}, err
	}
	if c.Status != "" && c.Status != StatusPending {
		return reservation{}, fmt.Errorf("%w: a reservation is pending, not %q", ErrInvalid, c.Status)
	}
	if len(c.TBS) == 0 {
		return reservation{}, fmt.Errorf("%w: reservation without the intended TBS", ErrInvalid)
	}
	if len(c.DER) != 0 {
		return reservation{}, fmt.Errorf("%w: reservation carries DER; record it with RecordIssued", ErrInvalid)
	}
	for _, f := range [...]struct{ name, val string }{{"subject", c.Subject}, {"profile", c.Profile}, {"requester", c.Requester}} {
		if err := checkText(f.name, f.val); err != nil {
			return reservation{}, err
		}
	}
	var names []string
	for _, san := range c.SANs {
		if err := checkText("SAN", san); err != nil {
			return reservation{}, err
		}
		if san == "" {
			return reservation{}, fmt.Errorf("%w: empty SAN", ErrInvalid)
		}
		names = append(names, strings.ToLower(san))
	}
	slices.Sort(names)
	sans, err := json.Marshal(nonNil(c.SANs))
	if err != nil {
		return reservation{}, fmt.Errorf("store: encoding SANs: %w", err)
	}
	created := c.CreatedAt
	if created.IsZero() {
		created = now()
	}
	return reservation{
		key: k, subject: c.Subject, sans: string(sans), profile: c.Profile, requester: c.Requester,
		names: slices.Compact(names), notBefore: micros(c.NotBefore), notAfter: micros(c.NotAfter),
		createdAt: micros(created), tbs: c.TBS,
	}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// checkReason accepts the RFC 5280 §5.3.1 CRLReason codes a revocation can carry: 0–10
// except 7, which is unused, and 8, removeFromCRL, which only a delta CRL carries, to say
// that a hold was released; that is ReleaseHold, not a revocation.
func checkReason(r int) error {
	switch reason := revocation.Reason(r); {
	case !reason.Valid():
		return fmt.Errorf("%w: %d is not an RFC 5280 CRLReason code", ErrInvalid, r)
	case reason == revocation.RemoveFromCRL:
		return fmt.Errorf("%w: removeFromCRL (8) is not a revocation reason; release a certificateHold with ReleaseHold", ErrInvalid)
	}
	return nil
}
