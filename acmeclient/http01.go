package acmeclient

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/anchorpki/anchor/acme"
)

// http01 is a standalone http-01 responder (RFC 8555 §8.3): it answers
// GET /.well-known/acme-challenge/TOKEN with the key authorization and 404 otherwise.
type http01 struct {
	srv  *http.Server
	mu   sync.Mutex
	resp map[string]string // token → key authorization
}

func startHTTP01(host string, port int) (*http01, error) {
	ln, err := listen(host, port)
	if err != nil {
		return nil, err
	}
	s := &http01{resp: map[string]string{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(ln)
	return s, nil
}

func (s *http01) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, acme.HTTP01Path(""))
	s.mu.Lock()
	ka, found := s.resp[token]
	s.mu.Unlock()
	if !ok || !found || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write([]byte(ka))
}

func (s *http01) present(_ context.Context, cl *xacme.Client, _ string, ch *xacme.Challenge) error {
	ka, err := cl.HTTP01ChallengeResponse(ch.Token)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.resp[ch.Token] = ka
	s.mu.Unlock()
	return nil
}

func (s *http01) cleanup(_ context.Context, _ *xacme.Client, _ string, ch *xacme.Challenge) error {
	s.mu.Lock()
	delete(s.resp, ch.Token)
	s.mu.Unlock()
	return nil
}

func (s *http01) close() error { return s.srv.Close() }

// webroot writes the http-01 response under the document root of a web server already serving
// the domain, and removes it (and the directories it created) afterwards.
type webroot struct {
	dir     string
	created []string // directories made here, deepest last
}

func (w *webroot) path(token string) string {
	return filepath.Join(w.dir, filepath.FromSlash(acme.HTTP01Path(token)))
}

func (w *webroot) present(_ context.Context, cl *xacme.Client, _ string, ch *xacme.Challenge) error {
	if err := acme.ValidateToken(ch.Token); err != nil { // the token becomes a file name
		return err
	}
	ka, err := cl.HTTP01ChallengeResponse(ch.Token)
	if err != nil {
		return err
	}
	p := w.path(ch.Token)
	if w.created == nil {
		for d := filepath.Dir(p); d != filepath.Clean(w.dir); d = filepath.Dir(d) {
			if _, err := os.Stat(d); errors.Is(err, fs.ErrNotExist) {
				w.created = append([]string{d}, w.created...)
			}
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	// 0644: the web server, often another user, must read it.
	return os.WriteFile(p, acme.HTTP01Body(ka), 0o644)
}

func (w *webroot) cleanup(_ context.Context, _ *xacme.Client, _ string, ch *xacme.Challenge) error {
	err := os.Remove(w.path(ch.Token))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func (w *webroot) close() error {
	for i := len(w.created) - 1; i >= 0; i-- {
		os.Remove(w.created[i]) // only if empty: someone else's files stay
	}
	return nil
}
