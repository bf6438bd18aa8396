// Package httplog holds what the request logs of `anchor serve` and `anchor proxy` share: a
// ResponseWriter that records the status and size of an answer, and the bound on a logged path.
package httplog

import "net/http"

// maxPath bounds the path in a request event: an OCSP GET carries its request in the path, and
// a client may send a path as long as the server's MaxHeaderBytes.
const maxPath = 256

// Path is the request path as a log event carries it, cut after maxPath bytes.
func Path(r *http.Request) string {
	path := r.URL.Path
	if len(path) > maxPath {
		path = path[:maxPath] + "…"
	}
	return path
}

// Recorder remembers the final status code and counts the body bytes of a response.
type Recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *Recorder) WriteHeader(code int) {
	if w.code == 0 && code >= 200 { // 1xx are interim responses; the final status follows
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *Recorder) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer (deadlines, flushing, and
// the hijack a reverse proxy needs for upgrades).
func (w *Recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status sent: 200 when the handler wrote nothing, as net/http then answers.
func (w *Recorder) Status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Bytes is the size of the body written.
func (w *Recorder) Bytes() int64 { return w.bytes }
