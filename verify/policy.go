package verify

import "crypto/x509"

// Certificate policy processing, RFC 5280 §6.1.2(a), §6.1.3(d)-(f), §6.1.4(a)-(b),(h)-(j) and
// §6.1.5(a),(b),(g), with the inputs a TLS client uses: user-initial-policy-set = {anyPolicy}
// and initial-policy-mapping-inhibit, initial-explicit-policy and initial-any-policy-inhibit
// all false. With those inputs the path can only fail when one of its certificates asks for an
// explicit policy (policyConstraints requireExplicitPolicy) that the path cannot provide, or
// maps anyPolicy. The trust anchor's own policy extensions are not processed (§6.1).

const anyPolicy = "2.5.29.32.0"

const maxPolicyNodes = 1024 // bounds the tree against policy-mapping blow-ups

type policyNode struct {
	policy   string
	expected map[string]bool
	parent   *policyNode
	children int
}

func (p *pathCheck) checkPolicy() {
	if !p.anchored || p.n < 2 {
		return
	}
	certs := p.chain[:p.n-1] // the path proper, leaf first; certs[k] is RFC certificate n-k
	n := len(certs)
	used := false
	for _, ci := range certs {
		if ci.has(oidCertPolicies) || ci.has(oidPolicyConstraints) || ci.has(oidPolicyMappings) || ci.has(oidInhibitAnyPolicy) {
			used = true
		}
	}
	if !used {
		return
	}
	root := &policyNode{policy: anyPolicy, expected: map[string]bool{anyPolicy: true}}
	levels := [][]*policyNode{{root}}
	explicit, inhibitAny, mapping := n+1, n+1, n+1
	nodes := 1
	fail := func(d int, format string, a ...any) {
		p.add(d, CheckPolicy, Fail, format, a...)
	}
	for i := 1; i <= n; i++ {
		d := n - i
		c := certs[d].c
		prev := levels[i-1]
		var cur []*policyNode
		if prev != nil && certs[d].has(oidCertPolicies) {
			child := func(parent *policyNode, pol string, exp map[string]bool) {
				cur = append(cur, &policyNode{policy: pol, expected: exp, parent: parent})
				parent.children++
				nodes++
			}
			hasAny := false
			for _, oid := range c.Policies {
				pol := oid.String()
				if pol == anyPolicy {
					hasAny = true
					continue
				}
				matched := false
				for _, node := range prev {
					if node.expected[pol] {
						child(node, pol, map[string]bool{pol: true})
						matched = true
					}
				}
				if !matched {
					for _, node := range prev {
						if node.policy == anyPolicy {
							child(node, pol, map[string]bool{pol: true})
						}
					}
				}
			}
			if hasAny && (inhibitAny > 0 || (i < n && certs[d].selfIssued)) {
				for _, node := range prev {
					for pol := range node.expected {
						if !hasChild(cur, node, pol) {
							child(node, pol, map[string]bool{pol: true})
						}
					}
				}
			}
			if nodes > maxPolicyNodes {
				fail(d, "certificate policy tree exceeds %d nodes", maxPolicyNodes)
				return
			}
		}
		levels = append(levels, cur)
		prune(levels, i)
		if levels[i] == nil && explicit <= 0 {
			fail(d, "no acceptable certificate policy remains and an explicit policy is required (RFC 5280 §6.1.3(f))")
			return
		}
		if i == n {
			break
		}
		// Preparation for the next certificate (§6.1.4).
		for _, m := range c.PolicyMappings {
			if m.IssuerDomainPolicy.String() == anyPolicy || m.SubjectDomainPolicy.String() == anyPolicy {
				fail(d, "policyMappings maps anyPolicy (RFC 5280 §6.1.4(a))")
				return
			}
		}
		if len(c.PolicyMappings) > 0 && levels[i] != nil {
			applyMappings(levels, i, c.PolicyMappings, mapping > 0)
			prune(levels, i)
		}
		if !certs[d].selfIssued {
			for _, v := range []*int{&explicit, &mapping, &inhibitAny} {
				if *v > 0 {
					*v--
				}
			}
		}
		if v, ok := pcValue(c.RequireExplicitPolicy, c.RequireExplicitPolicyZero); ok && v < explicit {
			explicit = v
		}
		if v, ok := pcValue(c.InhibitPolicyMapping, c.InhibitPolicyMappingZero); ok && v < mapping {
			mapping = v
		}
		if v, ok := pcValue(c.InhibitAnyPolicy, c.InhibitAnyPolicyZero); ok && v < inhibitAny {
			inhibitAny = v
		}
	}
	leaf := certs[0].c
	if explicit > 0 {
		explicit--
	}
	if v, ok := pcValue(leaf.RequireExplicitPolicy, leaf.RequireExplicitPolicyZero); ok && v == 0 {
		explicit = 0
	}
	if explicit <= 0 && levels[n] == nil {
		fail(0, "an explicit certificate policy is required but the path has no valid policy (RFC 5280 §6.1.5)")
		return
	}
	var valid []string
	for _, node := range levels[n] {
		valid = append(valid, node.policy)
	}
	p.add(0, CheckPolicy, Pass, "certificate policies valid for the path: %s", list(valid))
}

// pcValue reads one of x509's "N, or 0 with the Zero flag" fields.
func pcValue(v int, zero bool) (int, bool) {
	if v > 0 || zero {
		return v, true
	}
	return 0, false
}

func hasChild(level []*policyNode, parent *policyNode, pol string) bool {
	for _, n := range level {
		if n.parent == parent && n.policy == pol {
			return true
		}
	}
	return false
}

// prune deletes nodes above depth i that have no children, level by level (§6.1.3(d)(3)).
func prune(levels [][]*policyNode, i int) {
	for k := i - 1; k >= 0; k-- {
		var keep []*policyNode
		for _, node := range levels[k] {
			if node.children > 0 {
				keep = append(keep, node)
			} else if node.parent != nil {
				node.parent.children--
			}
		}
		levels[k] = keep
	}
	if len(levels[0]) == 0 {
		for k := range levels {
			levels[k] = nil
		}
	}
}

// applyMappings is §6.1.4(b).
func applyMappings(levels [][]*policyNode, i int, maps []x509.PolicyMapping, allowed bool) {
	targets := map[string]map[string]bool{}
	for _, m := range maps {
		from := m.IssuerDomainPolicy.String()
		if targets[from] == nil {
			targets[from] = map[string]bool{}
		}
		targets[from][m.SubjectDomainPolicy.String()] = true
	}
	for from, to := range targets {
		if !allowed {
			var keep []*policyNode
			for _, node := range levels[i] {
				if node.policy == from {
					node.parent.children--
					continue
				}
				keep = append(keep, node)
			}
			levels[i] = keep
			continue
		}
		found := false
		for _, node := range levels[i] {
			if node.policy == from {
				node.expected = to
				found = true
			}
		}
		if !found {
			for _, node := range levels[i] {
				if node.policy == anyPolicy {
					levels[i] = append(levels[i], &policyNode{policy: from, expected: to, parent: node.parent})
					node.parent.children++
					break
				}
			}
		}
	}
}
