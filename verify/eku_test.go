package verify

import (
	"context"
	"crypto/x509"
	"encoding/asn1"
	"testing"
)

func TestParseEKU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    asn1.ObjectIdentifier
		wantErr bool
	}{
		{"serverAuth", oidEKUServerAuth, false},
		{"server_auth", oidEKUServerAuth, false},
		{"CLIENTAUTH", oidEKUClientAuth, false},
		{"OCSPSigning", oidEKUOCSPSigning, false},
		{"ocsp_signing", oidEKUOCSPSigning, false},
		{"anyExtendedKeyUsage", oidEKUAny, false},
		{"timeStamping", oidEKUTimeStamping, false},
		{"1.3.6.1.5.5.7.3.4", oidEKUEmailProtection, false},
		{"1.2.3", asn1.ObjectIdentifier{1, 2, 3}, false},
		{"bogus", nil, true},
		{"1.x", nil, true},
		{"7.1", nil, true},
	}
	for _, tc := range tests {
		got, err := ParseEKU(tc.in)
		if (err != nil) != tc.wantErr || !got.Equal(tc.want) {
			t.Errorf("ParseEKU(%q) = %v, %v; want %v, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestExtendedKeyUsage(t *testing.T) {
	t.Parallel()
	root := issue(t, spec{cn: "Root", ca: true}, nil)
	inter := issue(t, spec{cn: "Inter", ca: true}, root)
	clientCA := issue(t, spec{cn: "Client CA", ca: true, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, root)
	anyCA := issue(t, spec{cn: "Any CA", ca: true, eku: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}, root)
	server := issue(t, spec{cn: "server"}, inter)
	client := issue(t, spec{cn: "client", eku: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, inter)
	noEKU := issue(t, spec{cn: "no eku", mod: func(c *x509.Certificate) { c.ExtKeyUsage = nil }}, inter)
	underClientCA := issue(t, spec{cn: "server under client CA"}, clientCA)
	underAnyCA := issue(t, spec{cn: "server under any CA"}, anyCA)
	caLeaf := issue(t, spec{cn: "CA as leaf", ca: true, dns: []string{"www.example.com"}}, root)
	serverAuth := []asn1.ObjectIdentifier{oidEKUServerAuth}
	clientAuth := []asn1.ObjectIdentifier{oidEKUClientAuth}
	tests := []struct {
		name     string
		leaf     *node
		ekus     []asn1.ObjectIdentifier
		host     string
		want     bool
		wantFail string
	}{
		{"server cert for serverAuth", server, serverAuth, "", true, ""},
		{"client cert for serverAuth", client, serverAuth, "", false, CheckExtKeyUsage},
		{"client cert for clientAuth", client, clientAuth, "", true, ""},
		{"serverAuth implied by a host name", client, nil, "www.example.com", false, CheckExtKeyUsage},
		{"no purpose asked, none checked", client, nil, "", true, ""},
		{"leaf without EKU allows everything", noEKU, serverAuth, "", true, ""},
		{"intermediate restricted to clientAuth", underClientCA, serverAuth, "", false, CheckExtKeyUsage},
		{"intermediate with anyExtendedKeyUsage", underAnyCA, serverAuth, "", true, ""},
		{"CA certificate as leaf under rfc5280 warns about keyUsage", caLeaf, nil, "www.example.com", true, ""},
		{"required anyExtendedKeyUsage accepts a client cert", client, []asn1.ObjectIdentifier{oidEKUAny}, "", true, ""},
		{"anyExtendedKeyUsage replaces the host's serverAuth", client, []asn1.ObjectIdentifier{oidEKUAny}, "www.example.com", true, ""},
		{"anyExtendedKeyUsage under a clientAuth-only CA", underClientCA, []asn1.ObjectIdentifier{oidEKUAny}, "", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Roots: certs(root), Intermediates: certs(inter, clientCA, anyCA), At: t0, EKUs: tc.ekus, Host: tc.host}
			r := run(t, tc.leaf, o, tc.want, tc.wantFail)
			if tc.leaf == caLeaf {
				if _, ok := findCheck(r, CheckKeyUsage, Warn); !ok {
					t.Fatalf("no keyUsage warning\n%s", dump(r))
				}
			}
		})
	}
}

func TestKeyUsagePurposeUnderWebPKI(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	leaf := issue(t, spec{cn: "www.example.com", ku: x509.KeyUsageDataEncipherment}, h.inter)
	o := h.opts()
	o.Profile = WebPKI
	run(t, leaf, o, false, CheckKeyUsage)
}

func TestVerifyContextIgnoredWithoutNetwork(t *testing.T) {
	t.Parallel()
	h := newHierarchy(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := Verify(ctx, h.leaf.cert, h.opts()); !r.Valid {
		t.Fatalf("offline verification must not need the context\n%s", dump(r))
	}
}
