package acme_test

import (
	"strings"
	"testing"

	"github.com/anchorpki/anchor/acme"
)

func TestDecodeStrict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         string
		wantDetail string // substring of the malformed detail; "" means success
	}{
		{"valid", `{"identifiers":[{"type":"dns","value":"a.example"}]}`, ""},
		{"unknown fields are ignored", `{"identifiers":[],"extension":{"x":[1,2]}}`, ""},
		{"surrounding whitespace", " \n{\"identifiers\":[]}\r\n\t", ""},
		{"empty", ``, "empty"},
		{"only whitespace", "  \n", "empty"},
		{"null", `null`, "not a JSON object"},
		{"array", `[{"identifiers":[]}]`, "not a JSON object"},
		{"string", `"x"`, "not a JSON object"},
		{"wrong type of array", `{"identifiers":{"type":"dns"}}`, `field "identifiers" must be an array, not a JSON object`},
		{"wrong type nested", `{"identifiers":[{"type":"dns","value":7}]}`, `"identifiers.value" must be a string, not a JSON number`},
		{"wrong type of time", `{"identifiers":[],"notBefore":5}`, "timestamp is not an RFC 3339 string"},
		{"bad timestamp", `{"identifiers":[],"notAfter":"tomorrow"}`, "RFC 3339"},
		{"trailing object", `{"identifiers":[]}{}`, "unexpected data after the JSON object"},
		{"trailing garbage", `{"identifiers":[]} x`, "unexpected data after the JSON object"},
		{"truncated", `{"identifiers":[`, "truncated"},
		{"syntax error", `{"identifiers":[}`, "invalid JSON at offset"},
		{"invalid UTF-8 is replaced, not an error", "{\"profile\":\"\xff\",\"identifiers\":[]}", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r acme.NewOrderRequest
			err := acme.DecodeStrict([]byte(tc.in), &r)
			if tc.wantDetail == "" {
				if err != nil {
					t.Fatalf("DecodeStrict(%q) = %v, want success", tc.in, err)
				}
				return
			}
			wantMalformed(t, err)
			if !strings.Contains(err.Error(), tc.wantDetail) {
				t.Fatalf("DecodeStrict(%q) = %v, want detail containing %q", tc.in, err, tc.wantDetail)
			}
		})
	}
	t.Run("wrong types in other bodies", func(t *testing.T) {
		t.Parallel()
		var rr acme.RevokeRequest
		err := acme.DecodeStrict([]byte(`{"certificate":"AA","reason":"keyCompromise"}`), &rr)
		if wantMalformed(t, err); !strings.Contains(err.Error(), `field "reason" must be an integer`) {
			t.Fatalf("reason as string: %v", err)
		}
		var ar acme.NewAccountRequest
		err = acme.DecodeStrict([]byte(`{"termsOfServiceAgreed":"yes"}`), &ar)
		if wantMalformed(t, err); !strings.Contains(err.Error(), "must be a boolean") {
			t.Fatalf("termsOfServiceAgreed as string: %v", err)
		}
		err = acme.DecodeStrict([]byte(`{"certificate":"AA","reason":1.5}`), &rr)
		wantMalformed(t, err)
	})
	t.Run("not a pointer is the server's bug", func(t *testing.T) {
		t.Parallel()
		if got := problemType(acme.DecodeStrict([]byte(`{}`), acme.NewOrderRequest{})); got != acme.ProblemServerInternal {
			t.Fatalf("non-pointer target: type %q, want serverInternal", got)
		}
	})
}

// fuzzDecode checks the contract of DecodeStrict for one body type: never a panic, and every
// error a malformed *Problem. check runs the type's own validation on what decoded, which must
// also answer only with problems.
func fuzzDecode[T any](f *testing.F, seeds []string, check func(t *testing.T, v *T)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{``, `null`, `{}`, `{"a":1}x`, `[`, `{"`, "{\"\xff\":1}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v T
		if err := acme.DecodeStrict(data, &v); err != nil {
			wantMalformed(t, err)
			return
		}
		check(t, &v)
	})
}

func wantProblem(t *testing.T, err error) {
	t.Helper()
	if err != nil && problemType(err) == "not a problem" {
		t.Fatalf("error %v (%T) is not a *Problem", err, err)
	}
}

func FuzzDecodeNewAccountRequest(f *testing.F) {
	fuzzDecode(f, []string{
		`{"termsOfServiceAgreed":true,"contact":["mailto:a@example.org"]}`,
		`{"onlyReturnExisting":true}`,
		`{"externalAccountBinding":{"protected":"e30","payload":"e30","signature":"AA"}}`,
	}, func(t *testing.T, r *acme.NewAccountRequest) {})
}

func FuzzDecodeNewOrderRequest(f *testing.F) {
	fuzzDecode(f, []string{
		`{"identifiers":[{"type":"dns","value":"www.example.org"},{"type":"ip","value":"2001:db8::1"}],"notBefore":"2016-01-01T00:04:00+04:00"}`,
		`{"identifiers":[{"type":"dns","value":"*.example.org"}],"replaces":"aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE","profile":"p"}`,
	}, func(t *testing.T, r *acme.NewOrderRequest) {
		wantProblem(t, acme.ValidateIdentifiers(r.Identifiers))
		if r.Replaces != "" {
			_, _, err := acme.ParseCertID(r.Replaces)
			wantProblem(t, err)
		}
	})
}

func FuzzDecodeFinalizeRequest(f *testing.F) {
	fuzzDecode(f, []string{`{"csr":"MIIBPTCBxAIBADBFMQ"}`, `{"csr":"AP-_"}`}, func(t *testing.T, r *acme.FinalizeRequest) {
		_, err := r.DER()
		wantProblem(t, err)
	})
}

func FuzzDecodeRevokeRequest(f *testing.F) {
	fuzzDecode(f, []string{`{"certificate":"MIIEDTCCAvegAwIBAgIRAP8","reason":4}`, `{"certificate":"AA"}`}, func(t *testing.T, r *acme.RevokeRequest) {
		_, err := r.DER()
		wantProblem(t, err)
		_, err = r.RevocationReason()
		wantProblem(t, err)
	})
}

func FuzzDecodeKeyChangeRequest(f *testing.F) {
	fuzzDecode(f, []string{
		`{"account":"https://example.com/acme/acct/evOfKhNU60wg","oldKey":{"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}}`,
	}, func(t *testing.T, r *acme.KeyChangeRequest) {})
}
