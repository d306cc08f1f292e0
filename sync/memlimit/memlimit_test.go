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

func TestStartSetsTheLimitAndRestoresIt(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetMemoryLimit(-1)
	ctx, cancel := context.WithCancel(context.Background())
	Start(ctx)
	if got := debug.SetMemoryLimit(-1); got < Floor || got == prev {
		t.Fatalf("limit %d after Start, want at least %d", got, Floor)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) != prev {
		if time.Now().After(deadline) {
			t.Fatalf("limit %d after the context ended, want the previous %d", debug.SetMemoryLimit(-1), prev)
		}
		time.Sleep(10 * time.Millisecond)
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
