package restapi

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/anchorpki/anchor/apitoken"
	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/names"
)

// createRequest is the body of POST /api/v1/certificates.
type createRequest struct {
	CSR     string `json:"csr"`     // PEM, or base64 of the DER
	Profile string `json:"profile"` // server (default) or client
	Days    int    `json:"days"`    // 0: the profile's default validity
}

// maxDays bounds "days" before it becomes a time.Duration; the profiles allow far less, and
// say so in their own error.
const maxDays = 100 * 365

// issuedCertificate is the body of a 201.
type issuedCertificate struct {
	Serial      string    `json:"serial"`
	Certificate string    `json:"certificate"` // PEM
	Chain       string    `json:"chain"`       // PEM, issuer first, root excluded
	Subject     string    `json:"subject"`
	SANs        []string  `json:"sans"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	Profile     string    `json:"profile"`
	SHA256      string    `json:"sha256"` // of the DER, lowercase hex
}

func (a *API) issue(w http.ResponseWriter, r *http.Request, ev *event) error {
	// Authenticate before reading the body, so an anonymous client cannot make the server
	// buffer and parse a megabyte.
	p, err := a.authorize(w, r, ev, apitoken.ScopeIssue)
	if err != nil {
		return err
	}
	body, err := readBody(w, r, a.o.MaxBodyBytes)
	if err != nil {
		return err
	}
	var in createRequest
	if err := decodeJSON(body, &in, false); err != nil {
		return err
	}
	req, err := a.caRequest(in)
	if err != nil {
		return err
	}
	if why := p.refusal(req.names); why != "" {
		return problemf(TypeForbidden, "%s %s", p.what, why)
	}
	req.Requester = p.requester
	issued, err := a.o.Authority.Issue(r.Context(), req.Request)
	if err != nil {
		return err
	}
	ev.serial = issued.Serial
	w.Header().Set("Location", "/api/v1/certificates/"+issued.Serial)
	writeJSON(w, http.StatusCreated, issuedBody(issued))
	return nil
}

// checkedRequest is a ca.Request with every name it would certify, for the principal's check.
type checkedRequest struct {
	ca.Request
	names []string
}

// caRequest validates a create request in the order a client fixes it: the envelope, the
// profile, then the CSR.
func (a *API) caRequest(in createRequest) (checkedRequest, error) {
	if in.Profile == "" {
		in.Profile = issuance.Server.Name
	}
	if !slices.Contains(issuance.LeafProfiles(), in.Profile) {
		if _, err := issuance.ProfileByName(in.Profile); err != nil {
			return checkedRequest{}, problemf(TypeBadProfile, "unknown profile %q: use %s", in.Profile, strings.Join(issuance.LeafProfiles(), " or "))
		}
		return checkedRequest{}, problemf(TypeBadProfile, "profile %q cannot be requested: use %s", in.Profile, strings.Join(issuance.LeafProfiles(), " or "))
	}
	if in.Days < 0 || in.Days > maxDays {
		return checkedRequest{}, problemf(TypeMalformed, "days must be between 1 and %d, or 0 (or absent) for the profile's default", maxDays)
	}
	if strings.TrimSpace(in.CSR) == "" {
		return checkedRequest{}, newProblem(TypeMalformed, `"csr" is required: a PKCS#10 request, PEM or base64-encoded DER`)
	}
	data := []byte(in.CSR)
	if !strings.Contains(in.CSR, "-----BEGIN") {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(in.CSR))
		if err != nil {
			if der, err = base64.RawURLEncoding.DecodeString(strings.TrimSpace(in.CSR)); err != nil {
				return checkedRequest{}, newProblem(TypeBadCSR, `"csr" is neither PEM nor base64-encoded DER`)
			}
		}
		data = der
	}
	parsed, err := csr.Parse(data)
	if err != nil {
		return checkedRequest{}, err
	}
	req := ca.RequestFromCSR(parsed, in.Profile)
	if in.Days > 0 {
		// Exactly the days asked for, backdating included, so a profile's maximum fits.
		req.NotBefore, req.NotAfter = issuance.Lifetime(a.o.Now(), in.Days)
	}
	return checkedRequest{Request: req, names: csrNames(parsed)}, nil
}

// csrNames lists every name a certificate from this CSR would carry: all SANs and every common
// name. x509's Subject.CommonName is only the last CN; a CSR with two would otherwise carry an
// unchecked name into the certificate, where legacy clients still read it.
func csrNames(c *x509.CertificateRequest) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	out = append(out, c.EmailAddresses...)
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	cn := asn1.ObjectIdentifier{2, 5, 4, 3}
	for _, atv := range c.Subject.Names {
		if !atv.Type.Equal(cn) {
			continue
		}
		s, ok := atv.Value.(string)
		if !ok {
			s = "CN of a non-string type"
		}
		if !slices.ContainsFunc(out, func(n string) bool { return strings.EqualFold(n, s) }) {
			out = append(out, s)
		}
	}
	return out
}

func issuedBody(c *ca.Issued) issuedCertificate {
	sum := sha256.Sum256(c.DER)
	var chain strings.Builder
	for _, ic := range c.Chain {
		chain.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ic.Raw}))
	}
	sans := names.SANs{DNS: c.Certificate.DNSNames, IP: c.Certificate.IPAddresses,
		Email: c.Certificate.EmailAddresses, URI: c.Certificate.URIs}.Strings()
	return issuedCertificate{
		Serial:      c.Serial,
		Certificate: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.DER})),
		Chain:       chain.String(),
		Subject:     subjectString(c.Certificate.RawSubject),
		SANs:        sans,
		NotBefore:   c.Certificate.NotBefore.UTC(),
		NotAfter:    c.Certificate.NotAfter.UTC(),
		Profile:     c.Profile,
		SHA256:      hex.EncodeToString(sum[:]),
	}
}
