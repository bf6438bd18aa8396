package acme_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/anchorpki/anchor/acme"
)

// roundTrip decodes an RFC example into v with DecodeStrict, encodes v again and checks that no
// field was lost or renamed: the re-encoded object must equal the example, less the members
// that omitempty drops (false booleans), which the caller lists in omitted.
func roundTrip(t *testing.T, example string, v any, omitted ...string) {
	t.Helper()
	if err := acme.DecodeStrict([]byte(example), v); err != nil {
		t.Fatalf("DecodeStrict(RFC example): %v", err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var want, got map[string]any
	if err := json.Unmarshal([]byte(example), &want); err != nil {
		t.Fatalf("example is not JSON: %v", err)
	}
	for _, k := range omitted {
		delete(want, k)
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the object:\n got %s\nwant %s", out, example)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// RFC 8555 §7.1.1, with RFC 9773 §3's renewalInfo and a profiles map.
const directoryExample = `{
  "newNonce": "https://example.com/acme/new-nonce",
  "newAccount": "https://example.com/acme/new-account",
  "newOrder": "https://example.com/acme/new-order",
  "newAuthz": "https://example.com/acme/new-authz",
  "revokeCert": "https://example.com/acme/revoke-cert",
  "keyChange": "https://example.com/acme/key-change",
  "renewalInfo": "https://example.com/acme/renewal-info",
  "meta": {
    "termsOfService": "https://example.com/acme/terms/2017-5-30",
    "website": "https://www.example.com/",
    "caaIdentities": ["example.com"],
    "externalAccountRequired": true,
    "profiles": {"classic": "The same profile you're accustomed to", "tlsserver": "Server auth only"}
  }
}`

func TestDirectoryJSON(t *testing.T) {
	t.Parallel()
	var d acme.Directory
	roundTrip(t, directoryExample, &d)
	if d.NewAuthz != "https://example.com/acme/new-authz" || d.RenewalInfo != "https://example.com/acme/renewal-info" ||
		d.Meta == nil || !d.Meta.ExternalAccountRequired || d.Meta.CAAIdentities[0] != "example.com" || len(d.Meta.Profiles) != 2 {
		t.Fatalf("decoded %+v", d)
	}
	// A server without pre-authorization must not advertise an empty newAuthz URL.
	out, _ := json.Marshal(acme.Directory{NewNonce: "n"})
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	for _, k := range []string{"newAuthz", "renewalInfo", "meta"} {
		if _, ok := m[k]; ok {
			t.Errorf("empty %s is encoded: %s", k, out)
		}
	}
}

func TestAccountJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.1.2.
	const example = `{
     "status": "valid",
     "contact": [
       "mailto:cert-admin@example.org",
       "mailto:admin@example.org"
     ],
     "termsOfServiceAgreed": true,
     "orders": "https://example.com/acme/orders/rzGoeA"
   }`
	var a acme.Account
	roundTrip(t, example, &a)
	if a.Status != acme.StatusValid || len(a.Contact) != 2 || !a.TermsOfServiceAgreed {
		t.Fatalf("decoded %+v", a)
	}
}

func TestNewAccountRequestJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.3 and §7.3.4 (the binding's JWS abbreviated, but complete JSON).
	const example = `{
     "termsOfServiceAgreed": true,
     "contact": ["mailto:cert-admin@example.org", "mailto:admin@example.org"],
     "onlyReturnExisting": true,
     "externalAccountBinding": {
       "protected": "eyJhbGciOiJIUzI1NiJ9",
       "payload": "eyJrdHkiOiJFQyJ9",
       "signature": "5TJbbK_2L8sXbOzQBBk2L-oC_6bEIy6ZLWkWqSOEO5E"
     }
   }`
	var r acme.NewAccountRequest
	roundTrip(t, example, &r)
	var eab struct{ Protected, Payload, Signature string }
	if err := json.Unmarshal(r.ExternalAccountBinding, &eab); err != nil || eab.Protected != "eyJhbGciOiJIUzI1NiJ9" {
		t.Fatalf("externalAccountBinding kept as %s (%v)", r.ExternalAccountBinding, err)
	}
}

func TestOrderJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.1.3, with RFC 9773 §5's replaces and a profile.
	const example = `{
     "status": "valid",
     "expires": "2016-01-20T14:09:07.99Z",
     "identifiers": [
       { "type": "dns", "value": "www.example.org" },
       { "type": "dns", "value": "example.org" }
     ],
     "notBefore": "2016-01-01T00:00:00Z",
     "notAfter": "2016-01-08T00:00:00Z",
     "authorizations": [
       "https://example.com/acme/authz/PAniVnsZcis",
       "https://example.com/acme/authz/r4HqLzrSrpI"
     ],
     "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize",
     "certificate": "https://example.com/acme/cert/mAt3xBGaobw",
     "replaces": "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
     "profile": "tlsserver"
   }`
	var o acme.Order
	roundTrip(t, example, &o)
	if !o.NotBefore.Equal(mustTime(t, "2016-01-01T00:00:00Z")) || o.Identifiers[1].Value != "example.org" {
		t.Fatalf("decoded %+v", o)
	}
	// An invalid order carries its error as a problem document.
	const failed = `{"status":"invalid","identifiers":[],"authorizations":[],"finalize":"f",
	  "error":{"type":"urn:ietf:params:acme:error:caa","detail":"CAA forbids","status":403}}`
	var f acme.Order
	roundTrip(t, failed, &f)
	if f.Error == nil || f.Error.Type != acme.ProblemCAA {
		t.Fatalf("error decoded as %+v", f.Error)
	}
}

func TestNewOrderRequestJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.4.
	const example = `{
     "identifiers": [
       { "type": "dns", "value": "www.example.org" },
       { "type": "dns", "value": "example.org" }
     ],
     "notBefore": "2016-01-01T00:04:00+04:00",
     "notAfter": "2016-01-08T00:04:00+04:00"
   }`
	var r acme.NewOrderRequest
	roundTrip(t, example, &r)
	if err := acme.ValidateIdentifiers(r.Identifiers); err != nil {
		t.Fatalf("RFC example identifiers: %v", err)
	}
	if !r.NotBefore.Equal(mustTime(t, "2015-12-31T20:04:00Z")) {
		t.Fatalf("notBefore = %v", r.NotBefore)
	}
}

func TestAuthorizationJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.1.4; "wildcard": false is omitted on the way out.
	const example = `{
     "status": "valid",
     "expires": "2015-03-01T14:09:07.99Z",
     "identifier": {
       "type": "dns",
       "value": "www.example.org"
     },
     "challenges": [
       {
         "url": "https://example.com/acme/chall/prV_B7yEyA4",
         "type": "http-01",
         "status": "valid",
         "token": "DGyRejmCefe7v4NfDGDKfA",
         "validated": "2014-12-01T12:05:58.16Z"
       }
     ],
     "wildcard": false
   }`
	var a acme.Authorization
	roundTrip(t, example, &a, "wildcard")
	c := a.Challenges[0]
	if c.Type != acme.ChallengeHTTP01 || c.Status != acme.StatusValid || !c.Validated.Equal(mustTime(t, "2014-12-01T12:05:58.16Z")) {
		t.Fatalf("challenge decoded as %+v", c)
	}
	// A pending challenge has not been validated and must not claim a zero time.
	out, _ := json.Marshal(acme.Challenge{Type: acme.ChallengeDNS01, URL: "u", Status: acme.StatusPending, Token: "t"})
	if want := `{"type":"dns-01","url":"u","status":"pending","token":"t"}`; string(out) != want {
		t.Fatalf("pending challenge = %s, want %s", out, want)
	}
}

func TestKeyChangeRequestJSON(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.3.5, with a concrete old key.
	const example = `{
     "account": "https://example.com/acme/acct/evOfKhNU60wg",
     "oldKey": {"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}
   }`
	var r acme.KeyChangeRequest
	roundTrip(t, example, &r)
	if r.Account != "https://example.com/acme/acct/evOfKhNU60wg" || len(r.OldKey) == 0 {
		t.Fatalf("decoded %+v", r)
	}
}

func TestRenewalInfoJSON(t *testing.T) {
	t.Parallel()
	// RFC 9773 §4.2.
	const example = `{
     "suggestedWindow": {
       "start": "2025-01-02T04:00:00Z",
       "end": "2025-01-03T04:00:00Z"
     },
     "explanationURL": "https://acme.example.com/docs/ari"
   }`
	var ri acme.RenewalInfo
	roundTrip(t, example, &ri)
	if !ri.SuggestedWindow.End.After(ri.SuggestedWindow.Start) {
		t.Fatalf("decoded %+v", ri)
	}
}

func TestFinalizeRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		csr     string
		want    []byte
		wantErr bool
	}{
		{"unpadded base64url", "AP-_", []byte{0x00, 0xff, 0xbf}, false},
		{"padded", "AP8=", nil, true},
		{"standard alphabet", "AP+/", nil, true},
		{"non-canonical trailing bits", "AP9", nil, true},
		{"empty", "", nil, true},
		{"whitespace", "AP-_\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := acme.FinalizeRequest{CSR: tc.csr}.DER()
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DER(%q) = %x, %v; want %x, error %v", tc.csr, got, err, tc.want, tc.wantErr)
			}
			if err != nil {
				wantMalformed(t, err)
			}
		})
	}
}

func TestRevokeRequest(t *testing.T) {
	t.Parallel()
	// RFC 8555 §7.6, with a complete (if tiny) base64url value.
	var r acme.RevokeRequest
	roundTrip(t, `{"certificate": "MIIEDTCCAvegAwIBAgIRAP8", "reason": 4}`, &r)
	if der, err := r.DER(); err != nil || len(der) != 17 {
		t.Fatalf("DER() = %x, %v", der, err)
	}
	ptr := func(i int) *int { return &i }
	tests := []struct {
		name    string
		reason  *int
		want    int
		wantErr acme.ProblemType
	}{
		{"absent is unspecified", nil, 0, ""},
		{"superseded", ptr(4), 4, ""},
		{"keyCompromise", ptr(1), 1, ""},
		{"unused code 7", ptr(7), 0, acme.ProblemBadRevocationReason},
		{"negative", ptr(-1), 0, acme.ProblemBadRevocationReason},
		{"huge", ptr(1 << 40), 0, acme.ProblemBadRevocationReason},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := acme.RevokeRequest{Reason: tc.reason}.RevocationReason()
			if problemType(err) != tc.wantErr || int(got) != tc.want {
				t.Fatalf("RevocationReason() = %v, %v; want %d, %q", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
