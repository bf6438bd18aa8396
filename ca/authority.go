// Package ca is the authority: it decides (policy), prepares and lints (issuance), records the
// intent, signs, and records the result (store), in that order, for every certificate — whether
// the request came from the CLI, the REST API or ACME.
package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/store"
)

// Inventory is what the authority needs from the store: reserve before signing, record after,
// and revoke what it issued.
type Inventory interface {
	Reserve(ctx context.Context, c store.Certificate) error
	RecordIssued(ctx context.Context, issuerKeyID []byte, serial *big.Int, der []byte) error
	Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.Certificate, error)
	Revoke(ctx context.Context, issuerKeyID []byte, serial *big.Int, reason int, at time.Time) error
}

// Options configure an Authority.
type Options struct {
	Inventory Inventory           // required
	Issuer    *issuance.Issuer    // required: the intermediate that signs leaves
	Chain     []*x509.Certificate // what a client needs above the leaf: the intermediate(s), not the root
	Policy    *policy.Policy      // nil: allow anything the profiles allow
	Logger    *slog.Logger        // nil: discard
	Rand      io.Reader           // nil: crypto/rand (serials)
	Now       func() time.Time    // nil: time.Now
	// OnIssued and OnRevoked, when set, are called after a certificate is recorded issued or
	// revoked (metrics, CRL regeneration). They run on the caller's goroutine: keep them fast.
	OnIssued  func(*Issued)
	OnRevoked func(*Revoked)
}

// Authority issues certificates.
type Authority struct {
	o   Options
	log *slog.Logger
}

// New returns an Authority.
func New(o Options) (*Authority, error) {
	if o.Inventory == nil || o.Issuer == nil {
		return nil, errors.New("ca: Options.Inventory and Options.Issuer are required")
	}
	if o.Policy == nil {
		o.Policy = &policy.Policy{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if len(o.Chain) == 0 && o.Issuer.Certificate() != nil {
		o.Chain = []*x509.Certificate{o.Issuer.Certificate()}
	}
	return &Authority{o: o, log: o.Logger}, nil
}

// Issuer is the signing intermediate.
func (a *Authority) Issuer() *issuance.Issuer { return a.o.Issuer }

// Chain is the certificates above a leaf, issuer first, root excluded.
func (a *Authority) Chain() []*x509.Certificate { return a.o.Chain }

// Request is one certificate to issue.
type Request struct {
	PublicKey crypto.PublicKey
	Subject   []byte     // DER Name; nil: empty
	SANs      names.SANs // at least one for the server profile
	Profile   string     // server or client
	NotBefore time.Time  // zero: now (backdated a minute)
	NotAfter  time.Time  // zero: the profile's default
	Requester string     // who asked, for the inventory and the audit log
}

// RequestFromCSR builds a Request from a verified PKCS#10 request: its key, subject and SANs.
func RequestFromCSR(csr *x509.CertificateRequest, profile string) Request {
	return Request{
		PublicKey: csr.PublicKey,
		Subject:   csr.RawSubject,
		SANs:      names.SANs{DNS: csr.DNSNames, IP: csr.IPAddresses, Email: csr.EmailAddresses, URI: csr.URIs},
		Profile:   profile,
	}
}

// Issued is a signed, recorded certificate.
type Issued struct {
	Certificate *x509.Certificate
	DER         []byte
	Chain       []*x509.Certificate // issuer first, root excluded
	Serial      string              // lowercase hex
	Profile     string
	Requester   string
}

// ErrProfileNotIssuable is returned when a request names a CA profile, which Issue never signs.
var ErrProfileNotIssuable = errors.New("ca: profile cannot be requested")

// maxSerialAttempts bounds retries on a serial collision. With 127 random bits a collision means
// a broken random source, so the loop exists to fail loudly, not to hide one.
const maxSerialAttempts = 3

// Issue runs one issuance. The order of the steps is a guarantee: a certificate is never signed
// unless its serial and TBS were recorded first, and never returned before its DER is recorded.
func (a *Authority) Issue(ctx context.Context, req Request) (*Issued, error) {
	prof, err := issuance.ProfileByName(req.Profile)
	if err != nil {
		return nil, err
	}
	if prof != issuance.Server && prof != issuance.Client {
		return nil, fmt.Errorf("%w: %q (use server or client)", ErrProfileNotIssuable, req.Profile)
	}
	return a.issue(ctx, req, prof)
}

// issue runs the steps for any leaf profile; Issue decides which profiles callers may ask for.
func (a *Authority) issue(ctx context.Context, req Request, prof *issuance.Profile) (*Issued, error) {
	// Step 1: policy.
	if err := a.o.Policy.Check(policy.Request{SANs: req.SANs, PublicKey: req.PublicKey, NotBefore: req.NotBefore, NotAfter: req.NotAfter}); err != nil {
		return nil, err
	}
	iss := a.o.Issuer
	var (
		prep   *issuance.Prepared
		serial *big.Int
		err    error
	)
	for attempt := 1; ; attempt++ {
		if serial, err = issuance.NewSerial(a.o.Rand); err != nil {
			return nil, err
		}
		// Step 2: build the TBS and lint it. A lint refusal leaves no trace: nothing was signed.
		prep, err = iss.Prepare(issuance.Request{PublicKey: req.PublicKey, Subject: req.Subject, SANs: req.SANs,
			Profile: prof, Serial: serial, NotBefore: req.NotBefore, NotAfter: req.NotAfter})
		if err != nil {
			return nil, err
		}
		if err := a.o.Policy.CheckValidity(prep.NotBefore, prep.NotAfter); err != nil {
			return nil, err
		}
		// Step 3: reserve the serial with the intended TBS, durably, before any signature exists.
		err = a.o.Inventory.Reserve(ctx, a.record(prep, serial, prof.Name, req))
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrSerialExists) || attempt == maxSerialAttempts {
			return nil, fmt.Errorf("ca: reserving serial %x: %w", serial, err)
		}
	}
	serialHex := hex.EncodeToString(serial.Bytes())
	// Step 4: sign, with an audit line before and after keyed by serial.
	// Each audit line stands on its own: a trail filtered to one of them needs no other.
	audit := []slog.Attr{slog.String("serial", serialHex), slog.String("profile", prof.Name),
		slog.Any("names", req.SANs.Strings()), slog.String("requester", req.Requester)}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit: signing certificate", audit...)
	der, err := iss.Sign(prep)
	if err != nil {
		return nil, err
	}
	// Step 5: record the DER durably, then return it.
	if err := a.o.Inventory.RecordIssued(ctx, iss.KeyID(), serial, der); err != nil {
		return nil, fmt.Errorf("ca: recording certificate %s: %w", serialHex, err)
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit: issued certificate", append(audit, slog.Time("not_after", prep.NotAfter))...)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: parsing issued certificate %s: %w", serialHex, err)
	}
	issued := &Issued{Certificate: cert, DER: der, Chain: a.o.Chain, Serial: serialHex, Profile: prof.Name, Requester: req.Requester}
	if a.o.OnIssued != nil {
		a.o.OnIssued(issued)
	}
	return issued, nil
}

func (a *Authority) record(p *issuance.Prepared, serial *big.Int, profile string, req Request) store.Certificate {
	return store.Certificate{
		IssuerKeyID: a.o.Issuer.KeyID(), Serial: serial, Subject: subjectString(req.Subject), SANs: req.SANs.Strings(),
		NotBefore: p.NotBefore, NotAfter: p.NotAfter, Profile: profile, Requester: req.Requester,
		Status: store.StatusPending, TBS: p.TBS, CreatedAt: a.o.Now(),
	}
}
