package inspect

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"

	"github.com/anchorpki/anchor/keys"
)

func describeCertificate(c *x509.Certificate) *Certificate {
	d := &Certificate{
		Subject: c.Subject.String(), Issuer: c.Issuer.String(), Serial: hex.EncodeToString(c.SerialNumber.Bytes()),
		NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
		SANs:      sans(c.DNSNames, c.IPAddresses, c.EmailAddresses, c.URIs),
		PublicKey: keys.Describe(c.PublicKey), SignatureAlgorithm: c.SignatureAlgorithm.String(),
		IsCA: c.IsCA, KeyUsage: keyUsageNames(c.KeyUsage), ExtKeyUsage: extKeyUsageNames(c),
		SubjectKeyID: hex.EncodeToString(c.SubjectKeyId), AuthorityKeyID: hex.EncodeToString(c.AuthorityKeyId),
		PermittedDNS: c.PermittedDNSDomains, ExcludedDNS: c.ExcludedDNSDomains,
		CRLDistribution: c.CRLDistributionPoints, OCSPServers: c.OCSPServer, IssuingURLs: c.IssuingCertificateURL,
		SHA256: fingerprint(c.Raw),
	}
	if c.IsCA && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
		n := c.MaxPathLen
		d.MaxPathLen = &n
	}
	// Self-signed means issued by itself: same name and a signature its own key verifies.
	if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil {
		d.SelfSigned = true
	} else if bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil {
		d.SelfSigned = true // a self-signed leaf: CheckSignatureFrom refuses non-CA parents
	}
	return d
}

var keyUsageBits = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func keyUsageNames(ku x509.KeyUsage) []string {
	out := []string{}
	for _, b := range keyUsageBits {
		if ku&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

var extKeyUsageName = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "anyExtendedKeyUsage", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
	x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
	x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
}

func extKeyUsageNames(c *x509.Certificate) []string {
	out := []string{}
	for _, u := range c.ExtKeyUsage {
		if n, ok := extKeyUsageName[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, "unknown")
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return out
}
