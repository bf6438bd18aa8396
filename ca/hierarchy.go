package ca

import (
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/store"
)

// HierarchyOptions describe a new root and intermediate.
type HierarchyOptions struct {
	Name                 string          // e.g. "Example Corp"; the CNs become "<Name> Root CA" and "<Name> Intermediate CA"
	KeyType              keys.Type       // zero: keys.DefaultType
	RootValidity         time.Duration   // zero: issuance.Root.DefaultValidity
	IntermediateValidity time.Duration   // zero: issuance.Intermediate.DefaultValidity
	PermittedDNS         []string        // name constraints on the intermediate
	BaseURL              string          // public base URL: AIA/CRL pointers for the intermediate and its leaves
	Linter               issuance.Linter // required outside tests of this package
	Inventory            Inventory       // where root and intermediate are recorded; required
	Rand                 io.Reader
	Now                  func() time.Time
	Progress             func(stage string) // nil: silent; called before each slow step (key generation)
}

// Hierarchy is a root and the intermediate it signed, with their keys.
type Hierarchy struct {
	Root            *x509.Certificate
	RootKey         crypto.Signer
	Intermediate    *x509.Certificate
	IntermediateKey crypto.Signer
}

// DefaultName is the CA name when none is given.
const DefaultName = "Anchor"

// NewHierarchy creates the keys and certificates of a two-level CA and records both certificates
// in the inventory (the root under its own key id, the intermediate under the root's).
func NewHierarchy(ctx context.Context, o HierarchyOptions) (*Hierarchy, error) {
	if o.Inventory == nil {
		return nil, errors.New("ca: HierarchyOptions.Inventory is required")
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.KeyType == "" {
		o.KeyType = keys.DefaultType
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := o.checkURL(); err != nil {
		return nil, err
	}
	progress := o.Progress
	if progress == nil {
		progress = func(string) {}
	}
	progress(fmt.Sprintf("generating root key (%s)", o.KeyType))
	rootKey, err := keys.Generate(o.KeyType, o.Rand)
	if err != nil {
		return nil, fmt.Errorf("ca: generating root key: %w", err)
	}
	progress(fmt.Sprintf("generating intermediate key (%s)", o.KeyType))
	intKey, err := keys.Generate(o.KeyType, o.Rand)
	if err != nil {
		return nil, fmt.Errorf("ca: generating intermediate key: %w", err)
	}
	progress("signing certificates")

	selfIss, err := issuance.NewSelfSigned(rootKey, issuance.Options{Linter: o.Linter, Rand: o.Rand, Now: o.Now})
	if err != nil {
		return nil, err
	}
	rootDER, err := o.issue(ctx, selfIss, nil, issuance.Request{
		PublicKey: rootKey.Public(), Subject: caSubject(o.Name, "Root CA"), Profile: issuance.Root,
		NotAfter: notAfter(o.Now, o.RootValidity),
	}, rootKey.Public())
	if err != nil {
		return nil, fmt.Errorf("ca: root certificate: %w", err)
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	rootIss, err := issuance.New(issuance.Options{Cert: root, Signer: rootKey, Linter: o.Linter, Rand: o.Rand, Now: o.Now,
		CRLURL: o.url("/crl/root.crl"), CAIssuersURL: o.url("/ca/root.crt")})
	if err != nil {
		return nil, err
	}
	intDER, err := o.issue(ctx, rootIss, root, issuance.Request{
		PublicKey: intKey.Public(), Subject: caSubject(o.Name, "Intermediate CA"), Profile: issuance.Intermediate,
		NotAfter: notAfter(o.Now, o.IntermediateValidity), PermittedDNS: o.PermittedDNS,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("ca: intermediate certificate: %w", err)
	}
	inter, err := x509.ParseCertificate(intDER)
	if err != nil {
		return nil, err
	}
	return &Hierarchy{Root: root, RootKey: rootKey, Intermediate: inter, IntermediateKey: intKey}, nil
}

// issue is Issue for CA certificates: prepare, reserve, sign, record.
func (o *HierarchyOptions) issue(ctx context.Context, iss *issuance.Issuer, issuerCert *x509.Certificate, req issuance.Request, selfPub crypto.PublicKey) ([]byte, error) {
	serial, err := issuance.NewSerial(randOrDefault(o.Rand))
	if err != nil {
		return nil, err
	}
	req.Serial = serial
	prep, err := iss.Prepare(req)
	if err != nil {
		return nil, err
	}
	keyID := iss.KeyID()
	if selfPub != nil { // a root is recorded under its own key id
		if keyID, err = keys.SubjectKeyID(selfPub); err != nil {
			return nil, err
		}
	}
	c := store.Certificate{IssuerKeyID: keyID, Serial: serial, Subject: subjectString(req.Subject),
		NotBefore: prep.NotBefore, NotAfter: prep.NotAfter, Profile: req.Profile.Name, Requester: "ca init",
		Status: store.StatusPending, TBS: prep.TBS, CreatedAt: o.Now()}
	if err := o.Inventory.Reserve(ctx, c); err != nil {
		return nil, fmt.Errorf("reserving serial %x: %w", serial, err)
	}
	der, err := iss.Sign(prep)
	if err != nil {
		return nil, err
	}
	if err := o.Inventory.RecordIssued(ctx, keyID, serial, der); err != nil {
		return nil, fmt.Errorf("recording serial %x: %w", serial, err)
	}
	return der, nil
}

func (o *HierarchyOptions) url(path string) string {
	if o.BaseURL == "" {
		return ""
	}
	return o.BaseURL + path
}

func notAfter(now func() time.Time, d time.Duration) time.Time {
	if d == 0 {
		return time.Time{} // the profile default
	}
	return now().Add(-issuance.Backdate).Add(d)
}

// caSubject is "CN=<name> <role>, O=<name>": the organisation makes the CA recognisable in trust
// store listings, where browsers show O first.
func caSubject(name, role string) []byte {
	rdn := pkix.RDNSequence{
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: name}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: name + " " + role}},
	}
	b, err := asn1.Marshal(rdn)
	if err != nil {
		panic(err) // strings only; cannot fail
	}
	return b
}

// subjectString renders a DER Name for the inventory and logs.
func subjectString(der []byte) string {
	var rdn pkix.RDNSequence
	if len(der) == 0 {
		return ""
	}
	if _, err := asn1.Unmarshal(der, &rdn); err != nil {
		return ""
	}
	return names.FormatSubject(rdn)
}
