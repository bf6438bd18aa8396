package config

import (
	"reflect"
	"strings"
)

// The decoder and Set find keys through the yaml tags of Config, so a new field is a new key
// everywhere at once; TestEveryKeyIsInDefaultYAML makes sure it is also documented.

var (
	durationType = reflect.TypeFor[Duration]()
	stringsType  = reflect.TypeFor[[]string]()
)

// field is one key of a section.
type field struct {
	name  string // the yaml key
	index int    // the Go field
}

// fieldsOf lists the keys of a section (a struct type) in declaration order.
func fieldsOf(t reflect.Type) []field {
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		fs = append(fs, field{name, i})
	}
	return fs
}

// fieldByName returns the Go field index of key name in section t.
func fieldByName(t reflect.Type, name string) (int, bool) {
	for _, f := range fieldsOf(t) {
		if f.name == name {
			return f.index, true
		}
	}
	return 0, false
}

// isSection reports whether t is a nested mapping of keys rather than a single value.
func isSection(t reflect.Type) bool { return t.Kind() == reflect.Struct }

// Keys returns the dotted path of every key Set accepts, in the order of the default file.
func Keys() []string {
	var keys []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for _, f := range fieldsOf(t) {
			ft := t.Field(f.index).Type
			if isSection(ft) {
				walk(ft, prefix+f.name+".")
			} else {
				keys = append(keys, prefix+f.name)
			}
		}
	}
	walk(reflect.TypeFor[Config](), "")
	return keys
}

// suggest returns the key of section t closest to an unknown one, or "" if none is close
// enough to be the likely intent.
func suggest(t reflect.Type, unknown string) string {
	best, bestDist := "", 3 // more than two edits away is a different word
	for _, f := range fieldsOf(t) {
		// Short keys are all a couple of edits apart: "zz" is no typo of "db".
		if d := editDistance(strings.ToLower(unknown), f.name); d < bestDist && 2*d < len(f.name) {
			best, bestDist = f.name, d
		}
	}
	// "http-listen" and "httpListen" are the flag and Go spellings of http_listen.
	flat := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(unknown))
	for _, f := range fieldsOf(t) {
		if strings.ReplaceAll(f.name, "_", "") == flat {
			return f.name
		}
	}
	return best
}

// editDistance is the Levenshtein distance, in bytes; keys are ASCII.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return len(a) + len(b) // not a typo of a key; don't spend quadratic time on it
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
