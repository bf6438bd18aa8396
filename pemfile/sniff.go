package pemfile

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
)

// sniffDER names the kind of a DER object by trying the parsers in turn, and labels it with the
// PEM type openssl would write (RFC 7468 §5-§11, and openssl's traditional "RSA PRIVATE KEY" and
// "EC PRIVATE KEY"). A parsed private key is dropped at once; only the label leaves.
func sniffDER(der []byte) (Block, error) {
	if !isOneSequence(der) {
		return Block{}, newDetail(ErrUnrecognized, "unrecognized data: neither PEM (no -----BEGIN line) nor DER")
	}
	b := Block{Bytes: der, Index: 1}
	switch {
	case parses(x509.ParseCertificate, der):
		b.Type = "CERTIFICATE"
	case parses(x509.ParseCertificateRequest, der):
		b.Type = "CERTIFICATE REQUEST"
	case parses(x509.ParseRevocationList, der):
		b.Type = "X509 CRL"
	case parses(x509.ParsePKCS8PrivateKey, der):
		b.Type = "PRIVATE KEY"
	case parses(x509.ParsePKCS1PrivateKey, der):
		b.Type = "RSA PRIVATE KEY"
	case parses(x509.ParseECPrivateKey, der):
		b.Type = "EC PRIVATE KEY"
	case isEncryptedPKCS8(der):
		b.Type = "ENCRYPTED PRIVATE KEY"
	default:
		return Block{}, newDetail(ErrUnrecognized, "unrecognized data: DER, but not a certificate, certificate request, CRL or private key")
	}
	return b, nil
}

func parses[T any](parse func([]byte) (T, error), der []byte) bool {
	_, err := parse(der)
	return err == nil
}

// isEncryptedPKCS8 recognises an EncryptedPrivateKeyInfo (RFC 5958 §3) by its shape and its
// algorithm: PBES2 or a PKCS#5 v1.5 scheme (RFC 8018 Appendix A), or a PKCS#12 PBE scheme
// (RFC 7292 Appendix C). Nothing in the standard library decrypts it, and nothing here needs to.
func isEncryptedPKCS8(der []byte) bool {
	var epki struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}
	rest, err := asn1.Unmarshal(der, &epki)
	if err != nil || len(rest) > 0 || len(epki.Data) == 0 {
		return false
	}
	oid := epki.Algorithm.Algorithm
	pkcs5 := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}
	pkcs12PBE := asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
	return len(oid) == len(pkcs5)+1 && pkcs5.Equal(oid[:len(pkcs5)]) ||
		len(oid) == len(pkcs12PBE)+1 && pkcs12PBE.Equal(oid[:len(pkcs12PBE)])
}
