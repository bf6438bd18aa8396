package cli

import (
	"bytes"
	"testing"
)

// A certificate field from a hostile server cannot drive the terminal probe prints to.
func TestTerminalSafe(t *testing.T) {
	var b bytes.Buffer
	n, err := terminalSafe{&b}.Write([]byte("CN=evil\x1b]0;owned\x07\tok\n\x7f"))
	if err != nil || n != len("CN=evil\x1b]0;owned\x07\tok\n\x7f") {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if got, want := b.String(), "CN=evil\\x1b]0;owned\\x07\tok\n\\x7f"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
