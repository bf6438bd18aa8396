package config

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// ErrUnknownKey is wrapped by Set for a key that Keys does not list.
var ErrUnknownKey = errors.New("config: unknown key")

// Set assigns the key (a dotted path as Keys lists it: "listen", "acme.http01_port",
// "acme.rate_limits.new_orders.window") from its command-line text, so that a flag overrides
// the file: the CLI loads the file, calls Set for each flag the user gave, then Validate once.
// Set only converts the text: "true"/"false" for switches, a decimal for numbers, a duration
// such as 90s or 7d, and a comma-separated list for lists ("" is the empty list). Whether the
// value makes sense is Validate's to say, so that all problems are reported together.
//
// The flags of `anchor serve` are the keys with "_" and "." written as "-": --http-listen is
// http_listen, --acme-http01-port is acme.http01_port.
func (c *Config) Set(key, value string) error {
	v := reflect.ValueOf(c).Elem()
	for seg := range strings.SplitSeq(key, ".") {
		if !isSection(v.Type()) {
			return fmt.Errorf("%w %q", ErrUnknownKey, key)
		}
		i, ok := fieldByName(v.Type(), seg)
		if !ok {
			return fmt.Errorf("%w %q", ErrUnknownKey, key)
		}
		v = v.Field(i)
	}
	if isSection(v.Type()) {
		return fmt.Errorf("%w %q: it is a section; set one of its keys", ErrUnknownKey, key)
	}
	switch {
	case v.Type() == durationType:
		d, err := ParseDuration(value)
		if err != nil {
			return fmt.Errorf("config: %s: %w", key, err)
		}
		v.SetInt(int64(d))
	case v.Type() == stringsType:
		list := []string{}
		for item := range strings.SplitSeq(value, ",") {
			if item = strings.TrimSpace(item); item != "" {
				list = append(list, item)
			}
		}
		v.Set(reflect.ValueOf(list))
	case v.Kind() == reflect.String:
		v.SetString(value)
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("config: %s: want true or false, got %q", key, value)
		}
		v.SetBool(b)
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(value, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("config: %s: want a whole number, got %q", key, value)
		}
		v.SetInt(n)
	default:
		panic("config: Set has no case for " + v.Type().String()) // a new field type needs one
	}
	return nil
}
