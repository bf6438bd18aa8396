package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/anchorpki/anchor/duration"
)

// Duration is a time.Duration written as a Go duration ("90s", "15m", "24h") or as whole days
// ("7d"), in the spelling of package duration.
type Duration time.Duration

// ParseDuration reads a Go duration or a whole number of days (duration.Parse).
func ParseDuration(s string) (Duration, error) {
	d, err := duration.Parse(s)
	return Duration(d), err
}

// String writes whole days as "7d" and anything else as a short Go duration (duration.Format),
// so that a written value reads back as the same Duration.
func (d Duration) String() string { return duration.Format(time.Duration(d)) }

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
