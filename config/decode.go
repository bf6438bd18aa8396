package config

import (
	"fmt"
	"reflect"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// decoder fills a Config from a parsed document, key by key, recording a Problem for each key it
// cannot use and carrying on. It exists instead of yaml.Decoder.KnownFields because that
// decoder stops short in ways that hide problems: a duplicate key makes it skip the whole
// mapping around it, and its messages name a Go type ("field foo not found in type
// config.RateLimit") where the user needs the key path ("acme.rate_limits.new_orders.foo").
// The values themselves are still converted by yaml.v3 (Node.Decode), and FuzzParse checks that
// whatever strict yaml.v3 rejects, Parse rejects too.
type decoder struct {
	problems []Problem
	lines    map[string]int // key path → line of the key, for problems found after decoding
}

func (d *decoder) add(line int, key, format string, args ...any) {
	d.problems = append(d.problems, Problem{Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// document decodes the root of a parsed file into c, which holds the defaults.
func (d *decoder) document(doc *yaml.Node, c *Config) {
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	d.value(root, "", 0, reflect.ValueOf(c).Elem())
}

// value decodes n into v, whose key path is path (line is where that key was written).
func (d *decoder) value(n *yaml.Node, path string, line int, v reflect.Value) {
	n = resolve(n)
	if line == 0 {
		line = n.Line
	}
	if n.ShortTag() == "!!null" {
		// "key:" with nothing after it keeps the default, as yaml.v3 does; for a list it is
		// the empty list.
		if v.Kind() == reflect.Slice {
			v.SetZero()
		}
		return
	}
	switch t := v.Type(); {
	case isSection(t):
		d.section(n, path, line, v)
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			d.add(line, path, "want a duration (90s, 15m, 24h, 7d), got %s", describe(n))
			return
		}
		dur, err := ParseDuration(n.Value)
		if err != nil {
			d.add(line, path, "%v", err)
			return
		}
		v.SetInt(int64(dur))
	case t == stringsType:
		d.list(n, path, line, v)
	default:
		d.scalar(n, path, line, v)
	}
}

// section decodes a mapping into a struct, reporting unknown and repeated keys.
func (d *decoder) section(n *yaml.Node, path string, line int, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.add(line, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	seen := map[string]int{} // key → line first written
	for _, e := range d.entries(n, path) {
		k := resolve(e.key)
		if k.Kind != yaml.ScalarNode {
			d.add(e.key.Line, path, "a key must be a name, got %s", describe(k))
			continue
		}
		p := join(path, k.Value)
		if first, ok := seen[k.Value]; ok {
			// A merged key yields to one written out (YAML merge semantics); two written
			// out are a mistake, since one would silently win.
			if !e.merged {
				d.add(e.key.Line, p, "repeated key (first written at line %d)", first)
			}
			continue
		}
		seen[k.Value] = e.key.Line
		i, ok := fieldByName(v.Type(), k.Value)
		if !ok {
			msg := "unknown key"
			if s := suggest(v.Type(), k.Value); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", join(path, s))
			}
			d.add(e.key.Line, p, "%s", msg)
			continue
		}
		d.lines[p] = e.key.Line
		d.value(e.value, p, e.key.Line, v.Field(i))
	}
}

type entry struct {
	key, value *yaml.Node
	merged     bool // came from a "<<" merge key
}

// entries lists the keys of a mapping: those written in it first, then those merged in with
// "<<: *anchor" in order, so that the first occurrence of a key is the one that counts.
func (d *decoder) entries(n *yaml.Node, path string) []entry {
	m := merger{d: d, path: path, stack: map[*yaml.Node]bool{n: true}, done: map[*yaml.Node]bool{n: true}}
	return m.entries(n)
}

// merger expands merge keys. Each mapping is expanded at most once per section, so anchors
// merged into anchors cannot multiply the work (the "billion laughs" of merge keys); stack holds
// the mappings being expanded, to tell a mapping merged into itself from one merged twice.
type merger struct {
	d           *decoder
	path        string
	stack, done map[*yaml.Node]bool
}

func (m *merger) entries(n *yaml.Node) []entry {
	var own, merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !isMerge(k) {
			own = append(own, entry{key: k, value: v})
			continue
		}
		sources := []*yaml.Node{v}
		if r := resolve(v); r.Kind == yaml.SequenceNode {
			sources = r.Content
		}
		for _, s := range sources {
			src := resolve(s)
			switch {
			case src.Kind != yaml.MappingNode:
				m.d.add(k.Line, join(m.path, "<<"),
					"want a mapping or a list of mappings to merge, got %s", describe(src))
			case m.stack[src]:
				m.d.add(k.Line, join(m.path, "<<"), "merges a mapping into itself")
			case m.done[src]:
				// Already merged: its keys are in the list, and the first occurrence wins.
			default:
				m.stack[src], m.done[src] = true, true
				for _, e := range m.entries(src) {
					e.merged = true
					merged = append(merged, e)
				}
				delete(m.stack, src)
			}
		}
	}
	return append(own, merged...)
}

// list decodes a sequence of strings, each item its own key path ("policy.allowed_ips[2]").
func (d *decoder) list(n *yaml.Node, path string, line int, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.add(line, path, "want a list such as [a, b], got %s", describe(n))
		return
	}
	// An item that cannot be decoded stays "", keeping the indexes of the others right for
	// the problems Validate finds in them.
	out := make([]string, len(n.Content))
	for i, item := range n.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		d.scalar(resolve(item), p, item.Line, reflect.ValueOf(&out[i]).Elem())
	}
	v.Set(reflect.ValueOf(out))
}

// scalar decodes a string, bool or integer. yaml.v3 does the conversion; the checks before it
// are stricter than yaml.v3, which would truncate 80.5 to 80 and read "yes" as true.
func (d *decoder) scalar(n *yaml.Node, path string, line int, v reflect.Value) {
	want, tag := "", ""
	switch v.Kind() {
	case reflect.String:
		want = "a string"
	case reflect.Bool:
		want, tag = "true or false", "!!bool"
	case reflect.Int, reflect.Int64:
		want, tag = "a whole number", "!!int"
	default:
		panic("config: no decoder for " + v.Type().String()) // a new field type needs one
	}
	if n.Kind != yaml.ScalarNode || tag != "" && n.ShortTag() != tag || n.ShortTag() == "!!null" {
		d.add(line, path, "want %s, got %s", want, describe(n))
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		if v.Kind() == reflect.Int || v.Kind() == reflect.Int64 {
			want += fmt.Sprintf(" from %d to %d", minInt(v.Type()), maxInt(v.Type()))
		}
		d.add(line, path, "want %s, got %s", want, describe(n))
	}
}

func maxInt(t reflect.Type) int64 { return 1<<(t.Bits()-1) - 1 }
func minInt(t reflect.Type) int64 { return -1 << (t.Bits() - 1) }

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isMerge(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Value == "<<" && n.ShortTag() == "!!merge"
}

// describe names what a node holds, for "want X, got Y".
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:37] + "..."
	}
	switch n.ShortTag() {
	case "!!null":
		return "nothing"
	case "!!str":
		return strconv.Quote(v)
	}
	return v
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
