package engine_test

import (
	"context"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/engine"
)

// BenchmarkFirstRun20k is a first run of 20,000 employees, the profile of BenchmarkScale,
// against the simulator in process: shorter and steadier than BenchmarkScale100k, for comparing
// two versions of the engine (go test -bench FirstRun20k -count 10, then benchstat). The
// simulator's work is in the time.
func BenchmarkFirstRun20k(b *testing.B) {
	sim, url := afassimtest.Start(b, afassim.Options{Seed: 1, Employees: 20_000})
	for b.Loop() {
		b.StopTimer()
		st, name := benchStore(b, url, sim.Token())
		b.StartTimer()
		if _, err := engine.New(st).Run(context.Background(), name, engine.Options{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
