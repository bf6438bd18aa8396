package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Line is the 1-based line of the key in the file; 0 when there is no line to point at
	// (a value from a flag or a default, or a problem of the whole file).
	Line int
	// Key is the dotted key path, with list items indexed: "acme.rate_limits.new_orders.window",
	// "policy.allowed_ips[2]". Empty for a problem of the file as a whole.
	Key string
	Msg string
}

// Error lists every problem found in a configuration, so that one run shows all of them.
// Parse, Load and Validate return it (as *Error) for every problem with the content.
type Error struct {
	File     string // as given to Parse or Load; empty from Validate
	Problems []Problem
}

// Error writes one problem as one line, "FILE:LINE: key.path: message", the form editors and
// terminals turn into links. Several problems get a count first, then one such line each.
func (e *Error) Error() string {
	where := e.File
	if where == "" {
		where = "config"
	}
	if len(e.Problems) == 1 {
		return e.line(where, e.Problems[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", where, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(e.line(where, p))
	}
	return b.String()
}

func (e *Error) line(where string, p Problem) string {
	parts := make([]string, 0, 3)
	if p.Line > 0 {
		where += ":" + strconv.Itoa(p.Line)
	}
	parts = append(parts, where)
	if p.Key != "" {
		parts = append(parts, p.Key)
	}
	return strings.Join(append(parts, p.Msg), ": ")
}

// sortProblems orders problems by line, keeping the order they were found in on one line (left
// to right in a flow mapping, decoding before validation); those with no line go last.
func sortProblems(ps []Problem) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if (a.Line == 0) != (b.Line == 0) {
			if a.Line == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Line, b.Line)
	})
}
