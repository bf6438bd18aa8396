package acme_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// rfc7638Key is the RSA key of RFC 7638 §3.1 (from RFC 7517 appendix A.1).
const rfc7638Key = `{
  "kty": "RSA",
  "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
  "e": "AQAB",
  "alg": "RS256",
  "kid": "2011-04-29"
}`

func TestThumbprintRFC7638(t *testing.T) {
	t.Parallel()
	var jwk jose.JSONWebKey
	if err := json.Unmarshal([]byte(rfc7638Key), &jwk); err != nil {
		t.Fatal(err)
	}
	got, err := acme.Thumbprint(&jwk)
	if want := "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; err != nil || got != want {
		t.Fatalf("Thumbprint(RFC 7638 §3.1 key) = %q, %v; want %q", got, err, want)
	}
	// RFC 8555 §8.1: token "." base64url(thumbprint).
	ka, err := acme.KeyAuthorization("DGyRejmCefe7v4NfDGDKfA", &jwk)
	if want := "DGyRejmCefe7v4NfDGDKfA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; err != nil || ka != want {
		t.Fatalf("KeyAuthorization = %q, %v; want %q", ka, err, want)
	}
}

func TestKeyAuthorizationErrors(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := &jose.JSONWebKey{Key: key.Public()}
	for _, token := range []string{"", "../../etc/passwd", "a.b", "abc=", "a b", "tok\n"} {
		if _, err := acme.KeyAuthorization(token, jwk); problemType(err) != acme.ProblemMalformed {
			t.Errorf("KeyAuthorization(%q) error = %v, want malformed", token, err)
		}
	}
	for _, k := range []*jose.JSONWebKey{nil, {}, {Key: "not a key"}} {
		if _, err := acme.KeyAuthorization("token", k); problemType(err) != acme.ProblemBadPublicKey {
			t.Errorf("KeyAuthorization with key %#v: error %v, want badPublicKey", k, err)
		}
	}
	// The private key gives the same thumbprint as its public half.
	a, _ := acme.Thumbprint(&jose.JSONWebKey{Key: key})
	b, _ := acme.Thumbprint(jwk)
	if a != b || a == "" {
		t.Fatalf("private %q, public %q", a, b)
	}
}

// TestAgainstXCryptoACME computes every challenge response with this package and with
// golang.org/x/crypto/acme for the same account key; clients built on it must agree with us.
func TestAgainstXCryptoACME(t *testing.T) {
	t.Parallel()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"ecdsa": ec, "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			const token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA" // RFC 8555 §8.3
			client := &xacme.Client{Key: key}
			jwk := &jose.JSONWebKey{Key: key.Public()}

			tp, err := acme.Thumbprint(jwk)
			if xtp, xerr := xacme.JWKThumbprint(key.Public()); err != nil || xerr != nil || tp != xtp {
				t.Fatalf("Thumbprint = %q, %v; x/crypto %q, %v", tp, err, xtp, xerr)
			}
			ka, err := acme.KeyAuthorization(token, jwk)
			if err != nil {
				t.Fatal(err)
			}
			if xka, _ := client.HTTP01ChallengeResponse(token); string(acme.HTTP01Body(ka)) != xka {
				t.Fatalf("http-01 body %q, x/crypto %q", acme.HTTP01Body(ka), xka)
			}
			if xp := client.HTTP01ChallengePath(token); acme.HTTP01Path(token) != xp {
				t.Fatalf("http-01 path %q, x/crypto %q", acme.HTTP01Path(token), xp)
			}
			if xtxt, _ := client.DNS01ChallengeRecord(token); acme.DNS01TXT(ka) != xtxt {
				t.Fatalf("dns-01 TXT %q, x/crypto %q", acme.DNS01TXT(ka), xtxt)
			}

			tlsCert, err := client.TLSALPN01ChallengeCert(token, "www.example.org")
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(tlsCert.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			ours := acme.TLSALPN01Extension(ka)
			found := false
			for _, e := range leaf.Extensions {
				if e.Id.Equal(acme.OIDACMEIdentifier) {
					found = true
					if e.Critical != ours.Critical || !bytes.Equal(e.Value, ours.Value) {
						t.Fatalf("acmeIdentifier: x/crypto %+v, ours %+v", e, ours)
					}
				}
			}
			if !found {
				t.Fatal("x/crypto's certificate has no acmeIdentifier extension")
			}
		})
	}
}

func TestChallengeValues(t *testing.T) {
	t.Parallel()
	const ka = "DGyRejmCefe7v4NfDGDKfA.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
	sum := sha256.Sum256([]byte(ka))
	if got := acme.DNS01TXT(ka); got != base64.RawURLEncoding.EncodeToString(sum[:]) || len(got) != 43 {
		t.Fatalf("DNS01TXT = %q", got)
	}
	if got := acme.DNS01Name("*.example.org"); got != "_acme-challenge.example.org" {
		t.Fatalf("DNS01Name(wildcard) = %q", got)
	}
	if got := acme.DNS01Name("www.example.org"); got != "_acme-challenge.www.example.org" {
		t.Fatalf("DNS01Name = %q", got)
	}
	// RFC 8737 §3: critical id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31) holding an OCTET STRING
	// of the SHA-256 digest, negotiated as "acme-tls/1".
	ext := acme.TLSALPN01Extension(ka)
	var digest []byte
	rest, err := asn1.Unmarshal(ext.Value, &digest)
	if err != nil || len(rest) != 0 || !bytes.Equal(digest, sum[:]) {
		t.Fatalf("extension value %x does not decode to the digest: %v", ext.Value, err)
	}
	if ext.Id.String() != "1.3.6.1.5.5.7.1.31" || !ext.Critical || acme.ALPNProto != "acme-tls/1" {
		t.Fatalf("extension %+v, ALPN %q", ext, acme.ALPNProto)
	}
	if !strings.HasPrefix(acme.HTTP01Path("tok"), "/.well-known/acme-challenge/") {
		t.Fatal(acme.HTTP01Path("tok"))
	}
}
