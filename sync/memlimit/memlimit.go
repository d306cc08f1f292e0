// Package memlimit sizes the Go runtime's soft memory limit from the heap a process needs. Only
// a binary starts it (it changes process-wide settings); library code never does.
//
// With the default GOGC=100 the heap grows to twice what is live before a collection, and a
// large run's garbage then costs as much resident memory as its indexes. The limit set here is
// max(Floor, 1.5 × the live heap), renewed as the live heap changes: small runs keep GOGC's
// pacing (their goal stays below the floor), large ones collect at half again their live heap
// instead of twice it, and the limit never sits below what is live (no collection storm when a
// customer is larger than the floor).
package memlimit

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Floor is the lowest limit: a run of 100,000 employees lives in about 60 MiB.
const Floor = 96 << 20

// every is how often the live heap is read.
const every = 100 * time.Millisecond

// For returns the limit for a live heap of live bytes.
func For(live uint64) int64 {
	return max(int64(Floor), int64(live+live/2))
}

// Start sets the limit and keeps it sized until ctx ends, when the previous limit returns. It
// does nothing when the user set GOMEMLIMIT: theirs wins.
func Start(ctx context.Context) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	prev := debug.SetMemoryLimit(Floor)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		set := int64(Floor)
		for {
			select {
			case <-ctx.Done():
				debug.SetMemoryLimit(prev)
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if sample[0].Value.Kind() != metrics.KindUint64 {
				continue
			}
			if l := For(sample[0].Value.Uint64()); l != set {
				set = l
				debug.SetMemoryLimit(l)
			}
		}
	}()
}
