// Package memlimit sizes the Go runtime's soft memory limit from the heap a process needs. Only
// a binary starts it (it changes process-wide settings); library code never does.
//
// With the default GOGC=100 the heap grows to twice what is live before a collection, and a
// large run's garbage then costs as much resident memory as its indexes; yet a run that
// collects that often spends a sixth of its CPU in the collector. The limit set here is
// max(Floor, 1.5 × the live heap), renewed as the live heap changes, and GOGC is raised to
// Percent, so the limit, not the heap's growth, decides when a run of any size collects: a
// small run collects at Percent/100+1 times its live heap (below the floor), a large one at the
// floor or at half again its live heap — and the limit never sits below what is live (no
// collection storm when a customer is larger than the floor).
package memlimit

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Floor is the lowest limit. A first run of 100,000 employees lives in about 40 MiB; under
// this floor it stays at about 125 MiB resident (the state files' mapped pages included), within
// the 150 MB a run of that size may take, and collects about half as often as with GOGC=100.
const Floor = 112 << 20

// Percent is the GOGC a started process runs with.
const Percent = 300

// every is how often the live heap is read.
const every = 100 * time.Millisecond

// For returns the limit for a live heap of live bytes.
func For(live uint64) int64 {
	return max(int64(Floor), int64(live+live/2))
}

// Start sets the limit and GOGC and keeps the limit sized until ctx ends, when the previous
// settings return. It does nothing when the user set GOMEMLIMIT or GOGC: theirs wins.
func Start(ctx context.Context) {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return
	}
	prev := debug.SetMemoryLimit(Floor)
	prevGC := debug.SetGCPercent(Percent)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		set := int64(Floor)
		for {
			select {
			case <-ctx.Done():
				debug.SetMemoryLimit(prev)
				debug.SetGCPercent(prevGC)
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
