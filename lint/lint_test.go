package lint_test

import (
	"testing"

	zl "github.com/zmap/zlint/v3/lint"

	"github.com/anchorpki/anchor/lint"
)

// TestExemptionsNameRealLints: a misspelt exemption would silently exempt nothing, and one that
// zlint renamed would silently start blocking; both must fail here.
func TestExemptionsNameRealLints(t *testing.T) {
	t.Parallel()
	for _, name := range lint.PrivateCAExemptions {
		l := zl.GlobalRegistry().ByName(name)
		if l == nil {
			t.Errorf("exemption %q is not a zlint lint", name)
			continue
		}
		if l.Source != zl.CABFBaselineRequirements {
			t.Errorf("exemption %q is from %s; only CA/Browser Forum lints may be exempt", name, l.Source)
		}
	}
}

func TestReportRejectsGarbage(t *testing.T) {
	t.Parallel()
	l, err := lint.New(lint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Lint([]byte("not a certificate")); err == nil {
		t.Fatal("Lint accepted garbage")
	}
}
