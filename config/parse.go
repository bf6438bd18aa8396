package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads the file at path and parses it. A file that cannot be read is the os error, wrapped
// (errors.Is(err, fs.ErrNotExist) is how the first run is recognised); a file that can is what
// Parse returns for its content.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path)
}

// Parse decodes a config file over Default and validates the result. Every problem in the file
// is reported at once: unknown or repeated keys, values of the wrong type, and values that
// Validate rejects, each with its line and key path, in one *Error named after name. An empty
// file (or one with only comments) is the default configuration. On error the Config is zero.
func Parse(data []byte, name string) (Config, error) {
	doc, p := parseYAML(data)
	if p != nil {
		return Config{}, &Error{File: name, Problems: []Problem{*p}}
	}
	c := Default()
	d := decoder{lines: map[string]int{}}
	if doc != nil {
		d.document(doc, &c)
	}
	// A key that could not be decoded holds a placeholder (its default, or "" in a list), so
	// whatever Validate says about it would be noise.
	undecodable := map[string]bool{}
	for _, p := range d.problems {
		undecodable[p.Key] = true
	}
	for _, p := range c.problems() {
		if !undecodable[p.Key] {
			p.Line = d.lineOf(p.Key)
			d.problems = append(d.problems, p)
		}
	}
	if len(d.problems) > 0 {
		sortProblems(d.problems)
		return Config{}, &Error{File: name, Problems: d.problems}
	}
	return c, nil
}

// parseYAML returns the single document in data, nil for an empty file, or the syntax problem
// that stopped the parser (it cannot go on, so there is only one).
func parseYAML(data []byte) (*yaml.Node, *Problem) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, syntaxProblem(err)
	}
	// A second document would be ignored by a decoder that reads one, so its settings would
	// silently not apply.
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
		return &doc, nil
	case err != nil:
		return nil, syntaxProblem(err)
	default:
		return nil, &Problem{Line: next.Line,
			Msg: "a second YAML document (after ---); the configuration is one document"}
	}
}

var syntaxLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// syntaxProblem turns a yaml.v3 parser error ("yaml: line 3: mapping values are not allowed in
// this context") into a Problem on that line.
func syntaxProblem(err error) *Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	p := &Problem{Msg: "invalid YAML: " + msg}
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			p.Line, p.Msg = n, "invalid YAML: "+m[2]
		}
	}
	return p
}

// lineOf returns the line of key, or of the nearest enclosing key written in the file: a
// problem between two keys, one of them left at its default, points at their section, and one
// with no written key at all has no line.
func (d *decoder) lineOf(key string) int {
	for key != "" {
		if l, ok := d.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}
