// Package apitoken is the vocabulary of the REST API's bearer tokens: the token string
// (anc_<id>_<secret>), its hash, the scopes a token may carry and the name patterns that limit
// what it may obtain. It does no I/O: the store keeps tokens, restapi checks them, the CLI
// makes them.
package apitoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Prefix starts every token, so a leaked one is recognisable by secret scanners and a token
// pasted into the wrong place is told apart from other credentials.
const Prefix = "anc_"

const (
	idBytes     = 8
	secretBytes = 32
	idLen       = 2 * idBytes                         // lowercase hex
	secretLen   = (secretBytes*8 + 5) / 6             // base64url without padding: 43
	tokenLen    = len(Prefix) + idLen + 1 + secretLen // anc_ + id + _ + secret: 64
)

// ErrMalformed is wrapped by every error Parse returns.
var ErrMalformed = errors.New("apitoken: malformed token")

// Credential is a freshly generated token: the public identifier under which the store keeps
// it, and the secret that only the holder knows.
type Credential struct {
	ID     string // 16 lowercase hexadecimal characters
	Secret []byte // 32 random bytes
}

// Generate returns a new credential read from r (nil: crypto/rand).
func Generate(r io.Reader) (Credential, error) {
	if r == nil {
		r = rand.Reader
	}
	buf := make([]byte, idBytes+secretBytes)
	if _, err := io.ReadFull(r, buf); err != nil {
		return Credential{}, fmt.Errorf("apitoken: reading randomness: %w", err)
	}
	return Credential{ID: hex.EncodeToString(buf[:idBytes]), Secret: buf[idBytes:]}, nil
}

// String is the token as its holder sends it: anc_<id>_<secret>. The id is repeated inside
// the token so that the server finds the stored hash with one indexed lookup instead of
// hashing against every token it has.
func (c Credential) String() string {
	return Prefix + c.ID + "_" + base64.RawURLEncoding.EncodeToString(c.Secret)
}

// Hash is Hash(c.Secret), what the store keeps.
func (c Credential) Hash() []byte { return Hash(c.Secret) }

// LogValue keeps the secret out of logs.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", c.ID), slog.String("secret", "[redacted]"))
}

// Parse splits a token into its identifier and secret. Errors wrap ErrMalformed and say what is
// wrong, but never quote the input: a token with a typo is still mostly a secret, and error
// messages end up in logs.
func Parse(s string) (id string, secret []byte, err error) {
	fail := func(why string) (string, []byte, error) {
		return "", nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	rest, ok := strings.CutPrefix(s, Prefix)
	switch {
	case s == "":
		return fail("empty")
	case !ok:
		return fail(fmt.Sprintf("does not start with %q", Prefix))
	case len(s) != tokenLen:
		return fail(fmt.Sprintf("%d characters long; a token has %d", len(s), tokenLen))
	}
	id, sep, enc := rest[:idLen], rest[idLen], rest[idLen+1:]
	if !isLowerHex(id) {
		return fail(fmt.Sprintf("the identifier after %q is not %d lowercase hexadecimal characters", Prefix, idLen))
	}
	if sep != '_' {
		return fail("no \"_\" between the identifier and the secret")
	}
	// The secret's alphabet contains "_" too, which is why the identifier is found by its fixed
	// length, not by splitting on "_".
	secret, err = base64.RawURLEncoding.Strict().DecodeString(enc)
	// The decoder skips CR and LF, and Strict alone lets other encodings of a short input
	// through, so only the canonical encoding of exactly 32 bytes is accepted: one secret has
	// one spelling.
	if err != nil || len(secret) != secretBytes || base64.RawURLEncoding.EncodeToString(secret) != enc {
		return fail(fmt.Sprintf("the secret is not %d bytes of unpadded base64url", secretBytes))
	}
	return id, secret, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Hash returns the SHA-256 of a secret, the only form in which a secret is stored. A slow
// password KDF (bcrypt, Argon2) would buy nothing here: it defends low-entropy passwords
// against guessing, and the secret is 256 uniformly random bits that no one can guess; it
// would only make every API request slower.
func Hash(secret []byte) []byte {
	h := sha256.Sum256(secret)
	return h[:]
}

// Verify reports whether secret hashes to hash, in time independent of where they differ, so
// response timing tells an attacker nothing about how close a guess came.
func Verify(hash, secret []byte) bool {
	return subtle.ConstantTimeCompare(hash, Hash(secret)) == 1
}
