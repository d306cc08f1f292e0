package memlimit

import (
	"context"
	"runtime/debug"
	"testing"
	"time"
)

func TestForIsTheFloorOrHalfAgainTheLiveHeap(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int64
	}{{0, Floor}, {Floor / 2, Floor}, {200 << 20, 300 << 20}} {
		if got := For(c.live); got != c.want {
			t.Errorf("For(%d) = %d, want %d", c.live, got, c.want)
		}
	}
}

// gcPercent reads GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestStartSetsTheLimitAndRestoresIt(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	prev, prevGC := debug.SetMemoryLimit(-1), gcPercent()
	ctx, cancel := context.WithCancel(context.Background())
	Start(ctx)
	if got := debug.SetMemoryLimit(-1); got < Floor || got == prev {
		t.Fatalf("limit %d after Start, want at least %d", got, Floor)
	}
	if got := gcPercent(); got != Percent {
		t.Fatalf("GOGC %d after Start, want %d", got, Percent)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) != prev || gcPercent() != prevGC {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d and GOGC %d after the context ended, want the previous %d and %d", debug.SetMemoryLimit(-1), gcPercent(), prev, prevGC)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStartLeavesTheUsersGOGC(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "150")
	prev, prevGC := debug.SetMemoryLimit(-1), gcPercent()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Start(ctx)
	if got := debug.SetMemoryLimit(-1); got != prev || gcPercent() != prevGC {
		t.Errorf("limit %d and GOGC %d after Start with GOGC set, want %d and %d", got, gcPercent(), prev, prevGC)
	}
}

func TestStartLeavesTheUsersLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "1GiB")
	prev := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Start(ctx)
	if got := debug.SetMemoryLimit(-1); got != prev {
		t.Errorf("limit %d after Start with GOMEMLIMIT set, want %d", got, prev)
	}
}
