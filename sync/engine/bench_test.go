package engine_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// The scale benchmark: a full run against the in-process simulator, then a second run with
// nothing changed. Run it with
//
//	go test ./sync/engine -run '^$' -bench Scale -benchtime 1x
//
// It reports rows read per second end to end, seconds per stage, the run's peak heap above the
// simulator's own data, and the state records the second run wrote (which must be 0).
func BenchmarkScale10k(b *testing.B)  { benchmarkScale(b, 10_000) }
func BenchmarkScale100k(b *testing.B) { benchmarkScale(b, 100_000) }

func benchmarkScale(b *testing.B, employees int) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, afassim.Options{Seed: 1, Employees: employees}, profile.ModeMutaties)
		runtime.GC()
		base := heapInUse()
		peak := sampler()
		b.StartTimer()

		start := time.Now()
		res, err := e.eng.Run(context.Background(), "acme", engine.Options{}, nil)
		elapsed := time.Since(start)
		b.StopTimer()
		top := peak()
		if err != nil {
			b.Fatal(err)
		}
		rows := 0 // rows read from AFAS: the four connectors
		for _, ent := range []string{"departments", "employees", "employments", "absences"} {
			rows += res.Run.Entities[ent].Fetched
		}
		b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
		for _, s := range []string{engine.StageFetch, engine.StageMap, engine.StageCompare, engine.StageDeliver, engine.StageCommit} {
			b.ReportMetric(res.Run.Timings[s], s+"-s")
		}
		b.ReportMetric(float64(top-base)/(1<<20), "peak-MiB")

		runtime.GC()
		base = heapInUse()
		peak = sampler()
		second, err := e.eng.Run(context.Background(), "acme", engine.Options{}, nil)
		top = peak()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(top-base)/(1<<20), "2nd-run-peak-MiB")
		if second.Run.StateWrites != 0 {
			b.Fatalf("a run with nothing changed wrote %d state records", second.Run.StateWrites)
		}
		b.ReportMetric(float64(second.Run.StateWrites), "2nd-run-state-writes")
		b.ReportMetric(second.Run.Finished.Sub(second.Run.Started).Seconds(), "2nd-run-s")
	}
}

func heapInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// sampler records the highest heap in use until the returned function is called.
func sampler() func() uint64 {
	var mu sync.Mutex
	var top uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			h := heapInUse()
			mu.Lock()
			top = max(top, h)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}
