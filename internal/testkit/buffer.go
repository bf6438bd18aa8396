package testkit

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer that a server goroutine or a child process's output copier may write
// while the test reads it.
type Buffer struct {
	// Limit, if positive, keeps only the first Limit bytes (and reports every write whole):
	// enough to see why a process failed, bounded for one that logs every request under load.
	Limit int

	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Limit > 0 {
		if room := s.Limit - s.b.Len(); room < len(p) {
			s.b.Write(p[:max(room, 0)])
			return len(p), nil
		}
	}
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
