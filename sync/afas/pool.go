package afas

import (
	"context"
	"sync"
)

// Pool bounds the AFAS calls in flight. AFAS allows 5–8 parallel calls per environment and blocks
// clients that abuse it, so one pool is shared by every read of a run (all connectors, all key
// ranges, later attachment downloads): no more than its size are ever on the wire at once. A slot
// is held for one HTTP exchange, never during a retry's backoff.
type Pool struct {
	slots chan struct{}

	mu      sync.Mutex
	inUse   int
	maxUsed int
}

// NewPool returns a pool of n slots (at least one).
func NewPool(n int) *Pool {
	if n < 1 {
		n = 1
	}
	return &Pool{slots: make(chan struct{}, n)}
}

// Size is the number of slots.
func (p *Pool) Size() int { return cap(p.slots) }

// MaxInUse is the most slots held at once so far.
func (p *Pool) MaxInUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.maxUsed
}

func (p *Pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.mu.Lock()
	p.inUse++
	p.maxUsed = max(p.maxUsed, p.inUse)
	p.mu.Unlock()
	return nil
}

func (p *Pool) release() {
	p.mu.Lock()
	p.inUse--
	p.mu.Unlock()
	<-p.slots
}
