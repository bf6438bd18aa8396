package verify

import (
	"bytes"
	"sort"
)

// Path building follows RFC 4158: from the leaf, the candidate issuers of a certificate are
// the trust anchors and intermediates whose subject matches its issuer (RFC 5280 §7.1
// comparison) and whose subjectKeyIdentifier does not contradict its authorityKeyIdentifier.
// Every candidate path is explored depth first, trust anchors and currently valid
// certificates first (so an expired cross-certificate loses to a valid root: the "chain of
// pain"), and a path ends at the first trust anchor. A CA (subject + public key) may appear
// only once in a path, which rules out loops, and two budgets bound the work on pathological
// inputs (x509-limbo's pathological::* cases).
const (
	extendBudget   = 4096 // certificates pushed onto a path
	evaluateBudget = 256  // complete paths validated
	absoluteCap    = 64   // intermediates in one path, whatever MaxDepth says
)

// edges returns the candidate issuers of child, trust anchors first, without filtering what is
// already in a path.
func (v *verifier) edges(child *certInfo) []*certInfo {
	if c, ok := v.edgeCache[child]; ok {
		return c
	}
	var out []*certInfo
	for _, cand := range v.bySubject[child.issuerKey] {
		if cand == child || akiMismatch(child, cand) {
			continue
		}
		out = append(out, cand)
	}
	at := v.cfg.at
	rank := func(c *certInfo) int {
		r := 0
		if c.anchor {
			r += 4
		}
		if !at.Before(c.c.NotBefore) && !at.After(c.c.NotAfter) {
			r += 2
		}
		if child.aki.hasKeyID && bytes.Equal(child.aki.keyID, c.c.SubjectKeyId) {
			r++
		}
		return r
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) > rank(out[j]) })
	v.edgeCache[child] = out
	return out
}

// computeReach marks the certificates from which some trust anchor can be reached by name,
// so the search never descends into a part of the graph that cannot end at an anchor.
func (v *verifier) computeReach() {
	nodes := append([]*certInfo{v.leaf}, v.inters...)
	for changed := true; changed; {
		changed = false
		for _, n := range nodes {
			if v.reach[n] {
				continue
			}
			for _, c := range v.edges(n) {
				if c.anchor || v.reach[c] {
					v.reach[n] = true
					changed = true
					break
				}
			}
		}
	}
}

func (v *verifier) hardCap() int {
	c := v.cfg.maxDepth + 8
	if c > absoluteCap {
		c = absoluteCap
	}
	return c
}

// build searches for a valid path and leaves the verdict in v.found or v.best.
func (v *verifier) build() {
	// A leaf that is itself a trust anchor is trusted as it stands (a pinned self-signed
	// server certificate); its issuer-only checks do not apply.
	for _, r := range v.roots {
		if bytes.Equal(r.c.Raw, v.leaf.c.Raw) {
			if v.evaluate([]*certInfo{r}, true); v.found != nil {
				return
			}
		}
	}
	v.computeReach()
	if v.reach[v.leaf] {
		v.extend([]*certInfo{v.leaf}, map[string]bool{v.leaf.identity: true})
	}
	if v.found == nil && (v.best == nil || !v.best.anchored) {
		v.greedy()
	}
}

func (v *verifier) extend(path []*certInfo, inPath map[string]bool) {
	if v.found != nil || v.extends >= extendBudget || v.evaluations >= evaluateBudget {
		return
	}
	v.extends++
	child := path[len(path)-1]
	for _, c := range v.edges(child) {
		if v.found != nil || v.extends >= extendBudget || v.evaluations >= evaluateBudget {
			return
		}
		if inPath[c.identity] {
			continue
		}
		// A candidate whose key does not verify the child's signature is not its issuer;
		// paths through it are only worth reporting when nothing better exists (greedy).
		if v.signature(child, c) != nil {
			continue
		}
		next := append(path[:len(path):len(path)], c)
		if c.anchor {
			v.evaluate(next, true)
			continue
		}
		if len(path)-1 >= v.hardCap() || !v.reach[c] {
			continue
		}
		inPath[c.identity] = true
		v.extend(next, inPath)
		delete(inPath, c.identity)
	}
}

// greedy walks one path for the report when no complete path was validated: at each step the
// first candidate that verifies, else the first at all, until a trust anchor or a dead end.
func (v *verifier) greedy() {
	path := []*certInfo{v.leaf}
	inPath := map[string]bool{v.leaf.identity: true}
	for len(path)-1 <= v.hardCap() {
		child := path[len(path)-1]
		var pick *certInfo
		for _, c := range v.edges(child) {
			if inPath[c.identity] {
				continue
			}
			if pick == nil {
				pick = c
			}
			if v.signature(child, c) == nil {
				pick = c
				break
			}
		}
		if pick == nil {
			break
		}
		path = append(path, pick)
		inPath[pick.identity] = true
		if pick.anchor {
			v.evaluate(path, true)
			return
		}
	}
	v.evaluate(path, false)
}

// signature verifies child's signature with parent's key, once per pair.
func (v *verifier) signature(child, parent *certInfo) error {
	k := [2]*certInfo{child, parent}
	if err, ok := v.sigCache[k]; ok {
		return err
	}
	err := parent.c.CheckSignature(child.c.SignatureAlgorithm, child.c.RawTBSCertificate, child.c.Signature)
	v.sigCache[k] = err
	return err
}

// score orders evaluations for "the path that got furthest": complete before partial, then
// structurally valid (only revocation failed), then fewer failures, then longer.
func (e *evaluation) score() int {
	s := len(e.chain) - 1000*e.failed
	if e.anchored {
		s += 1 << 30
	}
	if e.structOK {
		s += 1 << 28
	}
	return s
}
