package acmeserver

import (
	"testing"
)

// FuzzParseFlattened feeds arbitrary bodies to the JWS front door: it must refuse with a
// problem or accept, never panic, and never accept an algorithm outside the list.
func FuzzParseFlattened(f *testing.F) {
	f.Add([]byte(`{"protected":"eyJhbGciOiJFUzI1NiJ9","payload":"","signature":"AA"}`))
	f.Add([]byte(`{"protected":"eyJhbGciOiJub25lIn0","payload":"e30","signature":""}`))
	f.Add([]byte(`{"signatures":[]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		jws, hdr, err := parseFlattened(body)
		if err != nil {
			if jws != nil || hdr != nil {
				t.Fatal("an error with a result")
			}
			return
		}
		if !validAlgorithm(hdr.Alg) || len(jws.Signatures) != 1 {
			t.Fatalf("accepted alg %q with %d signatures", hdr.Alg, len(jws.Signatures))
		}
	})
}

// FuzzParseAccountKey: any JWK either parses to a supported public key matching its
// algorithm, or is refused.
func FuzzParseAccountKey(f *testing.F) {
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRjm9Ht8IEI8PmS19HeFMrFTv7ZpB-zdT3RHeKE"}`), "ES256")
	f.Add([]byte(`{"kty":"oct","k":"AAAA"}`), "HS256")
	f.Fuzz(func(t *testing.T, raw []byte, alg string) {
		jwk, err := parseAccountKey(raw, alg)
		if err == nil && (jwk == nil || !jwk.IsPublic()) {
			t.Fatal("accepted a key that is not public")
		}
	})
}
