package acmeclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
	"github.com/anchorpki/anchor/csr"
	"github.com/anchorpki/anchor/keys"
	"github.com/anchorpki/anchor/names"
	"github.com/anchorpki/anchor/pemfile"
)

// ErrInvalidRequest is wrapped by errors about what the caller asked for, before any request
// is sent.
var ErrInvalidRequest = errors.New("acmeclient: invalid request")

// Options configure a Client, which manages the certificate of one directory.
type Options struct {
	Dir string // required: where the files live (created 0700 if missing)
	// Passphrase encrypts a new account.key and decrypts an existing one. nil: plain.
	Passphrase []byte
	// RootsFile is a PEM bundle of the CAs trusted for the ACME server's HTTPS. "": the one
	// remembered in state.json, else the system roots. Ignored when HTTPClient is set.
	RootsFile string
	// HTTPClient talks to the ACME server. nil: a client with a 30 s timeout and RootsFile.
	HTTPClient *http.Client
	// Hooks run the dns-01 and deploy hook commands; nil: /bin/sh (ShellHooks).
	Hooks HookRunner
	// UserAgent is sent with every request; "": "anchor-acmeclient".
	UserAgent string
	Logger    *slog.Logger     // nil: discard
	Now       func() time.Time // nil: time.Now
}

// EAB is an external account binding (RFC 8555 §7.3.4) as the CA's operator hands it out.
type EAB struct {
	KeyID   string
	HMACKey string // base64url, with or without padding
}

// ObtainRequest is a new certificate to obtain into the Client's directory.
type ObtainRequest struct {
	Directory  string    // required: the ACME directory URL
	Domains    []string  // required: DNS names (wildcards with dns-01) and IP addresses
	Challenge  Challenge // required: how to prove control of them
	KeyType    keys.Type // "": keys.DefaultType (ec-p256)
	Email      string    // the account's contact, when a new account is created
	EAB        *EAB      // when the CA requires an external account binding
	DeployHook string    // run after this and every later new certificate
}

// Result says what Obtain or Renew did and what the directory holds now.
type Result struct {
	Renewed   bool      `json:"renewed"` // a new certificate was written
	Reason    string    `json:"reason"`  // why it was (or was not) obtained
	Dir       string    `json:"dir"`
	Domains   []string  `json:"domains"`
	Serial    string    `json:"serial"` // of the current certificate, lower-case hex
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// RenewAt is when the current certificate is due for renewal (see Decision).
	RenewAt time.Time `json:"renew_at"`
	// Window is the server's suggested renewal window (ARI), when it has one.
	Window *acme.SuggestedWindow `json:"ari_window,omitempty"`
	// NextCheck is when a renewal loop should look again.
	NextCheck  time.Time `json:"next_check"`
	DeployHook string    `json:"deploy_hook,omitempty"` // that ran, if any
}

// Client obtains and renews the certificate of one directory. It is safe for one goroutine;
// two processes renewing one directory at once both succeed, the later files win.
type Client struct {
	o     Options
	log   *slog.Logger
	hooks HookRunner
}

// New checks o and returns a Client. It does no I/O.
func New(o Options) (*Client, error) {
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: no directory", ErrInvalidRequest)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.UserAgent == "" {
		o.UserAgent = "anchor-acmeclient"
	}
	c := &Client{o: o, log: o.Logger, hooks: o.Hooks}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.hooks == nil {
		c.hooks = ShellHooks{}
	}
	return c, nil
}

// Obtain orders a certificate for req.Domains, writes it into the directory with a fresh key,
// records req in state.json for Renew, and runs the deploy hook.
func (c *Client) Obtain(ctx context.Context, req ObtainRequest) (*Result, error) {
	if err := checkRequest(&req); err != nil {
		return nil, err
	}
	st := &State{Directory: req.Directory, Email: req.Email, Domains: req.Domains, Challenge: req.Challenge,
		KeyType: req.KeyType, DeployHook: req.DeployHook, RootsFile: absPath(c.o.RootsFile)}
	if old, err := ReadState(c.o.Dir); err == nil && old.Directory == st.Directory {
		st.Account = old.Account // the same CA: the account key (and so the account) is reused
	}
	hc, dir, err := c.connect(ctx, st)
	if err != nil {
		return nil, err
	}
	return c.issue(ctx, st, hc, dir, req.EAB, "", "requested")
}

func checkRequest(req *ObtainRequest) error {
	if req.Directory == "" {
		return fmt.Errorf("%w: no ACME directory URL", ErrInvalidRequest)
	}
	if len(req.Domains) == 0 {
		return fmt.Errorf("%w: no domain", ErrInvalidRequest)
	}
	req.Domains = slices.Clone(req.Domains) // normalised below; the caller's slice stays
	for i, d := range req.Domains {
		id, err := acme.IdentifierFor(d)
		if err != nil {
			return fmt.Errorf("%w: domain %q: %v", ErrInvalidRequest, d, err)
		}
		req.Domains[i] = id.Value
	}
	if req.KeyType == "" {
		req.KeyType = keys.DefaultType
	}
	if _, err := keys.ParseType(string(req.KeyType)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if err := req.Challenge.check(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	if req.EAB != nil {
		if _, err := decodeHMAC(req.EAB.HMACKey); err != nil || req.EAB.KeyID == "" {
			return fmt.Errorf("%w: external account binding needs a key ID and a base64url MAC key", ErrInvalidRequest)
		}
	}
	return nil
}

func decodeHMAC(s string) ([]byte, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad MAC key")
	}
	return b, nil
}

// issue runs one whole issuance for st and writes everything. replaces is the ARI CertID of the
// certificate being renewed ("" for none).
// issue obtains a certificate for st with the HTTP client and directory its caller has already
// set up for st.
func (c *Client) issue(ctx context.Context, st *State, hc *http.Client, dir *acme.Directory, eab *EAB, replaces, reason string) (*Result, error) {
	if err := os.MkdirAll(c.o.Dir, 0o700); err != nil {
		return nil, err
	}
	// 1. The account: its key from the directory (or a new one), registered or looked up.
	key, err := c.accountKey()
	if err != nil {
		return nil, err
	}
	cl := &xacme.Client{Key: key, DirectoryURL: st.Directory, HTTPClient: hc, UserAgent: c.o.UserAgent}
	if st.Account, err = c.account(ctx, cl, st, eab); err != nil {
		return nil, err
	}
	cl.KID = xacme.KeyID(st.Account)
	// 2. The order, naming the certificate it replaces when the server speaks ARI.
	order, err := c.newOrder(ctx, cl, hc, dir, st.Domains, replaces)
	if err != nil {
		return nil, fmt.Errorf("new order: %w", wireError(err))
	}
	// 3. Prove control of every identifier not already authorized.
	if err := c.solve(ctx, cl, st.Challenge, order); err != nil {
		return nil, err
	}
	if order, err = cl.WaitOrder(ctx, order.URI); err != nil {
		return nil, fmt.Errorf("order: %w", wireError(err))
	}
	// 4. Finalize with a fresh key, then download the chain.
	certKey, err := keys.Generate(st.KeyType, nil)
	if err != nil {
		return nil, err
	}
	sans, err := names.ParseSANs(st.Domains)
	if err != nil {
		return nil, err
	}
	csrDER, err := csr.Create(csr.Request{Key: certKey, SANs: sans})
	if err != nil {
		return nil, err
	}
	chain, _, err := cl.CreateOrderCert(ctx, order.FinalizeURL, csrDER, true)
	if err != nil {
		return nil, fmt.Errorf("finalize: %w", wireError(err))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, fmt.Errorf("the server's certificate: %w", err)
	}
	// 5. Write the key and certificates, then the state that describes them.
	if err := writeCertificate(c.o.Dir, certKey, chain); err != nil {
		return nil, err
	}
	if err := writeState(c.o.Dir, st); err != nil {
		return nil, err
	}
	c.log.InfoContext(ctx, "acme: certificate obtained", slog.String("serial", serialHex(leaf)),
		slog.Any("domains", st.Domains), slog.Time("not_after", leaf.NotAfter))
	res := &Result{Renewed: true, Reason: reason, Dir: c.o.Dir}
	fillCert(res, leaf)
	d := c.decide(ctx, hc, dir, leaf)
	res.RenewAt, res.Window, res.NextCheck = d.at, d.window, d.nextCheck
	// 6. Deploy.
	if st.DeployHook != "" {
		if err := c.hooks.Deploy(ctx, st.DeployHook, c.o.Dir, st.Domains); err != nil {
			return res, fmt.Errorf("deploy hook: %w", err)
		}
		res.DeployHook = st.DeployHook
	}
	return res, nil
}

func fillCert(r *Result, leaf *x509.Certificate) {
	r.Serial = serialHex(leaf)
	r.NotBefore, r.NotAfter = leaf.NotBefore.UTC(), leaf.NotAfter.UTC()
	r.Domains = certNames(leaf)
}

func serialHex(c *x509.Certificate) string {
	s := hex.EncodeToString(c.SerialNumber.Bytes())
	if s == "" {
		return "00"
	}
	return s
}

func absPath(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// httpClient is Options.HTTPClient, else one trusting RootsFile (or the state's, or the
// system's roots).
func (c *Client) httpClient(st *State) (*http.Client, error) {
	if c.o.HTTPClient != nil {
		return c.o.HTTPClient, nil
	}
	file := c.o.RootsFile
	if file == "" && st != nil {
		file = st.RootsFile
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if file != "" {
		certs, err := pemfile.ReadCertificates(file)
		if err != nil {
			return nil, err
		}
		if len(certs) == 0 {
			return nil, fmt.Errorf("%s holds no certificate", file)
		}
		pool := x509.NewCertPool()
		for _, cert := range certs {
			pool.AddCert(cert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// connect builds the HTTP client for st's CA and reads its directory, once per obtain or
// renewal.
func (c *Client) connect(ctx context.Context, st *State) (*http.Client, *acme.Directory, error) {
	hc, err := c.httpClient(st)
	if err != nil {
		return nil, nil, err
	}
	dir, err := fetchDirectory(ctx, hc, st.Directory)
	if err != nil {
		return nil, nil, err
	}
	return hc, dir, nil
}

// fetchDirectory reads the directory with our wire type, which knows renewalInfo.
func fetchDirectory(ctx context.Context, hc *http.Client, url string) (*acme.Directory, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", url, err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("directory %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("directory %s: %s", url, resp.Status)
	}
	var d acme.Directory
	if err := json.Unmarshal(b, &d); err != nil || d.NewOrder == "" || d.NewNonce == "" {
		return nil, fmt.Errorf("directory %s: not an ACME directory", url)
	}
	return &d, nil
}

// wireError turns x/crypto/acme's errors into one line naming the problem type (RFC 8555 §6.7)
// and detail: "acme: urn:ietf:params:acme:error:incorrectResponse: ...".
func wireError(err error) error {
	if e, ok := errors.AsType[*xacme.Error](err); ok {
		return &ProblemError{Problem: problemOf(e)}
	}
	if e, ok := errors.AsType[*xacme.OrderError](err); ok {
		if e.Problem != nil {
			return &ProblemError{Problem: problemOf(e.Problem)}
		}
		return fmt.Errorf("order %s is %s", e.OrderURL, e.Status)
	}
	if e, ok := errors.AsType[*xacme.AuthorizationError](err); ok {
		for _, ce := range e.Errors {
			if pe, ok := errors.AsType[*xacme.Error](ce); ok {
				return fmt.Errorf("%s: %w", e.Identifier, &ProblemError{Problem: problemOf(pe)})
			}
		}
		return fmt.Errorf("%s: authorization is invalid", e.Identifier)
	}
	return err
}

func problemOf(e *xacme.Error) *acme.Problem {
	p := &acme.Problem{Type: acme.ProblemType(e.ProblemType), Detail: e.Detail, Status: e.StatusCode, Instance: e.Instance}
	for _, s := range e.Subproblems {
		p.Subproblems = append(p.Subproblems, acme.Subproblem{Type: acme.ProblemType(s.Type), Detail: s.Detail})
	}
	return p
}

// ProblemError is a problem document the ACME server answered with.
type ProblemError struct{ Problem *acme.Problem }

func (e *ProblemError) Error() string {
	var b strings.Builder
	b.WriteString("acme: ")
	b.WriteString(string(e.Problem.Type))
	if e.Problem.Detail != "" {
		b.WriteString(": " + e.Problem.Detail)
	}
	for _, s := range e.Problem.Subproblems {
		b.WriteString("; " + string(s.Type) + ": " + s.Detail)
	}
	return b.String()
}

func (e *ProblemError) Unwrap() error { return e.Problem }

// sameNames reports whether a and b hold the same identifiers in any order.
func sameNames(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}
