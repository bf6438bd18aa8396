package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as a Go duration ("90s", "15m", "24h") or as whole days
// ("7d"), because certificate and CRL lifetimes are thought of in days and "397d" is clearer
// than "9528h".
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration reads a Go duration or a whole number of days.
func ParseDuration(s string) (Duration, error) {
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
			if err != nil || n > int64(math.MaxInt64/day) {
				return 0, fmt.Errorf("duration %q is too long", s)
			}
			return Duration(sign * n * int64(day)), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: want a Go duration (90s, 15m, 24h) or whole days (7d)", s)
	}
	return Duration(d), nil
}

// String writes whole days as "7d" and anything else as a Go duration without zero tails
// ("1h30m", not "1h30m0s"), so that a written value reads back as the same Duration.
func (d Duration) String() string {
	if d != 0 && time.Duration(d)%day == 0 {
		return strconv.FormatInt(int64(time.Duration(d)/day), 10) + "d"
	}
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalYAML writes String, so yaml.Marshal of a Config produces a file Parse reads back.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML lets plain yaml.Unmarshal read a Duration too; Parse does not go through it (it
// decodes each key itself to report every problem with its path). A failure is a
// *yaml.TypeError so that yaml.v3 keeps decoding the rest of the document.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		msg := fmt.Sprintf("line %d: cannot unmarshal %s into config.Duration", n.Line, n.ShortTag())
		return &yaml.TypeError{Errors: []string{msg}}
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %v", n.Line, err)}}
	}
	*d = v
	return nil
}
