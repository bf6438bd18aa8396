package verify

import "encoding/asn1"

// Object identifiers this package reads.
var (
	oidSubjectDirAttrs    = asn1.ObjectIdentifier{2, 5, 29, 9}
	oidSKI                = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKeyUsage           = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSAN                = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidIAN                = asn1.ObjectIdentifier{2, 5, 29, 18}
	oidBasicConstraints   = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidCRLNumber          = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidCRLReason          = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidInvalidityDate     = asn1.ObjectIdentifier{2, 5, 29, 24}
	oidDeltaCRLIndicator  = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidIDP                = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidCertificateIssuer  = asn1.ObjectIdentifier{2, 5, 29, 29}
	oidNameConstraints    = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidCRLDP              = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidCertPolicies       = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidPolicyMappings     = asn1.ObjectIdentifier{2, 5, 29, 33}
	oidAKI                = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidPolicyConstraints  = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidEKU                = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidFreshestCRL        = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidInhibitAnyPolicy   = asn1.ObjectIdentifier{2, 5, 29, 54}
	oidAIA                = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidSIA                = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 11}
	oidTLSFeature         = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}
	oidOCSPNoCheck        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidSCTList            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	oidPrecertPoison      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 3}
	oidPrecertSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 4}
	oidAnyPolicy          = asn1.ObjectIdentifier{2, 5, 29, 32, 0}
	oidAttrCommonName     = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidAttrEmailAddress   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidEKUAny             = asn1.ObjectIdentifier{2, 5, 29, 37, 0}
	oidEKUServerAuth      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidEKUClientAuth      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
	oidEKUCodeSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
	oidEKUEmailProtection = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 4}
	oidEKUTimeStamping    = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidEKUOCSPSigning     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}
)
