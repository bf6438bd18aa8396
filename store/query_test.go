package store

import (
	"errors"
	"testing"
)

func TestCursor(t *testing.T) {
	t.Parallel()
	for _, id := range []int64{0, 1, 1 << 40} {
		got, err := decodeCursor(encodeCursor(id))
		if err != nil || got != id {
			t.Errorf("decodeCursor(encodeCursor(%d)) = %d, %v", id, got, err)
		}
	}
	for _, bad := range []string{"", "%%%", "MQ", "YzE6eA", "YzE6LTE"} { // "", junk, "1", "c1:x", "c1:-1"
		if _, err := decodeCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("decodeCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}
