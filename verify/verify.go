package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
)

// verifier holds one Verify call's state.
type verifier struct {
	ctx       context.Context
	cfg       *config
	leaf      *certInfo
	roots     []*certInfo
	inters    []*certInfo
	bySubject map[string][]*certInfo // trust anchors first
	edgeCache map[*certInfo][]*certInfo
	sigCache  map[[2]*certInfo]error
	reach     map[*certInfo]bool
	rev       *revocationCache
	crls      []*x509.RevocationList // supplied CRLs that are well formed

	extends, evaluations, paths int
	best, found                 *evaluation
	notes                       []Check // about the inputs, reported with every verdict
}

// evaluation is one validated path.
type evaluation struct {
	chain    []*certInfo
	anchored bool
	structOK bool // every check but revocation passed
	checks   []Check
	failed   int
}

// Verify decides whether leaf is trusted for the purposes in o, building every candidate path
// to o.Roots through o.Intermediates. It never returns nil; see Result.Err.
func Verify(ctx context.Context, leaf *x509.Certificate, o Options) *Result {
	cfg, err := newConfig(o)
	if err != nil {
		return &Result{Checks: []Check{{Name: CheckOptions, Status: Fail, Detail: err.Error()}}}
	}
	if leaf == nil {
		return &Result{Checks: []Check{{Name: CheckOptions, Status: Fail, Detail: "no leaf certificate"}}}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	v := &verifier{
		ctx:       ctx,
		cfg:       cfg,
		leaf:      newCertInfo(leaf, false),
		bySubject: map[string][]*certInfo{},
		edgeCache: map[*certInfo][]*certInfo{},
		sigCache:  map[[2]*certInfo]error{},
		reach:     map[*certInfo]bool{},
		rev:       newRevocationCache(),
	}
	seen := map[string]bool{}
	for _, r := range o.Roots {
		if r == nil || seen[string(r.Raw)] {
			continue
		}
		seen[string(r.Raw)] = true
		ci := newCertInfo(r, true)
		v.roots = append(v.roots, ci)
		v.bySubject[ci.subjectKey] = append(v.bySubject[ci.subjectKey], ci)
	}
	for _, c := range o.Intermediates {
		if c == nil || seen[string(c.Raw)] || bytes.Equal(c.Raw, leaf.Raw) {
			continue
		}
		seen[string(c.Raw)] = true
		ci := newCertInfo(c, false)
		v.inters = append(v.inters, ci)
		v.bySubject[ci.subjectKey] = append(v.bySubject[ci.subjectKey], ci)
	}
	if len(v.roots) == 0 {
		v.notes = append(v.notes, Check{Name: CheckOptions, Status: Fail, Detail: "no trust anchors configured (Options.Roots is empty)"})
	}
	v.prepareCRLs()
	v.build()
	return v.result()
}

func (v *verifier) consider(e *evaluation) {
	if v.best == nil || e.score() > v.best.score() {
		v.best = e
	}
}

func (v *verifier) result() *Result {
	e := v.found
	if e == nil {
		e = v.best
	}
	r := &Result{PathsTried: v.paths}
	if e != nil {
		r.Valid = v.found != nil
		for _, ci := range e.chain {
			r.Chain = append(r.Chain, ci.c)
			r.ChainSummary = append(r.ChainSummary, Summarize(ci.c))
		}
		r.Checks = append(r.Checks, e.checks...)
	}
	r.Checks = append(r.Checks, v.notes...)
	for _, c := range v.notes {
		if c.Status == Fail {
			r.Valid = false
		}
	}
	if !r.Valid && len(r.Failed()) == 0 {
		r.Checks = append(r.Checks, Check{Name: CheckChain, Status: Fail,
			Detail: fmt.Sprintf("no valid path found within the search budget (%d paths tried)", v.paths)})
	}
	return r
}
