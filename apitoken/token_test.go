package apitoken_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/anchorpki/anchor/apitoken"
)

// counting is a deterministic "random" source: 0, 1, 2, …
type counting struct{ n byte }

func (c *counting) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = c.n
		c.n++
	}
	return len(p), nil
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	c, err := apitoken.Generate(&counting{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "anc_0001020304050607_CAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJic"
	if c.ID != "0001020304050607" || len(c.Secret) != 32 || c.String() != want {
		t.Fatalf("Generate = %q, %x, %q; want %q", c.ID, c.Secret, c.String(), want)
	}
	id, secret, err := apitoken.Parse(c.String())
	if err != nil || id != c.ID || !bytes.Equal(secret, c.Secret) {
		t.Fatalf("Parse(String()) = %q, %x, %v", id, secret, err)
	}
	if !apitoken.Verify(c.Hash(), secret) {
		t.Fatal("Verify(Hash(secret), secret) = false")
	}
	// Real randomness gives distinct credentials, and each parses.
	a, _ := apitoken.Generate(nil)
	b, _ := apitoken.Generate(nil)
	if a.ID == b.ID || bytes.Equal(a.Secret, b.Secret) {
		t.Fatal("two generated credentials are equal")
	}
	if _, _, err := apitoken.Parse(a.String()); err != nil {
		t.Fatalf("Parse(%s): %v", a, err)
	}
}

func TestGenerateShortRandomness(t *testing.T) {
	t.Parallel()
	if _, err := apitoken.Generate(iotest.ErrReader(errors.New("no entropy"))); err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Fatalf("Generate with a failing reader: %v", err)
	}
	if _, err := apitoken.Generate(bytes.NewReader(make([]byte, 39))); err == nil {
		t.Fatal("Generate accepted 39 bytes of randomness; it needs 40")
	}
}

func TestCredentialLogValue(t *testing.T) {
	t.Parallel()
	c, _ := apitoken.Generate(nil)
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("made", "token", c)
	if strings.Contains(buf.String(), c.String()[len(apitoken.Prefix)+17:]) || !strings.Contains(buf.String(), "[redacted]") {
		t.Fatalf("log line shows the secret: %s", buf.String())
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const id, secret = "0001020304050607", "CAkKCwwNDg8QERITFBUWFxgZGhscHR4fICEiIyQlJic"
	good := "anc_" + id + "_" + secret
	head := secret[:len(secret)-2] // all but the last two characters
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "empty"},
		{"no prefix", "Bearer " + good, `does not start with "anc_"`},
		{"other prefix", "ghp_" + id + "_" + secret, `does not start with "anc_"`},
		{"upper prefix", "ANC_" + id + "_" + secret, `does not start with "anc_"`},
		{"prefix only", "anc_", "4 characters long; a token has 64"},
		{"truncated", good[:63], "63 characters long"},
		{"trailing newline", good + "\n", "65 characters long"},
		{"upper-case id", "anc_00010203040506AB_" + secret, "not 16 lowercase hexadecimal"},
		{"non-hex id", "anc_000102030405060g_" + secret, "not 16 lowercase hexadecimal"},
		{"wrong separator", "anc_" + id + "-" + secret, `no "_" between`},
		{"standard base64", "anc_" + id + "_" + head + "i+", "not 32 bytes of unpadded base64url"},
		{"padding", "anc_" + id + "_" + head + "==", "not 32 bytes"},
		{"non-canonical last char", "anc_" + id + "_" + head + "id", "not 32 bytes"},
		{"embedded newline", "anc_" + id + "_" + head + "i\n", "not 32 bytes"},
		{"non-ascii", "anc_" + id + "_" + head + "\u00e9", "not 32 bytes"},
		{"secret of 31 bytes and filler", "anc_" + id + "_" + secret[:41] + "__", "not 32 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id, secret, err := apitoken.Parse(tc.in)
			if !errors.Is(err, apitoken.ErrMalformed) || id != "" || secret != nil {
				t.Fatalf("Parse = %q, %x, %v; want ErrMalformed", id, secret, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q; want it to say %q", err, tc.msg)
			}
			if len(tc.in) > 20 && strings.Contains(err.Error(), tc.in[20:]) {
				t.Errorf("error %q quotes the token", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	good, _ := apitoken.Generate(&counting{})
	for _, s := range []string{good.String(), "", "anc_", "anc_" + strings.Repeat("_", 60), good.String() + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, err := apitoken.Parse(s)
		if err != nil {
			if !errors.Is(err, apitoken.ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// Whatever parses is one canonical token: it prints back to exactly the input.
		if again := (apitoken.Credential{ID: id, Secret: secret}).String(); again != s {
			t.Fatalf("Parse(%q) round-trips to %q", s, again)
		}
	})
}

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	secret := bytes.Repeat([]byte{7}, 32)
	h := apitoken.Hash(secret)
	if len(h) != 32 {
		t.Fatalf("hash is %d bytes; want 32 (SHA-256)", len(h))
	}
	other := bytes.Repeat([]byte{8}, 32)
	tests := []struct {
		name   string
		hash   []byte
		secret []byte
		want   bool
	}{
		{"match", h, secret, true},
		{"other secret", h, other, false},
		{"empty hash", nil, secret, false},
		{"truncated hash", h[:31], secret, false},
		{"empty secret", h, nil, false},
	}
	for _, tc := range tests {
		if got := apitoken.Verify(tc.hash, tc.secret); got != tc.want {
			t.Errorf("%s: Verify = %v; want %v", tc.name, got, tc.want)
		}
	}
}
