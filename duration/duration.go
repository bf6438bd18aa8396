// Package duration reads and writes lifetimes as people write them: a Go duration ("90s",
// "15m", "24h") or whole days ("7d"), because certificate, token and CRL lifetimes are thought
// of in days and "397d" is clearer than "9528h". The config file, the command line and the
// REST API all read durations through Parse, so one spelling works everywhere.
package duration

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day is 24 hours: lifetimes are counted in calendar-free days, as openssl's -days is.
const Day = 24 * time.Hour

// Parse reads a Go duration or a whole number of days, with an optional sign. It refuses
// fractions and mixtures of days ("1.5d", "1d12h") and values beyond time.Duration's range.
// Callers check the sign and bounds they need.
func Parse(s string) (time.Duration, error) {
	if digits, ok := strings.CutSuffix(s, "d"); ok {
		sign := int64(1)
		if rest, ok := strings.CutPrefix(digits, "-"); ok {
			sign, digits = -1, rest
		} else {
			digits = strings.TrimPrefix(digits, "+")
		}
		// Only ASCII digits: ParseInt would accept a second sign, and "1.5d" is not whole days.
		if digits != "" && strings.Trim(digits, "0123456789") == "" {
			n, err := strconv.ParseInt(digits, 10, 64)
			if err != nil || n > int64(math.MaxInt64/Day) {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			return time.Duration(sign * n * int64(Day)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a Go duration (90s, 15m, 24h) or whole days (7d)", s)
	}
	return d, nil
}

// Format writes whole days as "7d" and anything else as a Go duration without zero tails
// ("1h30m", not "1h30m0s"), so that what it writes Parse reads back as the same duration.
func Format(d time.Duration) string {
	if d != 0 && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ValidityDays is the length of a validity period in days as RFC 5280 §4.1.2.5 and the
// Baseline Requirements count it: both notBefore and notAfter belong to the period, so it lasts
// notAfter − notBefore plus one second, and any part of a day counts as a day. A certificate of
// issuance.Lifetime(now, 90) is 90 days long by this count.
func ValidityDays(notBefore, notAfter time.Time) int {
	// In whole seconds from the Unix times: time.Time.Sub saturates at ±292 years, and adding the
	// last second to a saturated value would wrap around.
	seconds := notAfter.Unix() - notBefore.Unix() + 1
	const daySeconds = int64(Day / time.Second)
	return int((seconds + daySeconds - 1) / daySeconds)
}

// ValidityExceeds reports whether the validity period from notBefore to notAfter, both ends
// included as ValidityDays counts them, is longer than max: a period of exactly max is
// notAfter = notBefore + max − 1 s.
func ValidityExceeds(notBefore, notAfter time.Time, max time.Duration) bool {
	return notAfter.Sub(notBefore) > max-time.Second
}
