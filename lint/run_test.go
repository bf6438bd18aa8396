package lint_test

import (
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/anchorpki/anchor/lint"
)

func newLinter(t testing.TB) *lint.Linter {
	t.Helper()
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestReportMatchesZlint: running shared lint instances through our own loop must give what
// zlint's entry point gives, finding for finding, details included.
func TestReportMatchesZlint(t *testing.T) {
	t.Parallel()
	l := newLinter(t)
	for _, c := range testCorpus(t) {
		got, err := l.Report(c.der)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if want := zlintReport(t, c.der); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: Report =\n%v\nzlint =\n%v", c.name, got, want)
		}
	}
}

// TestLintRefusesExactlyAsZlint: Lint skips the exempt lints, so it must still refuse every
// certificate the full set refuses, for the same findings, and accept every other one. The
// corpus holds a known-bad certificate for each profile shape.
func TestLintRefusesExactlyAsZlint(t *testing.T) {
	t.Parallel()
	l := newLinter(t)
	for _, c := range testCorpus(t) {
		want := blockingOf(zlintReport(t, c.der))
		for _, name := range c.wantBlocking {
			if !slices.ContainsFunc(want, func(f lint.Finding) bool { return f.Lint == name }) {
				t.Fatalf("%s: corpus error: zlint itself does not refuse it for %s (it says %v)", c.name, name, want)
			}
		}
		if (len(want) == 0) != (len(c.wantBlocking) == 0) {
			t.Fatalf("%s: corpus error: zlint refuses it for %v, the corpus expects %v", c.name, want, c.wantBlocking)
		}
		err := l.Lint(c.der)
		if len(want) == 0 {
			if err != nil {
				t.Errorf("%s: Lint = %v, want nil", c.name, err)
			}
			continue
		}
		rej, ok := errors.AsType[*lint.RejectedError](err)
		if !ok || !errors.Is(err, lint.ErrRejected) {
			t.Errorf("%s: Lint = %v, want a rejection for %v", c.name, err, want)
			continue
		}
		if !reflect.DeepEqual(rej.Findings, want) {
			t.Errorf("%s: Lint refused for\n%v\nzlint for\n%v", c.name, rej.Findings, want)
		}
	}
}

// TestLintConcurrently: shared lint instances serve every issuance at once; under -race this
// fails if one of them writes to itself while running.
func TestLintConcurrently(t *testing.T) {
	t.Parallel()
	l := newLinter(t)
	corpus := testCorpus(t)
	want := make([][]lint.Finding, len(corpus))
	for i, c := range corpus {
		want[i] = zlintReport(t, c.der)
	}
	var wg sync.WaitGroup
	for range 4 {
		for i, c := range corpus {
			wg.Go(func() {
				got, err := l.Report(c.der)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					t.Errorf("%s: concurrent Report = %v, %v; want %v", c.name, got, err, want[i])
				}
				_ = l.Lint(c.der)
			})
		}
	}
	wg.Wait()
}

// BenchmarkLint is the lint step of one server issuance.
func BenchmarkLint(b *testing.B) {
	l := newLinter(b)
	var der []byte
	for _, c := range testCorpus(b) {
		if c.name == "server" {
			der = c.der
		}
	}
	for b.Loop() {
		if err := l.Lint(der); err != nil {
			b.Fatal(err)
		}
	}
}
