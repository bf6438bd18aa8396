package lint

import (
	"testing"

	zl "github.com/zmap/zlint/v3/lint"
)

// TestReviewedStateIsCurrent: a reviewed lint whose fields changed in a zlint upgrade is no
// longer shared (New compares the layout), which is safe but slow; this says which to review.
func TestReviewedStateIsCurrent(t *testing.T) {
	t.Parallel()
	for name, reviewed := range reviewedState {
		cl := zl.GlobalRegistry().CertificateLints().ByName(name)
		if cl == nil {
			t.Errorf("reviewed lint %q is no longer registered", name)
			continue
		}
		if got := stateOf(cl.Lint()); got != reviewed {
			t.Errorf("lint %q now has fields %s; reviewed was %s: check that CheckApplies and Execute only read them, then update reviewedState", name, got, reviewed)
		}
	}
	l, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range l.lints {
		if c.shared == nil {
			t.Logf("lint %s runs on a fresh instance per certificate: fields %s not reviewed", c.Name, stateOf(c.Lint()))
		}
	}
}
