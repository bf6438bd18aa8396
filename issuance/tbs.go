package issuance

import (
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// template is everything that goes into one TBSCertificate (RFC 5280 §4.1), already decided.
type template struct {
	serial     *big.Int
	alg        *sigAlg
	issuer     []byte // DER Name
	subject    []byte // DER Name
	notBefore  time.Time
	notAfter   time.Time
	spki       []byte // DER SubjectPublicKeyInfo
	extensions []extension
}

type extension struct {
	oid      asn1.ObjectIdentifier
	critical bool
	value    []byte // the DER inside extnValue
}

// marshalTBS encodes the TBSCertificate. Field order and encodings follow RFC 5280 §4.1.
func (t *template) marshalTBS() ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1Int64(2) // v3
		})
		b.AddASN1BigInt(t.serial)
		t.alg.marshal(b)
		b.AddBytes(t.issuer)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addTime(b, t.notBefore)
			addTime(b, t.notAfter)
		})
		b.AddBytes(t.subject)
		b.AddBytes(t.spki)
		if len(t.extensions) > 0 {
			b.AddASN1(cbasn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					for _, e := range t.extensions {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1ObjectIdentifier(e.oid)
							if e.critical { // DEFAULT FALSE is omitted in DER
								b.AddASN1Boolean(true)
							}
							b.AddASN1OctetString(e.value)
						})
					}
				})
			})
		}
	})
	return b.Bytes()
}

// addTime encodes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280 §4.1.2.5), in UTC
// with whole seconds, as the DER rules of §4.1.2.5.1/.2 require.
func addTime(b *cryptobyte.Builder, t time.Time) {
	t = t.UTC().Truncate(time.Second)
	if t.Year() < 2050 {
		b.AddASN1UTCTime(t)
	} else {
		b.AddASN1GeneralizedTime(t)
	}
}

// assemble wraps a signed TBS into a Certificate (RFC 5280 §4.1.1).
func assemble(tbs []byte, alg *sigAlg, sig []byte) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(alg.der)
		b.AddASN1BitString(sig)
	})
	return b.Bytes()
}

var (
	oidExtSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtNameConstraints  = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidExtCRLDistribution  = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtAuthorityInfo    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidExtOCSPNoCheck      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidAccessOCSP          = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1}
	oidAccessCAIssuers     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 2}
)

var ekuOIDs = map[x509.ExtKeyUsage]asn1.ObjectIdentifier{
	x509.ExtKeyUsageServerAuth:  {1, 3, 6, 1, 5, 5, 7, 3, 1},
	x509.ExtKeyUsageClientAuth:  {1, 3, 6, 1, 5, 5, 7, 3, 2},
	x509.ExtKeyUsageOCSPSigning: {1, 3, 6, 1, 5, 5, 7, 3, 9},
}

func der(f func(b *cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	f(&b)
	return b.BytesOrPanic() // only fed well-formed values built in this package
}

func basicConstraintsExt(isCA bool, maxPathLen int) extension {
	return extension{oid: oidExtBasicConstraints, critical: true, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if isCA {
				b.AddASN1Boolean(true)
				if maxPathLen >= 0 {
					b.AddASN1Int64(int64(maxPathLen))
				}
			}
		})
	})}
}

// keyUsageExt encodes the named bits of RFC 5280 §4.2.1.3, with trailing zero bits removed as
// DER requires for named bit lists (X.690 §11.2.2).
func keyUsageExt(ku x509.KeyUsage) extension {
	var bits [2]byte
	for i := 0; i < 9; i++ {
		if ku&(1<<uint(i)) != 0 {
			bits[i/8] |= 0x80 >> uint(i%8)
		}
	}
	n := 1
	if bits[1] != 0 {
		n = 2
	}
	last := bits[n-1]
	unused := 0
	for unused < 8 && last&(1<<uint(unused)) == 0 {
		unused++
	}
	return extension{oid: oidExtKeyUsage, critical: true, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(uint8(unused))
			b.AddBytes(bits[:n])
		})
	})}
}

func extKeyUsageExt(ekus []x509.ExtKeyUsage) extension {
	return extension{oid: oidExtExtKeyUsage, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, u := range ekus {
				b.AddASN1ObjectIdentifier(ekuOIDs[u])
			}
		})
	})}
}

func subjectKeyIDExt(id []byte) extension {
	return extension{oid: oidExtSubjectKeyID, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1OctetString(id)
	})}
}

func authorityKeyIDExt(id []byte) extension {
	return extension{oid: oidExtAuthorityKeyID, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(id) })
		})
	})}
}

// GeneralName tags (RFC 5280 §4.2.1.6), all IMPLICIT.
var (
	tagRFC822 = cbasn1.Tag(1).ContextSpecific()
	tagDNS    = cbasn1.Tag(2).ContextSpecific()
	tagURI    = cbasn1.Tag(6).ContextSpecific()
	tagIP     = cbasn1.Tag(7).ContextSpecific()
)

func addIP(b *cryptobyte.Builder, ip net.IP) {
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	b.AddASN1(tagIP, func(b *cryptobyte.Builder) { b.AddBytes(ip) })
}

// subjectAltNameExt is critical when the subject is empty (RFC 5280 §4.2.1.6).
func subjectAltNameExt(dns []string, ips []net.IP, emails []string, uris []*url.URL, critical bool) extension {
	return extension{oid: oidExtSubjectAltName, critical: critical, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, n := range dns {
				b.AddASN1(tagDNS, func(b *cryptobyte.Builder) { b.AddBytes([]byte(n)) })
			}
			for _, ip := range ips {
				addIP(b, ip)
			}
			for _, e := range emails {
				b.AddASN1(tagRFC822, func(b *cryptobyte.Builder) { b.AddBytes([]byte(e)) })
			}
			for _, u := range uris {
				b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(u.String())) })
			}
		})
	})}
}

// nameConstraintsExt permits only the given DNS suffixes (critical, RFC 5280 §4.2.1.10). Go, openssl
// and browsers treat "example.com" as the domain and every name below it.
func nameConstraintsExt(permittedDNS []string) extension {
	return extension{oid: oidExtNameConstraints, critical: true, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				for _, d := range permittedDNS {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(tagDNS, func(b *cryptobyte.Builder) { b.AddBytes([]byte(d)) })
					})
				}
			})
		})
	})}
}

func crlDistributionExt(uri string) extension {
	return extension{oid: oidExtCRLDistribution, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // DistributionPoint
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { // fullName
						b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(uri)) })
					})
				})
			})
		})
	})}
}

func authorityInfoExt(ocspURL, issuerURL string) extension {
	return extension{oid: oidExtAuthorityInfo, value: der(func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			for _, a := range []struct {
				oid asn1.ObjectIdentifier
				uri string
			}{{oidAccessOCSP, ocspURL}, {oidAccessCAIssuers, issuerURL}} {
				if a.uri == "" {
					continue
				}
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(a.oid)
					b.AddASN1(tagURI, func(b *cryptobyte.Builder) { b.AddBytes([]byte(a.uri)) })
				})
			}
		})
	})}
}

func ocspNoCheckExt() extension {
	return extension{oid: oidExtOCSPNoCheck, value: []byte{0x05, 0x00}} // NULL
}
