package store_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
)

// benchStore makes a store with runs spread over profiles, recorded without fsync per run.
func benchStore(b *testing.B, profiles, runs int) (*store.Store, string) {
	b.Helper()
	path := filepath.Join(b.TempDir(), "koppel.db")
	s, err := store.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	t0 := time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC)
	for p := 0; p < profiles; p++ {
		name := fmt.Sprintf("customer-%02d", p)
		rs := make([]*store.Run, runs)
		for i := range rs {
			started := t0.Add(time.Duration(i)*time.Hour + time.Duration(p)*time.Minute)
			status := "ok"
			if i%7 == 3 {
				status = "failed"
			}
			ents := map[string]*store.EntityCounts{}
			for _, e := range []string{"departments", "employments", "users", "absences"} {
				ents[e] = &store.EntityCounts{Fetched: 1200, Delivered: 1200, New: 3, Changed: 12, Unchanged: 1185}
			}
			rs[i] = &store.Run{
				ID: started.Format("20060102-150405") + fmt.Sprintf("-%04x", p), Profile: name, Status: status, Mode: "completo",
				Couplings: []string{"werknemer", "verzuim"}, DateFrom: "2022-01-31", Started: started, Finished: started.Add(42 * time.Second),
				Delivery: "/srv/koppel/outbox/" + name + "/run", Entities: ents, Levels: map[string]int{"Metadata": 4, "Melding": 2},
				Timings: map[string]float64{"fetch": 30.1, "map": 0.4, "compare": 0.3, "deliver": 0.8, "commit": 0.05}, StateWrites: 15,
			}
		}
		if err := store.PutRunsFast(s, name, rs); err != nil {
			b.Fatal(err)
		}
	}
	return s, path
}

// BenchmarkLastRuns is the home screen: every profile's last run, 20,000 runs over 20 profiles.
func BenchmarkLastRuns(b *testing.B) {
	s, _ := benchStore(b, 20, 1000)
	for b.Loop() {
		last, err := s.LastRuns()
		if err != nil || len(last) != 20 {
			b.Fatal(len(last), err)
		}
	}
}

// BenchmarkRuns lists one profile's history: 1,000 runs of a store of 20,000.
func BenchmarkRuns(b *testing.B) {
	s, _ := benchStore(b, 20, 1000)
	for b.Loop() {
		runs, err := s.Runs("customer-07")
		if err != nil || len(runs) != 1000 {
			b.Fatal(len(runs), err)
		}
	}
}

// BenchmarkRunsAll lists all 20,000 runs, merged.
func BenchmarkRunsAll(b *testing.B) {
	s, _ := benchStore(b, 20, 1000)
	for b.Loop() {
		runs, err := s.Runs("")
		if err != nil || len(runs) != 20000 {
			b.Fatal(len(runs), err)
		}
	}
}

// BenchmarkRunByID finds a run by id as `koppel runs show` does: a fresh process, which has to
// look in every profile's index.
func BenchmarkRunByID(b *testing.B) {
	_, path := benchStore(b, 20, 1000)
	id := time.Date(2024, 1, 1, 6, 0, 0, 0, time.UTC).Add(500*time.Hour+19*time.Minute).Format("20060102-150405") + "-0013"
	for b.Loop() {
		s, err := store.Open(path, nil)
		if err != nil {
			b.Fatal(err)
		}
		if r, err := s.Run(id); err != nil || r.Profile != "customer-19" {
			b.Fatal(r, err)
		}
		s.Close()
	}
}

// BenchmarkRecordRun records a run in a profile of 1,000 runs, pruning to 400 (the first time)
// and then one per run: the commit transaction's cost without state.
func BenchmarkRecordRun(b *testing.B) {
	s, _ := benchStore(b, 1, 1000)
	h, err := s.Hold("customer-00")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	i := 0
	for b.Loop() {
		i++
		if err := h.RecordRun(&store.Run{ID: fmt.Sprintf("bench-%06d", i), Status: "failed"}, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}
