package verify

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"
	"time"
)

// Two intermediates share a subject (a re-keyed CA): the old one is expired. The AKI of each
// leaf selects the right one, and the search prefers the valid path.
func TestSameSubjectIntermediates(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	oldCA := issue(t, spec{cn: "Issuing CA", ca: true, notBefore: t0.AddDate(-3, 0, 0), notAfter: t0.AddDate(0, 0, -1)}, root)
	newCA := issue(t, spec{cn: "Issuing CA", ca: true}, root)
	leaf := issue(t, spec{cn: "leaf"}, newCA)
	oldLeaf := issue(t, spec{cn: "old leaf"}, oldCA)
	for _, order := range [][]*node{{oldCA, newCA}, {newCA, oldCA}} {
		o := Options{Roots: certs(root), Intermediates: certs(order...), At: t0}
		r := run(t, leaf, o, true, "")
		if r.Chain[1] != newCA.cert {
			t.Fatalf("path went through %s", r.ChainSummary[1].Serial)
		}
	}
	o := Options{Roots: certs(root), Intermediates: certs(oldCA, newCA), At: t0}
	r := run(t, oldLeaf, o, false, CheckValidity)
	if r.Chain[1] != oldCA.cert {
		t.Fatalf("the failing path should be the one the AKI selects")
	}
}

// A cross-signed CA: the same subject and key certified by an expired legacy root and by a
// current one. Both roots are trusted; the valid path must win whatever the order.
func TestCrossSignedPrefersValidPath(t *testing.T) {
	t.Parallel()
	legacy := issue(t, spec{cn: "Legacy Root", ca: true, notBefore: t0.AddDate(-10, 0, 0), notAfter: t0.AddDate(0, 0, -1)}, nil)
	modern := issue(t, spec{cn: "Modern Root", ca: true}, nil)
	key := newKey(t)
	viaLegacy := issue(t, spec{cn: "Issuing CA", ca: true, key: key, notBefore: t0.AddDate(-2, 0, 0)}, legacy)
	viaModern := issue(t, spec{cn: "Issuing CA", ca: true, key: key}, modern)
	leaf := issue(t, spec{cn: "leaf"}, viaModern) // either CA certificate verifies it
	o := Options{Roots: certs(legacy, modern), Intermediates: certs(viaLegacy, viaModern), At: t0}
	r := run(t, leaf, o, true, "")
	if r.Chain[2] != modern.cert {
		t.Fatalf("path ends at %s", r.ChainSummary[2].Subject)
	}
	if r.PathsTried < 1 {
		t.Fatalf("PathsTried = %d", r.PathsTried)
	}
}

// The "chain of pain": root 2 -> (expired) root cross-certificate -> root -> leaf, both roots
// trusted. The path must stop at the first trust anchor.
func TestChainOfPain(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	root2 := issue(t, spec{cn: "Root 2", ca: true}, nil)
	expiredCross := issue(t, spec{cn: "Root", ca: true, key: root.key, notBefore: t0.AddDate(-5, 0, 0), notAfter: t0.AddDate(-1, 0, 0),
		mod: func(c *x509.Certificate) { c.SubjectKeyId = root.cert.SubjectKeyId }}, root2)
	leaf := issue(t, spec{cn: "leaf"}, root)
	o := Options{Roots: certs(root2, root), Intermediates: certs(expiredCross), At: t0}
	r := run(t, leaf, o, true, "")
	if len(r.Chain) != 2 {
		t.Fatalf("chain length %d, want 2", len(r.Chain))
	}
}

// Two CAs certify each other, and neither reaches a trust anchor: no loop, a prompt failure.
func TestLoop(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	k1, k2 := newKey(t), newKey(t)
	selfA := issue(t, spec{cn: "A", ca: true, key: k1}, nil)
	b := issue(t, spec{cn: "B", ca: true, key: k2}, selfA)
	selfB := &node{cert: b.cert, key: k2}
	a := issue(t, spec{cn: "A", ca: true, key: k1}, selfB)
	leaf := issue(t, spec{cn: "leaf"}, a)
	o := Options{Roots: certs(root), Intermediates: certs(a, b), At: t0}
	start := time.Now()
	run(t, leaf, o, false, CheckChain)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
	// The same loop plus a real path out of it: found.
	bFromRoot := issue(t, spec{cn: "B", ca: true, key: k2}, root)
	o.Intermediates = certs(a, b, bFromRoot)
	run(t, leaf, o, true, "")
}

// Many CA certificates with one subject and different keys, all signing each other, with one
// route to the root: the search budget keeps this fast.
func TestPathologicalSameSubject(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	var cas []*node
	first := issue(t, spec{cn: "Same", ca: true}, root)
	cas = append(cas, first)
	for i := 0; i < 40; i++ {
		cas = append(cas, issue(t, spec{cn: "Same", ca: true,
			mod: func(c *x509.Certificate) { c.AuthorityKeyId = nil }}, cas[len(cas)-1]))
	}
	leaf := issue(t, spec{cn: "leaf", mod: func(c *x509.Certificate) { c.AuthorityKeyId = nil }}, cas[len(cas)-1])
	o := Options{Roots: certs(root), Intermediates: certs(cas...), At: t0, MaxDepth: 64}
	start := time.Now()
	r := Verify(context.Background(), leaf.cert, o)
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
	if len(r.Checks) == 0 {
		t.Fatal("no checks")
	}
}

func TestMaxDepth(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	i1 := issue(t, spec{cn: "I1", ca: true}, root)
	i2 := issue(t, spec{cn: "I2", ca: true}, i1)
	leaf := issue(t, spec{cn: "leaf"}, i2)
	direct := issue(t, spec{cn: "direct"}, root)
	selfIssued := issue(t, spec{cn: "I1", ca: true, mod: func(c *x509.Certificate) { c.AuthorityKeyId = i1.cert.SubjectKeyId }}, i1)
	underSelf := issue(t, spec{cn: "leaf2"}, selfIssued)
	tests := []struct {
		name     string
		leaf     *node
		maxDepth int
		want     bool
	}{
		{"default allows two", leaf, 0, true},
		{"two allowed", leaf, 2, true},
		{"one allowed", leaf, 1, false},
		{"none allowed, direct leaf", direct, NoIntermediates, true},
		{"none allowed, one intermediate", underSelf, NoIntermediates, false},
		{"self-issued not counted", underSelf, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Roots: certs(root), Intermediates: certs(i1, i2, selfIssued), At: t0, MaxDepth: tc.maxDepth}
			wantFail := ""
			if !tc.want {
				wantFail = CheckMaxDepth
			}
			run(t, tc.leaf, o, tc.want, wantFail)
		})
	}
}

func TestEquivalentNamesChain(t *testing.T) {
	t.Parallel()
	// The issuer name is encoded differently from the CA's subject (case and spacing): RFC
	// 5280 §7.1 comparison still links them.
	root := issue(t, spec{subject: &pkix.Name{CommonName: "Example  Root", Organization: []string{"Example"}}, ca: true}, nil)
	other := *root.cert
	other.RawSubject = nil
	other.Subject = pkix.Name{CommonName: "example root", Organization: []string{"EXAMPLE"}}
	leaf := issue(t, spec{cn: "leaf"}, &node{cert: &other, key: root.key})
	run(t, leaf, Options{Roots: certs(root), At: t0}, true, "")
}
