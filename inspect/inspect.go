// Package inspect describes what a PEM or DER file holds — certificates (and bundles), CSRs,
// private keys, CRLs — as plain structs that the CLI renders as text or JSON. For a private key it
// describes only the type and the public part: the secret never leaves package keys.
package inspect

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"net"
	"net/url"
	"time"

	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
)

// ErrEmpty is returned for input with nothing recognisable in it.
var ErrEmpty = errors.New("inspect: no PEM blocks or DER object found")

// Object is one thing found in the input, in file order.
type Object struct {
	Index       int          `json:"index"` // 1-based block number
	Kind        string       `json:"kind"`  // certificate, certificate_request, private_key, encrypted_private_key, crl, other
	PEMType     string       `json:"pem_type"`
	Certificate *Certificate `json:"certificate,omitempty"`
	Request     *Request     `json:"request,omitempty"`
	Key         *Key         `json:"key,omitempty"`
	CRL         *CRL         `json:"crl,omitempty"`
}

// Certificate is what people look for in `openssl x509 -text`, without the hex dumps.
type Certificate struct {
	Subject            string    `json:"subject"`
	Issuer             string    `json:"issuer"`
	Serial             string    `json:"serial"`
	NotBefore          time.Time `json:"not_before"`
	NotAfter           time.Time `json:"not_after"`
	SANs               []string  `json:"sans"`
	PublicKey          string    `json:"public_key"`
	SignatureAlgorithm string    `json:"signature_algorithm"`
	IsCA               bool      `json:"is_ca"`
	MaxPathLen         *int      `json:"max_path_len,omitempty"`
	KeyUsage           []string  `json:"key_usage"`
	ExtKeyUsage        []string  `json:"ext_key_usage"`
	SubjectKeyID       string    `json:"subject_key_id,omitempty"`
	AuthorityKeyID     string    `json:"authority_key_id,omitempty"`
	PermittedDNS       []string  `json:"permitted_dns,omitempty"`
	ExcludedDNS        []string  `json:"excluded_dns,omitempty"`
	CRLDistribution    []string  `json:"crl_distribution_points,omitempty"`
	OCSPServers        []string  `json:"ocsp_servers,omitempty"`
	IssuingURLs        []string  `json:"ca_issuers,omitempty"`
	SelfSigned         bool      `json:"self_signed"`
	SHA256             string    `json:"sha256_fingerprint"`
}

// Request describes a CSR.
type Request struct {
	Subject            string   `json:"subject"`
	SANs               []string `json:"sans"`
	PublicKey          string   `json:"public_key"`
	SignatureAlgorithm string   `json:"signature_algorithm"`
	SignatureValid     bool     `json:"signature_valid"`
	Problem            string   `json:"problem,omitempty"`
}

// Key describes a private key by its public half.
type Key struct {
	Encrypted bool   `json:"encrypted"`
	PublicKey string `json:"public_key,omitempty"` // empty when encrypted and no passphrase was given
	KeyID     string `json:"key_id,omitempty"`     // SHA-1 subject key identifier, as certificates carry it
}

// CRL describes a certificate revocation list.
type CRL struct {
	Issuer             string     `json:"issuer"`
	Number             string     `json:"number,omitempty"`
	ThisUpdate         time.Time  `json:"this_update"`
	NextUpdate         time.Time  `json:"next_update"`
	AuthorityKeyID     string     `json:"authority_key_id,omitempty"`
	SignatureAlgorithm string     `json:"signature_algorithm"`
	Entries            int        `json:"entries"`
	Revoked            []CRLEntry `json:"revoked"`
}

// CRLEntry is one revoked serial.
type CRLEntry struct {
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
	Reason    int       `json:"reason"`
}

// MaxCRLEntries is how many entries of a CRL are listed; the count is always complete.
const MaxCRLEntries = 1000

// Describe decodes data (PEM with any number of blocks, or one DER object) and describes each
// object. passphrase, if given, lets an encrypted key show its public part.
func Describe(data, passphrase []byte) ([]Object, error) {
	blocks, err := pemfile.Decode(data)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, ErrEmpty
	}
	out := make([]Object, 0, len(blocks))
	for _, b := range blocks {
		o, err := describeBlock(b, passphrase)
		if err != nil {
			return nil, &pemfile.Error{Block: b.Index, Err: err}
		}
		out = append(out, o)
	}
	return out, nil
}

func describeBlock(b pemfile.Block, passphrase []byte) (Object, error) {
	o := Object{Index: b.Index, PEMType: b.Type}
	switch b.Type {
	case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return o, err
		}
		o.Kind, o.Certificate = "certificate", describeCertificate(c)
	case "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST":
		o.Kind = "certificate_request"
		r, err := describeRequest(b.Bytes)
		if err != nil {
			return o, err
		}
		o.Request = r
	case "X509 CRL":
		l, err := x509.ParseRevocationList(b.Bytes)
		if err != nil {
			return o, err
		}
		o.Kind, o.CRL = "crl", describeCRL(l)
	case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		o.Kind = "private_key"
		k, err := describeKey(b, passphrase)
		if err != nil {
			return o, err
		}
		if k.Encrypted {
			o.Kind = "encrypted_private_key"
		}
		o.Key = k
	default:
		o.Kind = "other"
	}
	return o, nil
}

func describeKey(b pemfile.Block, passphrase []byte) (*Key, error) {
	encrypted := b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != ""
	if encrypted && len(passphrase) == 0 {
		return &Key{Encrypted: true}, nil
	}
	k, err := keys.ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: b.Type, Headers: b.Headers, Bytes: b.Bytes}), passphrase)
	if err != nil {
		return nil, err
	}
	return &Key{Encrypted: encrypted, PublicKey: keys.Describe(k.Public()), KeyID: keyID(k.Public())}, nil
}

func keyID(pub any) string {
	id, err := keys.SubjectKeyID(pub)
	if err != nil {
		return ""
	}
	return hex.EncodeToString(id)
}

func describeRequest(der []byte) (*Request, error) {
	r, err := csr.Parse(der)
	valid := err == nil
	problem := ""
	if errors.Is(err, csr.ErrBadSignature) {
		// Still describe it: people inspect a CSR precisely to find out why it was refused.
		if r, err = x509.ParseCertificateRequest(der); err != nil {
			return nil, err
		}
		problem = "signature does not verify"
	} else if err != nil {
		return nil, err
	}
	return &Request{Subject: r.Subject.String(), SANs: sans(r.DNSNames, r.IPAddresses, r.EmailAddresses, r.URIs),
		PublicKey: keys.Describe(r.PublicKey), SignatureAlgorithm: r.SignatureAlgorithm.String(), SignatureValid: valid, Problem: problem}, nil
}

func sans(dns []string, ips []net.IP, emails []string, uris []*url.URL) []string {
	s := names.SANs{DNS: dns, IP: ips, Email: emails, URI: uris}.Strings()
	if s == nil {
		return []string{}
	}
	return s
}

func describeCRL(l *x509.RevocationList) *CRL {
	c := &CRL{Issuer: l.Issuer.String(), ThisUpdate: l.ThisUpdate.UTC(), NextUpdate: l.NextUpdate.UTC(),
		AuthorityKeyID: hex.EncodeToString(l.AuthorityKeyId), SignatureAlgorithm: l.SignatureAlgorithm.String(),
		Entries: len(l.RevokedCertificateEntries), Revoked: []CRLEntry{}}
	if l.Number != nil {
		c.Number = l.Number.String()
	}
	for i, e := range l.RevokedCertificateEntries {
		if i == MaxCRLEntries {
			break
		}
		c.Revoked = append(c.Revoked, CRLEntry{Serial: hex.EncodeToString(e.SerialNumber.Bytes()), RevokedAt: e.RevocationTime.UTC(), Reason: e.ReasonCode})
	}
	return c
}

func fingerprint(der []byte) string {
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}
