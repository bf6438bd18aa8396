package tlsproxy

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestStripUntrusted(t *testing.T) {
	h := http.Header{}
	for _, k := range []string{"X-Client-Cert-Serial", "X-Client-Cert", "X-Client-Certificate", "X_Client_Cert_Subject", "X-Client-Verify",
		"X_Client_Verify", "X-Forwarded-For", "X_Forwarded_Host", "Forwarded", "X-Request-Id", "Authorization", "X-Client-Id",
		"X-Forwarded", "X-Real-IP", "True-Client-IP", "X-SSL-Client-Verify", "X-Original-URL"} {
		h[k] = []string{"v"}
	}
	stripUntrusted(h)
	var left []string
	for k := range h {
		left = append(left, k)
	}
	slices.Sort(left)
	if want := []string{"Authorization", "X-Client-Id", "X-Request-Id"}; !slices.Equal(left, want) {
		t.Fatalf("left %v, want %v", left, want)
	}
}

func TestHeaderSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"CN=alice,O=Example", "CN=alice,O=Example"},
		{"CN=a\r\nX-Client-Verify: SUCCESS", `CN=a\0d\0aX-Client-Verify: SUCCESS`},
		{"CN=Zoë", "CN=Zoë"},
	}
	for _, tc := range tests {
		if got := headerSafe(tc.in); got != tc.want {
			t.Errorf("headerSafe(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTTLCacheIsBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	c := newTTLCache[int, int](3)
	for i := range 10 {
		c.put(i, i, now.Add(time.Duration(i+1)*time.Minute), now)
	}
	if c.len() != 3 {
		t.Fatalf("len %d, want 3", c.len())
	}
	if _, ok := c.get(9, now); !ok {
		t.Error("the newest, longest-lived entry was evicted")
	}
	if _, ok := c.get(9, now.Add(11*time.Minute)); ok {
		t.Error("an expired entry was served")
	}
	c.put(100, 1, now, now) // already expired: not stored
	if _, ok := c.get(100, now); ok {
		t.Error("stored an expired entry")
	}
}
