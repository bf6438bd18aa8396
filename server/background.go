package server

import "sync"

// background runs goroutines that must finish before the inventory closes, and refuses new
// ones once stopping has begun (a WaitGroup alone cannot be added to during its Wait).
type background struct {
	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
}

// goIfRunning runs f on its own goroutine unless stop has been called, and reports which.
func (b *background) goIfRunning(f func()) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	b.wg.Go(f)
	return true
}

func (b *background) stop() {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	b.wg.Wait()
}
