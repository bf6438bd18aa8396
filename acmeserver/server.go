package acmeserver

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/anchorpki/anchor/ca"
	"github.com/anchorpki/anchor/policy"
	"github.com/anchorpki/anchor/revocation"
	"github.com/anchorpki/anchor/store"
)

// Store is the state the server keeps. *store.DB implements it.
type Store interface {
	CreateACMEAccount(ctx context.Context, a store.ACMEAccount) (store.ACMEAccount, error)
	ACMEAccount(ctx context.Context, id string) (store.ACMEAccount, error)
	ACMEAccountByThumbprint(ctx context.Context, thumbprint string) (store.ACMEAccount, error)
	UpdateACMEAccount(ctx context.Context, a store.ACMEAccount) (store.ACMEAccount, error)
	EABKey(ctx context.Context, kid string) (store.EABKey, error)

	SpendNonce(ctx context.Context, nonce string, expires time.Time) error
	ACMESecret(ctx context.Context, name string, generate func() ([]byte, error)) ([]byte, error)

	CreateACMEOrder(ctx context.Context, o store.ACMEOrder, authzs []store.ACMEAuthz) (store.ACMEOrder, error)
	ACMEOrder(ctx context.Context, id string) (store.ACMEOrder, error)
	UpdateACMEOrder(ctx context.Context, o store.ACMEOrder) (store.ACMEOrder, error)
	ACMEOrderIDs(ctx context.Context, accountID, cursor string, limit int) ([]string, string, error)
	ACMEOrderBySerial(ctx context.Context, serialHex string) (store.ACMEOrder, error)
	ACMEOrdersReplacing(ctx context.Context, certID string) ([]store.ACMEOrder, error)
	CountACMEOrders(ctx context.Context, accountID string, since time.Time) (int, error)

	ACMEAuthz(ctx context.Context, id string) (store.ACMEAuthz, error)
	UpdateACMEAuthz(ctx context.Context, a store.ACMEAuthz) (store.ACMEAuthz, error)
	ValidACMEAuthz(ctx context.Context, accountID, identType, identValue string, wildcard bool, now time.Time) (store.ACMEAuthz, error)
	CountFailedACMEAuthzs(ctx context.Context, accountID, identValue string, since time.Time) (int, error)

	// Get reads a certificate of the inventory, for download, revocation and ARI.
	Get(ctx context.Context, issuerKeyID []byte, serial *big.Int) (store.Certificate, error)
}

// Authority issues and revokes. *ca.Authority implements it.
type Authority interface {
	Issue(ctx context.Context, req ca.Request) (*ca.Issued, error)
	Revoke(ctx context.Context, serial *big.Int, reason revocation.Reason, requester string) (*ca.Revoked, error)
	Chain() []*x509.Certificate
}

// Validator proves control of identifiers. *challenge.Validator implements it.
type Validator interface {
	HTTP01(ctx context.Context, domain, token, keyAuth string) error
	DNS01(ctx context.Context, domain, keyAuth string) error
	TLSALPN01(ctx context.Context, domain, keyAuth string) error
	CAA(ctx context.Context, domain string, wildcard bool, accountURI, method string) error
}

// RateLimits bound what one account or one name may cost the CA. A zero count is no limit.
type RateLimits struct {
	OrdersPerAccount  int           // new orders per account per OrdersWindow
	OrdersWindow      time.Duration // default 3 h, as Let's Encrypt
	FailedValidations int           // failed authorizations per account and identifier per FailedWindow
	FailedWindow      time.Duration // default 1 h
}

// Options configure a Server.
type Options struct {
	Store     Store     // required
	Authority Authority // required
	Validator Validator // required
	// Policy, when set, refuses identifiers at newOrder that the authority would refuse at
	// finalize anyway, so clients are not sent to validate names they can never get.
	Policy *policy.Policy
	// Prefix is the path the server is mounted at; default "/acme".
	Prefix string
	// BaseURL is the scheme and authority of every URL the server hands out, such as
	// "https://ca.example:8443". Empty: taken from each request (its Host and TLS state), so
	// the server answers under whatever name clients reach it by.
	BaseURL string
	// Directory metadata (RFC 8555 §7.1.1).
	TermsOfService string
	Website        string
	CAAIdentities  []string
	// EABRequired makes newAccount demand an external account binding (RFC 8555 §7.3.4).
	EABRequired bool
	// Profiles are the certificate profiles clients may choose, with descriptions; default
	// server and client. DefaultProfile is used when an order names none (default "server").
	Profiles       map[string]string
	DefaultProfile string
	// IssuerURL, when set, is sent as Link rel="up" with a certificate: where the issuer
	// certificate is published (the AIA caIssuers URL).
	IssuerURL string
	// Lifetimes: of a pending order and its new authorizations (default 7 days), of a valid
	// authorization a later order may reuse (default 30 days), and of a nonce (default 1 h).
	OrderLifetime time.Duration
	AuthzLifetime time.Duration
	NonceLifetime time.Duration
	RateLimits    RateLimits
	// ValidationTimeout bounds one validation, CAA included (default 30 s); at most
	// MaxValidations run at once (default 32).
	ValidationTimeout time.Duration
	MaxValidations    int
	MaxBodyBytes      int64 // default 64 KiB
	Logger            *slog.Logger
	Now               func() time.Time
}

// Server is the ACME server. It is an http.Handler for everything under Prefix.
type Server struct {
	o      Options
	mux    *http.ServeMux
	log    *slog.Logger
	nonces *nonces

	// Validations run beyond the request that started them; Close cancels and waits.
	bg       context.Context
	stop     context.CancelFunc
	wg       sync.WaitGroup
	validate chan struct{}
}

// New returns a Server. Call Close when done, to stop validations in flight.
func New(o Options) (*Server, error) {
	if o.Store == nil || o.Authority == nil || o.Validator == nil {
		return nil, errors.New("acmeserver: Store, Authority and Validator are required")
	}
	if len(o.Authority.Chain()) == 0 {
		return nil, errors.New("acmeserver: the authority has no issuer certificate")
	}
	if o.Prefix == "" {
		o.Prefix = "/acme"
	}
	o.Prefix = "/" + strings.Trim(o.Prefix, "/")
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	if o.Profiles == nil {
		o.Profiles = map[string]string{
			"server": "TLS server certificate (serverAuth), the default",
			"client": "TLS client certificate (clientAuth), for mutual TLS",
		}
	}
	if o.DefaultProfile == "" {
		o.DefaultProfile = "server"
	}
	if _, ok := o.Profiles[o.DefaultProfile]; !ok {
		return nil, fmt.Errorf("acmeserver: default profile %q is not offered", o.DefaultProfile)
	}
	o.OrderLifetime = orDefault(o.OrderLifetime, 7*24*time.Hour)
	o.AuthzLifetime = orDefault(o.AuthzLifetime, 30*24*time.Hour)
	o.NonceLifetime = orDefault(o.NonceLifetime, time.Hour)
	o.ValidationTimeout = orDefault(o.ValidationTimeout, 30*time.Second)
	o.RateLimits.OrdersWindow = orDefault(o.RateLimits.OrdersWindow, 3*time.Hour)
	o.RateLimits.FailedWindow = orDefault(o.RateLimits.FailedWindow, time.Hour)
	if o.MaxValidations <= 0 {
		o.MaxValidations = 32
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	bg, stop := context.WithCancel(context.Background())
	s := &Server{o: o, log: o.Logger, bg: bg, stop: stop, validate: make(chan struct{}, o.MaxValidations)}
	s.nonces = &nonces{store: o.Store, lifetime: o.NonceLifetime, now: o.Now}
	s.routes()
	return s, nil
}

// Close stops the validations in flight and waits for them; their challenges stay
// "processing" and are retried when the client answers them again.
func (s *Server) Close() error {
	s.stop()
	s.wg.Wait()
	return nil
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// The resource paths under Prefix.
const (
	pathDirectory   = "/directory"
	pathNewNonce    = "/new-nonce"
	pathNewAccount  = "/new-account"
	pathNewOrder    = "/new-order"
	pathRevokeCert  = "/revoke-cert"
	pathKeyChange   = "/key-change"
	pathRenewalInfo = "/renewal-info/"
	pathAccount     = "/acct/"
	pathOrder       = "/order/"
	pathAuthz       = "/authz/"
	pathChallenge   = "/chall/"
	pathCert        = "/cert/"
)

func (s *Server) routes() {
	p := s.o.Prefix
	m := http.NewServeMux()
	m.HandleFunc("GET "+p+pathDirectory, s.directory)
	m.HandleFunc("GET "+p+pathNewNonce, s.newNonce)
	m.HandleFunc("HEAD "+p+pathNewNonce, s.newNonce)
	m.HandleFunc("GET "+p+pathRenewalInfo+"{certid}", s.renewalInfo)
	post := map[string]struct {
		mode keyMode
		h    handler
	}{
		pathNewAccount:                {byJWK, s.newAccount},
		pathAccount + "{id}":          {byKID, s.account},
		pathAccount + "{id}/orders":   {byKID, s.accountOrders},
		pathKeyChange:                 {byKID, s.keyChange},
		pathNewOrder:                  {byKID, s.newOrder},
		pathOrder + "{id}":            {byKID, s.order},
		pathOrder + "{id}/finalize":   {byKID, s.finalize},
		pathAuthz + "{id}":            {byKID, s.authz},
		pathChallenge + "{id}/{type}": {byKID, s.challenge},
		pathCert + "{id}":             {byKID, s.certificate},
		pathRevokeCert:                {byAny, s.revokeCert},
	}
	for path, e := range post {
		m.Handle("POST "+p+path, s.jwsHandler(e.mode, e.h))
	}
	// Anything else under the prefix is an ACME resource that does not exist, or a method
	// the resource does not take: say so as a problem document, not net/http's text.
	m.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && isPOSTResource(strings.TrimPrefix(r.URL.Path, p)) {
			w.Header().Set("Allow", http.MethodPost)
			s.writeProblem(w, r, problemStatus(malformed("%s takes POST (POST-as-GET, RFC 8555 §6.3), not GET", r.URL.Path), http.StatusMethodNotAllowed))
			return
		}
		s.writeProblem(w, r, notFound("no ACME resource at %s", r.URL.Path))
	})
	s.mux = m
}

func isPOSTResource(rest string) bool {
	for _, pre := range []string{pathNewAccount, pathNewOrder, pathRevokeCert, pathKeyChange, pathAccount, pathOrder, pathAuthz, pathChallenge, pathCert} {
		if strings.HasPrefix(rest, pre) {
			return true
		}
	}
	return false
}

// base is the scheme, authority and prefix of every URL the server hands out in answer to r.
func (s *Server) base(r *http.Request) string {
	if s.o.BaseURL != "" {
		return s.o.BaseURL + s.o.Prefix
	}
	scheme := "https"
	if r.TLS == nil {
		scheme = "http"
	}
	return scheme + "://" + r.Host + s.o.Prefix
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
