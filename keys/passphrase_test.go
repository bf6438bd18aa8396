package keys

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTemp(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPassphraseFromFile(t *testing.T) {
	long := strings.Repeat("a", maxPassphrase)
	tests := []struct {
		name    string
		content string
		want    string // "" means an error
	}{
		{"line", "pw\n", "pw"},
		{"no newline", "pw", "pw"},
		{"first line only", "first\nsecond\n", "first"},
		{"spaces kept", " two words \n", " two words "},
		{"utf-8", "pässwörd ✓\n", "pässwörd ✓"},
		{"CRLF keeps the CR, as openssl does", "pw\r\n", "pw\r"},
		{"longest openssl reads", long + "\n", long},
		{"longest openssl reads, no newline", long, long},
		{"longer than openssl reads", long + "a\n", ""},
		{"empty file", "", ""},
		{"empty first line", "\nsecond\n", ""},
		{"blank first line", " \r\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := PassphraseFromFile(writeTemp(t, "pass", tc.content))
			if tc.want == "" {
				if err == nil {
					t.Fatalf("PassphraseFromFile = %q, want an error", got)
				}
				if strings.Contains(err.Error(), strings.TrimSpace(tc.content)) && strings.TrimSpace(tc.content) != "" {
					t.Fatalf("error %q quotes the file", err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("PassphraseFromFile = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	_, err := PassphraseFromFile(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: error %v, want fs.ErrNotExist", err)
	}
}
