package restapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// certificate is one inventory record as the API shows it.
type certificate struct {
	Serial      string     `json:"serial"`
	Status      string     `json:"status"` // valid, revoked, expired, pending
	Profile     string     `json:"profile"`
	Subject     string     `json:"subject"`
	SANs        []string   `json:"sans"`
	NotBefore   time.Time  `json:"not_before"`
	NotAfter    time.Time  `json:"not_after"`
	IssuerKeyID string     `json:"issuer_key_id"`
	Requester   string     `json:"requester"`
	CreatedAt   time.Time  `json:"created_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	Reason      string     `json:"reason,omitempty"` // RFC 5280 name, when revoked
	SHA256      string     `json:"sha256,omitempty"` // of the DER, when issued
	Certificate string     `json:"certificate,omitempty"`
}

// view renders a record. Expiry is derived, as the store does: RFC 5280 §4.1.2.5 makes
// notAfter the last valid instant, so a certificate is expired only after it. A revoked
// certificate stays "revoked" after it expires: that is the more important fact.
func view(c store.Certificate, now time.Time, withPEM bool) certificate {
	v := certificate{
		Serial: hex.EncodeToString(c.Serial.Bytes()), Status: string(c.Status), Profile: c.Profile,
		Subject: c.Subject, SANs: c.SANs, NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		IssuerKeyID: hex.EncodeToString(c.IssuerKeyID), Requester: c.Requester, CreatedAt: c.CreatedAt.UTC(),
	}
	if v.SANs == nil {
		v.SANs = []string{}
	}
	if c.Status == store.StatusValid && now.After(c.NotAfter) {
		v.Status = "expired"
	}
	if c.Status == store.StatusRevoked {
		at := c.RevokedAt.UTC()
		v.RevokedAt, v.Reason = &at, revocation.Reason(c.RevocationReason).String()
	}
	if len(c.DER) > 0 {
		sum := sha256.Sum256(c.DER)
		v.SHA256 = hex.EncodeToString(sum[:])
		if withPEM {
			v.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER}))
		}
	}
	return v
}

func (a *API) get(w http.ResponseWriter, r *http.Request, ev *event) error {
	if _, err := a.authorize(w, r, ev, apitoken.ScopeRead); err != nil {
		return err
	}
	serial, err := parseSerial(r.PathValue("serial"))
	if err != nil {
		return err
	}
	ev.serial = hex.EncodeToString(serial.Bytes())
	found, err := a.o.Inventory.FindBySerial(r.Context(), serial)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return problemf(TypeNotFound, "no certificate with serial %s", ev.serial)
	}
	// The root and intermediate are in the inventory too, under other issuers; with the
	// (astronomically unlikely) same serial under two issuers, the intermediate's leaf wins.
	rec := found[0]
	keyID := a.o.Authority.Issuer().KeyID()
	for _, c := range found {
		if bytes.Equal(c.IssuerKeyID, keyID) {
			rec = c
			break
		}
	}
	writeJSON(w, http.StatusOK, view(rec, a.o.Now(), true))
	return nil
}

// subjectString renders a DER Name as the inventory does.
func subjectString(der []byte) string {
	var rdn pkix.RDNSequence
	if _, err := asn1.Unmarshal(der, &rdn); err != nil {
		return ""
	}
	return names.FormatSubject(rdn)
}
