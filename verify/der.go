package verify

import (
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// crypto/x509 parses only the GeneralName forms it acts on and drops the rest (otherName,
// directoryName in SANs, name-constraint forms it cannot enforce, AKI issuer fields, IDP).
// Path validation must see all of them, so those extensions are read here from their DER.

// GeneralName CHOICE tags (RFC 5280 §4.2.1.6).
const (
	gnOther     = 0
	gnRFC822    = 1
	gnDNS       = 2
	gnX400      = 3
	gnDirectory = 4
	gnEDIParty  = 5
	gnURI       = 6
	gnIP        = 7
	gnRegID     = 8
)

var gnNames = [...]string{"otherName", "rfc822Name", "dNSName", "x400Address", "directoryName",
	"ediPartyName", "uniformResourceIdentifier", "iPAddress", "registeredID"}

func gnName(tag int) string {
	if tag >= 0 && tag < len(gnNames) {
		return gnNames[tag]
	}
	return fmt.Sprintf("[%d]", tag)
}

// generalName is one GeneralName: its CHOICE tag and its contents. For directoryName the
// contents are the DER of the Name itself (the tag is explicit).
type generalName struct {
	tag int
	val []byte
}

func (g generalName) String() string {
	switch g.tag {
	case gnRFC822, gnDNS, gnURI:
		return fmt.Sprintf("%s %q", gnName(g.tag), string(g.val))
	case gnIP:
		return fmt.Sprintf("%s %s", gnName(g.tag), ipString(g.val))
	case gnDirectory:
		return fmt.Sprintf("%s %s", gnName(g.tag), dnString(g.val))
	}
	return gnName(g.tag)
}

var errTrailing = errors.New("trailing data")

func readGeneralName(s *cryptobyte.String) (generalName, error) {
	var val cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&val, &tag) {
		return generalName{}, errors.New("malformed GeneralName")
	}
	if tag&0xc0 != 0x80 { // context-specific
		return generalName{}, fmt.Errorf("GeneralName has non-context tag 0x%02x", uint8(tag))
	}
	n := int(tag & 0x1f)
	if n > gnRegID {
		return generalName{}, fmt.Errorf("GeneralName has unknown tag [%d]", n)
	}
	return generalName{tag: n, val: val}, nil
}

// parseGeneralNames reads GeneralNames ::= SEQUENCE OF GeneralName (a SAN extension value).
func parseGeneralNames(der []byte) ([]generalName, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed GeneralNames")
	}
	return readGeneralNameList(seq)
}

func readGeneralNameList(seq cryptobyte.String) ([]generalName, error) {
	var out []generalName
	for !seq.Empty() {
		g, err := readGeneralName(&seq)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// nameConstraints is a parsed NameConstraints extension (RFC 5280 §4.2.1.10).
type nameConstraints struct {
	permitted, excluded []generalName
}

// parseNameConstraints enforces the RFC 5280 §4.2.1.10 syntax rules a conforming CA must
// follow: at least one of the lists, neither empty, minimum zero and maximum absent.
func parseNameConstraints(der []byte) (*nameConstraints, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed NameConstraints")
	}
	nc := &nameConstraints{}
	seen := 0
	for _, f := range []struct {
		tag  cbasn1.Tag
		dst  *[]generalName
		name string
	}{
		{cbasn1.Tag(0).ContextSpecific().Constructed(), &nc.permitted, "permittedSubtrees"},
		{cbasn1.Tag(1).ContextSpecific().Constructed(), &nc.excluded, "excludedSubtrees"},
	} {
		var list cryptobyte.String
		var present bool
		if !seq.ReadOptionalASN1(&list, &present, f.tag) {
			return nil, fmt.Errorf("malformed %s", f.name)
		}
		if !present {
			continue
		}
		seen++
		if list.Empty() {
			return nil, fmt.Errorf("%s is an empty sequence (RFC 5280 §4.2.1.10 requires SIZE (1..MAX))", f.name)
		}
		for !list.Empty() {
			var st cryptobyte.String
			if !list.ReadASN1(&st, cbasn1.SEQUENCE) {
				return nil, fmt.Errorf("malformed GeneralSubtree in %s", f.name)
			}
			g, err := readGeneralName(&st)
			if err != nil {
				return nil, err
			}
			if !st.Empty() {
				return nil, fmt.Errorf("%s entry %s has minimum or maximum; RFC 5280 §4.2.1.10 requires minimum 0 and no maximum", f.name, g)
			}
			*f.dst = append(*f.dst, g)
		}
	}
	if !seq.Empty() {
		return nil, errors.New("malformed NameConstraints: unexpected field")
	}
	if seen == 0 {
		return nil, errors.New("NameConstraints has neither permittedSubtrees nor excludedSubtrees (RFC 5280 §4.2.1.10: MUST NOT be empty)")
	}
	return nc, nil
}

// akiInfo is a parsed AuthorityKeyIdentifier (RFC 5280 §4.2.1.1).
type akiInfo struct {
	keyID             []byte
	hasKeyID          bool
	hasIssuer, hasSer bool
}

func parseAKI(der []byte) (akiInfo, error) {
	var a akiInfo
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return a, errors.New("malformed AuthorityKeyIdentifier")
	}
	for !seq.Empty() {
		var val cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&val, &tag) {
			return a, errors.New("malformed AuthorityKeyIdentifier")
		}
		switch tag {
		case cbasn1.Tag(0).ContextSpecific():
			a.hasKeyID, a.keyID = true, val
		case cbasn1.Tag(1).ContextSpecific().Constructed():
			a.hasIssuer = true
		case cbasn1.Tag(2).ContextSpecific():
			a.hasSer = true
		default:
			return a, fmt.Errorf("AuthorityKeyIdentifier has unknown field 0x%02x", uint8(tag))
		}
	}
	return a, nil
}

// distPoint is one DistributionPoint of a CRLDistributionPoints extension, or the
// distributionPoint part of an IssuingDistributionPoint.
type distPoint struct {
	fullName           []generalName
	relative           bool // nameRelativeToCRLIssuer
	reasons, crlIssuer bool
	hasName            bool
}

func readDistPointName(s *cryptobyte.String, dp *distPoint) error {
	var name cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&name, &present, cbasn1.Tag(0).ContextSpecific().Constructed()) {
		return errors.New("malformed distributionPoint")
	}
	if !present {
		return nil
	}
	dp.hasName = true
	var inner cryptobyte.String
	var tag cbasn1.Tag
	if !name.ReadAnyASN1(&inner, &tag) || !name.Empty() {
		return errors.New("malformed DistributionPointName")
	}
	switch tag {
	case cbasn1.Tag(0).ContextSpecific().Constructed():
		names, err := readGeneralNameList(inner)
		if err != nil {
			return err
		}
		dp.fullName = names
	case cbasn1.Tag(1).ContextSpecific().Constructed():
		dp.relative = true
	default:
		return errors.New("malformed DistributionPointName")
	}
	return nil
}

// parseCRLDistributionPoints reads CRLDistributionPoints ::= SEQUENCE OF DistributionPoint.
func parseCRLDistributionPoints(der []byte) ([]distPoint, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed CRLDistributionPoints")
	}
	var out []distPoint
	for !seq.Empty() {
		var dps cryptobyte.String
		if !seq.ReadASN1(&dps, cbasn1.SEQUENCE) {
			return nil, errors.New("malformed DistributionPoint")
		}
		var dp distPoint
		if err := readDistPointName(&dps, &dp); err != nil {
			return nil, err
		}
		dp.reasons = dps.PeekASN1Tag(cbasn1.Tag(1).ContextSpecific())
		if dp.reasons && !dps.SkipASN1(cbasn1.Tag(1).ContextSpecific()) {
			return nil, errors.New("malformed DistributionPoint reasons")
		}
		dp.crlIssuer = dps.PeekASN1Tag(cbasn1.Tag(2).ContextSpecific().Constructed())
		out = append(out, dp)
	}
	return out, nil
}

// issuingDistPoint is a parsed IssuingDistributionPoint CRL extension (RFC 5280 §5.2.5).
type issuingDistPoint struct {
	distPoint
	onlyUser, onlyCA, onlyAttr, indirect, someReasons bool
}

func parseIDP(der []byte) (*issuingDistPoint, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("malformed IssuingDistributionPoint")
	}
	idp := &issuingDistPoint{}
	if err := readDistPointName(&seq, &idp.distPoint); err != nil {
		return nil, err
	}
	for !seq.Empty() {
		var val cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadAnyASN1(&val, &tag) {
			return nil, errors.New("malformed IssuingDistributionPoint")
		}
		flag := len(val) == 1 && val[0] != 0
		switch tag {
		case cbasn1.Tag(1).ContextSpecific():
			idp.onlyUser = flag
		case cbasn1.Tag(2).ContextSpecific():
			idp.onlyCA = flag
		case cbasn1.Tag(3).ContextSpecific():
			idp.someReasons = true
		case cbasn1.Tag(4).ContextSpecific():
			idp.indirect = flag
		case cbasn1.Tag(5).ContextSpecific():
			idp.onlyAttr = flag
		default:
			return nil, fmt.Errorf("IssuingDistributionPoint has unknown field 0x%02x", uint8(tag))
		}
	}
	return idp, nil
}
