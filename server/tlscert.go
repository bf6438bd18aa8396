package server

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/internal/atomicfile"
	"github.com/anchorpki/anchor/issuance"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
	"github.com/anchorpki/anchor/store"
)

// tlsCertOptions configure the HTTPS listener's certificate.
type tlsCertOptions struct {
	Authority *ca.Authority
	Inventory interface {
		Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.Certificate, error)
	}
	Dir        string   // the data directory: the files are DIR/server/tls.pem and tls.key
	Names      []string // DNS names and IP addresses
	Now        func() time.Time
	Logger     *slog.Logger
	Background *background
}

// tlsCert is the server's own certificate, issued by its CA for the names it listens on. It is
// kept on disk so restarts reuse it, and replaced once two thirds of its lifetime have passed
// (the rule the OCSP responder certificate follows), or when the names change.
type tlsCert struct {
	o        tlsCertOptions
	want     []string // o.Names, sorted, to compare with a certificate's
	cur      atomic.Pointer[tls.Certificate]
	renewing atomic.Bool
}

func newTLSCert(ctx context.Context, o tlsCertOptions) (*tlsCert, error) {
	t := &tlsCert{o: o, want: slices.Sorted(slices.Values(o.Names))}
	c, err := t.load()
	switch {
	case err == nil && t.usable(ctx, c):
		t.cur.Store(c)
		o.Logger.Info("reusing the HTTPS certificate", slog.String("file", t.certPath()),
			slog.String("serial", hex.EncodeToString(c.Leaf.SerialNumber.Bytes())), slog.Time("not_after", c.Leaf.NotAfter))
		return t, nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		o.Logger.Warn("replacing an unreadable HTTPS certificate", slog.String("error", err.Error()))
	}
	if err := t.renew(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *tlsCert) certPath() string { return filepath.Join(t.o.Dir, "server", "tls.pem") }
func (t *tlsCert) keyPath() string  { return filepath.Join(t.o.Dir, "server", "tls.key") }

// getCertificate is tls.Config.GetCertificate. A certificate that is due is still valid for a
// third of its life, so the handshake gets it while a replacement is issued in the background.
func (t *tlsCert) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := t.cur.Load()
	if t.due(c.Leaf) {
		t.renewInBackground()
	}
	return c, nil
}

// check is the periodic look at the certificate, for a server that sees no handshakes.
func (t *tlsCert) check(context.Context) {
	if t.due(t.cur.Load().Leaf) {
		t.renewInBackground()
	}
}

func (t *tlsCert) renewInBackground() {
	if !t.renewing.CompareAndSwap(false, true) {
		return
	}
	started := t.o.Background.goIfRunning(func() {
		defer t.renewing.Store(false)
		if !t.due(t.cur.Load().Leaf) {
			return // renewed by the call that held the flag just before
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := t.renew(ctx); err != nil {
			t.o.Logger.Error("renewing the HTTPS certificate failed; keeping the current one", slog.String("error", err.Error()))
		}
	})
	if !started {
		t.renewing.Store(false)
	}
}

func (t *tlsCert) due(c *x509.Certificate) bool { return ca.RenewalDue(c, t.o.Now()) }

// usable reports whether a certificate from disk may keep serving: its key, its issuer, its
// names, its age, and that nobody revoked it.
func (t *tlsCert) usable(ctx context.Context, c *tls.Certificate) bool {
	iss := t.o.Authority.Issuer()
	pub, ok := c.PrivateKey.(crypto.Signer).Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(c.Leaf.PublicKey) || c.Leaf.CheckSignatureFrom(iss.Certificate()) != nil || t.due(c.Leaf) {
		return false
	}
	if !slices.Equal(t.want, certNames(c.Leaf)) {
		return false
	}
	rec, err := t.o.Inventory.Get(ctx, iss.KeyID(), c.Leaf.SerialNumber)
	return err == nil && rec.Status == store.StatusValid
}

func (t *tlsCert) load() (*tls.Certificate, error) {
	certs, err := pemfile.ReadCertificates(t.certPath())
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(t.keyPath())
	if err != nil {
		return nil, err
	}
	key, err := keys.ParsePrivateKey(b, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.keyPath(), err)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, x := range certs {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

// renew issues a certificate for the names and saves it: the key first, because a certificate
// on disk without its key would be loaded and rejected, while a key alone is simply replaced.
func (t *tlsCert) renew(ctx context.Context) error {
	key, err := keys.Generate(keys.ECP256, nil)
	if err != nil {
		return err
	}
	sans, err := names.ParseSANs(t.o.Names)
	if err != nil {
		return fmt.Errorf("server: HTTPS certificate names: %w", err)
	}
	// The CN, for people reading listings, is the first DNS name. An address may not be one
	// (zlint e_subject_contains_reserved_ip), so a certificate with addresses only has an
	// empty subject and, as RFC 5280 §4.2.1.6 then requires, a critical SAN extension.
	var subject []byte
	if len(sans.DNS) > 0 {
		if subject, err = asn1.Marshal(pkix.Name{CommonName: sans.DNS[0]}.ToRDNSequence()); err != nil {
			return err
		}
	}
	issued, err := t.o.Authority.Issue(ctx, ca.Request{PublicKey: key.Public(), Subject: subject, SANs: sans,
		Profile: issuance.Server.Name, Requester: "server"})
	if err != nil {
		return fmt.Errorf("server: issuing the HTTPS certificate: %w", err)
	}
	keyPEM, err := keys.MarshalPEM(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.keyPath()), 0o700); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := atomicfile.Write(t.keyPath(), keyPEM, 0o600); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	c := &tls.Certificate{Certificate: [][]byte{issued.DER}, PrivateKey: key, Leaf: issued.Certificate}
	chainPEM := pemfile.Encode("CERTIFICATE", issued.DER)
	for _, x := range issued.Chain {
		c.Certificate = append(c.Certificate, x.Raw)
		chainPEM = append(chainPEM, pemfile.Encode("CERTIFICATE", x.Raw)...)
	}
	if err := atomicfile.Write(t.certPath(), chainPEM, 0o644); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	t.cur.Store(c)
	t.o.Logger.Info("issued the HTTPS certificate", slog.String("file", t.certPath()), slog.String("serial", issued.Serial),
		slog.Any("names", t.o.Names), slog.Time("not_after", issued.Certificate.NotAfter))
	return nil
}

// certNames lists a certificate's DNS and IP names, sorted, as tlsNames writes them.
func certNames(c *x509.Certificate) []string {
	out := slices.Clone(c.DNSNames)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	slices.Sort(out)
	return out
}

// tlsNames are the names the HTTPS certificate carries for a listen address: its host (an IP
// SAN for an address, a DNS SAN for a name); on loopback or every interface also localhost,
// 127.0.0.1 and ::1, the names a local client uses; and the host of the public base URL, the
// name remote clients know the CA by.
func tlsNames(listen, baseURL string) []string {
	var out []string
	add := func(ns ...string) {
		for _, n := range ns {
			if n = strings.ToLower(n); n != "" && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	loopback := []string{"localhost", "127.0.0.1", "::1"}
	host, _, _ := net.SplitHostPort(listen)
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.WithZone("").Unmap()
		if !a.IsUnspecified() {
			add(a.String())
		}
		if a.IsUnspecified() || a.IsLoopback() {
			add(loopback...)
		}
	} else {
		add(host)
		if host == "" || strings.EqualFold(host, "localhost") {
			add(loopback...)
		}
	}
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		h := u.Hostname()
		if a, err := netip.ParseAddr(h); err == nil {
			if a = a.WithZone("").Unmap(); !a.IsUnspecified() {
				add(a.String())
			}
		} else {
			add(h)
		}
	}
	return out
}
