package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/pemfile"
)

// OCSPSignerOptions configure the delegated OCSP responder of an Authority.
type OCSPSignerOptions struct {
	// Layout is where the responder certificate and key persist (ca/ocsp.pem, ca/ocsp.key), so
	// that restarts reuse them. Zero Dir: kept in memory only.
	Layout     Layout
	Passphrase []byte        // encrypts the key at rest when set
	Validity   time.Duration // zero: issuance.OCSPSigning's default (7 days)
	KeyType    keys.Type     // zero: keys.DefaultType
}

// OCSPSigner holds the delegated responder certificate (RFC 6960 §4.2.2.2) that signs OCSP
// responses for the authority's issuer, so that the intermediate's key signs only
// certificates and CRLs. The certificate carries id-pkix-ocsp-nocheck, which means nobody can
// check whether it was revoked; it is therefore short-lived and replaced once two thirds of its
// lifetime have passed, leaving a third as overlap for responses signed just before.
type OCSPSigner struct {
	a *Authority
	o OCSPSignerOptions

	mu   sync.Mutex
	cert *x509.Certificate
	key  crypto.Signer
}

// NewOCSPSigner returns the authority's delegated responder: the one persisted in o.Layout when
// it is still usable, else a newly issued one.
func (a *Authority) NewOCSPSigner(ctx context.Context, o OCSPSignerOptions) (*OCSPSigner, error) {
	if o.KeyType == "" {
		o.KeyType = keys.DefaultType
	}
	s := &OCSPSigner{a: a, o: o}
	if o.Layout.Dir != "" {
		cert, key, err := s.load()
		switch {
		case err == nil && s.usable(cert, key):
			s.cert, s.key = cert, key
		case err != nil && !errors.Is(err, os.ErrNotExist):
			// A damaged or foreign file is replaced, not trusted; say so.
			a.log.LogAttrs(ctx, slog.LevelWarn, "replacing unusable OCSP responder certificate", slog.String("error", err.Error()))
		}
	}
	if _, _, err := s.Current(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Current returns the responder certificate and key, first issuing a new pair when the current
// one is due for rotation.
func (s *OCSPSigner) Current(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert != nil && !s.due(s.cert) {
		return s.cert, s.key, nil
	}
	cert, key, err := s.rotate(ctx)
	if err != nil {
		if s.cert != nil && s.a.o.Now().Before(s.cert.NotAfter) {
			// Keep answering with the old responder while it is valid; the next call retries.
			s.a.log.LogAttrs(ctx, slog.LevelError, "OCSP responder rotation failed", slog.String("error", err.Error()))
			return s.cert, s.key, nil
		}
		return nil, nil, err
	}
	s.cert, s.key = cert, key
	return cert, key, nil
}

// ForIssuer has the shape of ocspresponder.Options.Signer.
func (s *OCSPSigner) ForIssuer(issuer *x509.Certificate) (*x509.Certificate, crypto.Signer, error) {
	if own := s.a.o.Issuer.Certificate(); own == nil || !bytes.Equal(issuer.Raw, own.Raw) {
		return nil, nil, fmt.Errorf("ca: no OCSP responder for issuer %s", issuer.Subject)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.Current(ctx)
}

// due reports whether the responder certificate should be replaced.
func (s *OCSPSigner) due(c *x509.Certificate) bool { return RenewalDue(c, s.a.o.Now()) }

// RenewalDue reports whether two thirds of a certificate's lifetime have passed at now: when
// the CA replaces the certificates it issues itself (the OCSP responder's, the server's own).
func RenewalDue(c *x509.Certificate, now time.Time) bool {
	life := c.NotAfter.Sub(c.NotBefore)
	return !now.Before(c.NotBefore.Add(life * 2 / 3))
}

// usable reports whether a persisted pair may keep signing for this issuer.
func (s *OCSPSigner) usable(c *x509.Certificate, key crypto.Signer) bool {
	own := s.a.o.Issuer.Certificate()
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return own != nil && ok && pub.Equal(c.PublicKey) &&
		c.CheckSignatureFrom(own) == nil &&
		slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) &&
		!s.due(c)
}

func (s *OCSPSigner) rotate(ctx context.Context) (*x509.Certificate, crypto.Signer, error) {
	key, err := keys.Generate(s.o.KeyType, s.a.o.Rand)
	if err != nil {
		return nil, nil, err
	}
	var notAfter time.Time
	if s.o.Validity > 0 {
		notAfter = s.a.o.Now().Add(s.o.Validity)
	}
	issued, err := s.a.issue(ctx, Request{PublicKey: key.Public(), Subject: s.subject(), NotAfter: notAfter,
		Profile: issuance.OCSPSigning.Name, Requester: "ca: OCSP responder rotation"}, issuance.OCSPSigning)
	if err != nil {
		return nil, nil, fmt.Errorf("ca: issuing OCSP responder certificate: %w", err)
	}
	if s.o.Layout.Dir != "" {
		if err := s.save(issued.DER, key); err != nil {
			return nil, nil, err
		}
	}
	return issued.Certificate, key, nil
}

// subject is the issuer's subject with " OCSP Responder" appended to its common name, so the
// responder is recognisable as belonging to its CA.
func (s *OCSPSigner) subject() []byte {
	var rdns pkix.RDNSequence
	own := s.a.o.Issuer.Certificate()
	cn := "OCSP Responder"
	if own != nil {
		if own.Subject.CommonName != "" {
			cn = own.Subject.CommonName + " OCSP Responder"
		}
		if len(own.Subject.Organization) > 0 {
			rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: asn1.ObjectIdentifier{2, 5, 4, 10}, Value: own.Subject.Organization[0]}})
		}
	}
	if len(cn) > 64 { // ub-common-name
		cn = cn[:64]
	}
	rdns = append(rdns, pkix.RelativeDistinguishedNameSET{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: cn}})
	der, _ := asn1.Marshal(rdns)
	return der
}

func (s *OCSPSigner) load() (*x509.Certificate, crypto.Signer, error) {
	cert, err := pemfile.ReadCertificate(s.o.Layout.OCSPCert())
	if err != nil {
		return nil, nil, err
	}
	key, err := readKey(s.o.Layout.OCSPKey(), "OCSP responder key", s.o.Passphrase)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// save writes the key before the certificate: a certificate on disk without its key would be
// loaded and rejected, while a key without its certificate is simply replaced.
func (s *OCSPSigner) save(der []byte, key crypto.Signer) error {
	kp, err := marshalKey(key, s.o.Passphrase)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(s.o.Layout.OCSPKey(), kp, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(s.o.Layout.OCSPCert(), pemfile.Encode("CERTIFICATE", der), 0o644)
}
