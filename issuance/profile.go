package issuance

import (
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrUnknownProfile is returned when a request names a profile that does not exist.
var ErrUnknownProfile = errors.New("issuance: unknown profile")

// Profile says what a certificate of one role contains. The CA's policy decides who may get one;
// the profile decides what is in it, so a leaf can never come out with keyCertSign by accident.
type Profile struct {
	Name string
	// IsCA marks root and intermediate certificates (basicConstraints cA=TRUE, critical).
	IsCA bool
	// MaxPathLen is the pathLenConstraint of a CA certificate; -1 omits it (a root's is unbounded).
	MaxPathLen int
	// KeyUsage is the keyUsage for every key type; RSAKeyUsage is added for RSA subject keys
	// (keyEncipherment: RSA key transport in TLS 1.2 needs it, ECDSA and Ed25519 must not have it).
	KeyUsage    x509.KeyUsage
	RSAKeyUsage x509.KeyUsage
	ExtKeyUsage []x509.ExtKeyUsage
	// RequireSAN refuses a request without subjectAltName: TLS clients ignore the CN (RFC 9525 §6.3).
	RequireSAN bool
	// AllowSAN is false for CA certificates, whose names are subjects, not identities.
	AllowSAN bool
	// Revocable leaves carry the CRL distribution point and AIA OCSP of the issuer; OCSP signers
	// carry id-pkix-ocsp-nocheck instead (RFC 6960 §4.2.2.2.1).
	Revocable   bool
	OCSPNoCheck bool
	// DefaultValidity applies when a request gives no NotAfter; MaxValidity caps any request.
	DefaultValidity time.Duration
	MaxValidity     time.Duration
}

const day = 24 * time.Hour

// The built-in profiles. Root and intermediate lifetimes follow common private-CA practice
// (step-ca: 10 years and 10 years, mkcert: 10 years); server lifetimes stay inside the 200 days
// the Web PKI allows today, so a certificate issued here is not refused for its lifetime alone.
var (
	Root = &Profile{
		Name: "root", IsCA: true, MaxPathLen: -1,
		KeyUsage:        x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		DefaultValidity: 10 * 365 * day, MaxValidity: 25 * 365 * day,
	}
	Intermediate = &Profile{
		Name: "intermediate", IsCA: true, MaxPathLen: 0,
		KeyUsage:        x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		Revocable:       true,
		DefaultValidity: 5 * 365 * day, MaxValidity: 20 * 365 * day,
	}
	Server = &Profile{
		Name: "server", KeyUsage: x509.KeyUsageDigitalSignature, RSAKeyUsage: x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		RequireSAN:  true, AllowSAN: true, Revocable: true,
		// 200 days: the CA/Browser Forum limit since 2026-03-15 (SC-081), which zlint enforces;
		// the profile says so plainly instead of leaving it to a lint finding.
		DefaultValidity: 90 * day, MaxValidity: 200 * day,
	}
	Client = &Profile{
		Name: "client", KeyUsage: x509.KeyUsageDigitalSignature, RSAKeyUsage: x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		AllowSAN:    true, Revocable: true,
		DefaultValidity: 90 * day, MaxValidity: 398 * day,
	}
	// OCSPSigning is the delegated responder certificate (RFC 6960 §4.2.2.2): short-lived because
	// id-pkix-ocsp-nocheck means nobody checks whether it was revoked.
	OCSPSigning = &Profile{
		Name: "ocsp", KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		OCSPNoCheck:     true,
		DefaultValidity: 7 * day, MaxValidity: 30 * day,
	}
	// SelfSigned is a standalone certificate (`anchor cert self-signed`): a server certificate that
	// is its own issuer, as `openssl req -x509` makes, but with the extensions a TLS client needs.
	SelfSigned = &Profile{
		Name: "self-signed", KeyUsage: x509.KeyUsageDigitalSignature,
		RSAKeyUsage:     x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		AllowSAN:        true,
		DefaultValidity: 365 * day, MaxValidity: 25 * 365 * day,
	}
)

var builtin = []*Profile{Root, Intermediate, Server, Client, OCSPSigning, SelfSigned}

// LeafProfiles are the names a user may ask an intermediate to sign with.
func LeafProfiles() []string { return []string{Server.Name, Client.Name} }

// ProfileByName returns a built-in profile.
func ProfileByName(name string) (*Profile, error) {
	i := slices.IndexFunc(builtin, func(p *Profile) bool { return p.Name == name })
	if i < 0 {
		names := make([]string, len(builtin))
		for j, p := range builtin {
			names[j] = p.Name
		}
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(names, ", "))
	}
	return builtin[i], nil
}
