package ocspresponder

import (
	"strconv"
	"testing"
	"time"
)

func TestCacheBound(t *testing.T) {
	t.Parallel()
	c := newCache(3)
	now := time.Now()
	e := &entry{thisUpdate: now, reuseUntil: now.Add(time.Hour)}
	for i := range 10 {
		c.put(strconv.Itoa(i), e)
		if c.len() > 3 {
			t.Fatalf("after %d puts the cache holds %d entries, bound 3", i+1, c.len())
		}
	}
	c.put("9", e) // replacing an entry evicts nothing
	if c.len() != 3 {
		t.Fatalf("cache holds %d entries, want 3", c.len())
	}
	if c.get("9", certState{}, now) != e {
		t.Fatal("latest entry missing")
	}
	for _, tc := range []struct {
		name string
		at   time.Time
		st   certState
	}{
		{"other state", now, unknown},
		{"at reuseUntil", now.Add(time.Hour), certState{}},
		{"before thisUpdate (clock went back)", now.Add(-time.Second), certState{}},
	} {
		if c.get("9", tc.st, tc.at) != nil {
			t.Errorf("%s: cached entry reused", tc.name)
		}
	}
	var disabled *cache
	disabled.put("x", e)
	if disabled.get("x", certState{}, now) != nil || disabled.len() != 0 {
		t.Fatal("a nil cache holds entries")
	}
}
