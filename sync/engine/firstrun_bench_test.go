package engine_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// BenchmarkFirstRun20k is a first run of 20,000 employees against the simulator in process:
// shorter and steadier than BenchmarkScale100k, for comparing two versions of the engine
// (go test -bench FirstRun20k -count 10, then benchstat). The simulator's work is in the time.
func BenchmarkFirstRun20k(b *testing.B) {
	sim, url := afassimtest.Start(b, afassim.Options{Seed: 1, Employees: 20_000})
	i := 0
	for b.Loop() {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
		i++
		st, err := store.Open(filepath.Join(dir, "koppel.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		p := &profile.Profile{
			Name:     "acme",
			Account:  profile.Account{Name: "Acme Zorg BV", Participant: "12345", Environment: "production", URL: url, Token: sim.Token()},
			Employer: "ZBV",
			Couplings: profile.Couplings{
				Werknemer: profile.Werknemer{Enabled: true, Managers: true},
				Verzuim:   profile.Verzuim{Enabled: true},
			},
			DateFrom: "2024-01-31",
			Delivery: profile.Delivery{Outbox: filepath.Join(dir, "outbox"), Mode: profile.ModeMutaties},
		}
		p.Defaults()
		if err := st.PutProfile(p); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := engine.New(st).Run(context.Background(), "acme", engine.Options{}, nil); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
