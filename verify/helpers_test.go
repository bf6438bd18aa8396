package verify

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"sync"
	"testing"
)

var (
	rsaOnce sync.Once
	rsaKeys []*rsa.PrivateKey
)

// rsaKey returns one of a few RSA-2048 keys generated once per test binary, since RSA key
// generation dominates the run time otherwise.
func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		for i := 0; i < 3; i++ {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys = append(rsaKeys, k)
		}
	})
	rsaMu.Lock()
	defer rsaMu.Unlock()
	rsaNext++
	return rsaKeys[rsaNext%len(rsaKeys)]
}

var (
	rsaMu   sync.Mutex
	rsaNext int
)

func policyOIDs(s ...string) []x509.OID {
	var out []x509.OID
	for _, o := range s {
		oid, err := x509.ParseOID(o)
		if err != nil {
			panic(err)
		}
		out = append(out, oid)
	}
	return out
}

// policyConstraintsExt is requireExplicitPolicy 0.
func policyConstraintsExt(critical bool) pkix.Extension {
	v, err := asn1.Marshal(struct {
		Require asn1.RawValue
	}{asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: []byte{0}}})
	if err != nil {
		panic(err)
	}
	return pkix.Extension{Id: oidPolicyConstraints, Critical: critical, Value: v}
}
