package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/cputime"
	dlv "github.com/koppel-nl/koppel/sync/delivery"
)

// The state benchmarks work on one entity of 100,000 employment-like records (27 values, about
// 260 bytes encoded), read in an order that is not the key order (as AFAS answers), in batches
// of 4,096 as a run compares and stages them. Run them with
//
//	go test ./store -run '^$' -bench 'State|Stage|Commit|GetMany|Delivered' -benchmem -count 5

const (
	benchRecords = 100_000
	benchBatch   = 4096
	benchEntity  = "employments"
)

// benchRows are the records of a first run, in a fixed shuffled order.
func benchRows(kind string) []store.Staged {
	rows := benchRowsSorted(kind)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	return rows
}

// benchRowsSorted are the records in key order (AFAS sorts pages on the connector's key, which
// can be koppel's order).
func benchRowsSorted(kind string) []store.Staged {
	rows := make([]store.Staged, benchRecords)
	for i := range rows {
		pn := fmt.Sprintf("%06d", 100000+i)
		rows[i] = store.Staged{Key: "1000|#" + fmt.Sprintf("%019d", 100000+i) + "|1", Kind: kind, Vals: []string{
			"1000", pn, pn, fmt.Sprintf("%09d", 100000000+i*7), "J.", "Jan", "Jan", "van der", fmt.Sprintf("Achternaam%d", i),
			"", "M", "1980-01-31", fmt.Sprintf("jan%d@example.nl", i), "020-1234567", "06-12345678",
			"1", "2020-01-01", "", fmt.Sprintf("AFD%03d", i%300), "F12", "Medewerker; \"senior\"", "38", "100", "Vast", fmt.Sprintf("%06d", 100000+i/10),
			"3500.00", "Maand",
		}}
	}
	return rows
}

// cpuMeter adds up the process's CPU time (all threads, the GC's included) over the measured
// parts: under a shared machine's load it says more than the wall time.
type cpuMeter struct {
	total, from time.Duration
}

func (m *cpuMeter) start() { m.from = cputime.Process() }
func (m *cpuMeter) stop()  { m.total += cputime.Process() - m.from }

func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.total.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

func benchOpen(b *testing.B, dir string, sync bool) *store.Store {
	b.Helper()
	open := store.OpenNoSync
	if sync {
		open = store.Open
	}
	s, err := open(filepath.Join(dir, "koppel.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// holdStaged holds profile p of s and stages rows.
func holdStaged(b *testing.B, s *store.Store, rows []store.Staged) *store.Session {
	b.Helper()
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	stageAll(b, h, rows)
	return h
}

func stageAll(b *testing.B, h *store.Session, rows []store.Staged) {
	b.Helper()
	for i := 0; i < len(rows); i += benchBatch {
		if err := h.Stage(benchEntity, rows[i:min(i+benchBatch, len(rows))]); err != nil {
			b.Fatal(err)
		}
	}
}

// benchState is a store whose profile "p" delivered the records once.
func benchState(b *testing.B) (*store.Store, []store.Staged) {
	b.Helper()
	s := benchOpen(b, b.TempDir(), false)
	b.Cleanup(func() { s.Close() })
	rows := benchRows(store.Nieuw)
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	stageAll(b, h, rows)
	if err := h.Commit(&store.Run{ID: "run-1", Status: store.StatusOK}, nil, nil, nil, nil); err != nil {
		b.Fatal(err)
	}
	return s, rows
}

// BenchmarkGetMany100k is a second run's comparison: every record looked up, all unchanged.
func BenchmarkGetMany100k(b *testing.B) {
	s, rows := benchState(b)
	benchGetMany(b, s, rows)
}

// BenchmarkGetMany100kSorted looks the records up in key order.
func BenchmarkGetMany100kSorted(b *testing.B) {
	s, _ := benchState(b)
	benchGetMany(b, s, benchRowsSorted(store.Nieuw))
}

func benchGetMany(b *testing.B, s *store.Store, rows []store.Staged) {
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	keys := make([]string, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
	}
	var enc []byte
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		same := 0
		for i := 0; i < len(keys); i += benchBatch {
			batch := keys[i:min(i+benchBatch, len(keys))]
			err := h.GetMany(benchEntity, batch, func(j int, raw []byte) error {
				enc = store.AppendValues(enc[:0], rows[i+j].Vals)
				if bytes.Equal(raw, enc) {
					same++
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if same != len(keys) {
			b.Fatalf("%d of %d unchanged", same, len(keys))
		}
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkStage100k stages a first run: every record new.
func BenchmarkStage100k(b *testing.B) { benchStage(b, benchRows(store.Nieuw)) }

// BenchmarkStage100kSorted stages the records in key order.
func BenchmarkStage100kSorted(b *testing.B) { benchStage(b, benchRowsSorted(store.Nieuw)) }

func benchStage(b *testing.B, rows []store.Staged) {
	s := benchOpen(b, b.TempDir(), false)
	defer s.Close()
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		h, err := s.Hold("p")
		if err != nil {
			b.Fatal(err)
		}
		stageAll(b, h, rows)
		if err := h.Close(); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkCommit100k commits a first run's stage (all records new) into an empty profile,
// durably, as a run does after writing its files.
func BenchmarkCommit100k(b *testing.B) {
	rows := benchRows(store.Nieuw)
	var cpu cpuMeter
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dir, err := os.MkdirTemp(b.TempDir(), "c")
		if err != nil {
			b.Fatal(err)
		}
		s := benchOpen(b, dir, true)
		h, err := s.Hold("p")
		if err != nil {
			b.Fatal(err)
		}
		stageAll(b, h, rows)
		// A run writes its files (a walk of the stage) before the commit.
		if err := h.EachStagedRaw(benchEntity, func([]byte, []byte, string) error { return nil }); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		run := &store.Run{ID: fmt.Sprintf("run-%d", i), Status: store.StatusOK}
		cpu.start()
		if err := h.Commit(run, nil, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		b.StopTimer()
		if run.StateWrites != len(rows) {
			b.Fatalf("%d state writes", run.StateWrites)
		}
		h.Close()
		s.Close()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	cpu.report(b)
}

// BenchmarkEachState100k is the walk for what is gone in a second run: every key was seen.
func BenchmarkEachState100k(b *testing.B) {
	s, rows := benchState(b)
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	seen := make(map[string]struct{}, len(rows))
	for _, r := range rows {
		seen[r.Key] = struct{}{}
	}
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		n, gone := 0, 0
		// As the engine's diff: a record's values are decoded only when its key was not seen.
		err := h.EachStateRaw(benchEntity, func(key, raw []byte) error {
			n++
			if _, ok := seen[string(key)]; !ok {
				vals, err := store.DecodeValues(raw)
				gone += len(vals)
				return err
			}
			return nil
		})
		if err != nil || n != len(rows) || gone != 0 {
			b.Fatal(n, gone, err)
		}
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkDeliveredCSV100k writes a complete file of a run that changed 1% of the records: the
// walk of state and stage merged, each record written as a CSV row.
func BenchmarkDeliveredCSV100k(b *testing.B) {
	s, rows := benchState(b)
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	var changed []store.Staged
	for i := 0; i < len(rows); i += 100 {
		r := rows[i]
		r.Kind = store.Gewijzigd
		r.Vals = append([]string(nil), r.Vals...)
		r.Vals[21] = "40"
		changed = append(changed, r)
	}
	stageAll(b, h, changed)
	out := b.TempDir()
	var cpu cpuMeter
	cpu.start()
	for i := 0; b.Loop(); i++ {
		f, err := dlv.Create(out, "p", fmt.Sprintf("run-%d", i))
		if err != nil {
			b.Fatal(err)
		}
		header := make([]string, len(rows[0].Vals))
		for j := range header {
			header[j] = fmt.Sprintf("col%d", j)
		}
		// As the engine's writeFile: the stored bytes split, each value a field.
		var vals [][]byte
		err = f.WriteRows("dienstverbanden.csv", header, func(l *dlv.Line) error {
			return h.EachDeliveredRaw(benchEntity, func(_, raw []byte, kind string) error {
				if kind == store.Verwijderd {
					return nil
				}
				var err error
				if vals, err = store.SplitValues(raw, vals); err != nil {
					return err
				}
				for _, v := range vals {
					l.Field(v)
				}
				return l.End()
			})
		})
		if err != nil {
			b.Fatal(err)
		}
		f.Discard()
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkStagedWalk100k walks a first run's stage (25 runs of 4,096 records) in key order, as
// a file of mutations is written and a commit counts and applies it.
func BenchmarkStagedWalk100k(b *testing.B) {
	s := benchOpen(b, b.TempDir(), false)
	defer s.Close()
	h, err := s.Hold("p")
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	rows := benchRows(store.Nieuw)
	stageAll(b, h, rows)
	var cpu cpuMeter
	cpu.start()
	for b.Loop() {
		n := 0
		err := h.EachStagedRaw(benchEntity, func(_, raw []byte, _ string) error {
			n += len(raw)
			return nil
		})
		if err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
	cpu.stop()
	cpu.report(b)
}

// BenchmarkPrepare100k builds a first run's state from its stage ahead of the commit, as a run
// does once an entity is compared (Session.Prepare).
func BenchmarkPrepare100k(b *testing.B) {
	s := benchOpen(b, b.TempDir(), false)
	defer s.Close()
	rows := benchRows(store.Nieuw)
	var cpu cpuMeter
	for b.Loop() {
		b.StopTimer()
		h := holdStaged(b, s, rows)
		b.StartTimer()
		cpu.start()
		if err := h.Prepare(benchEntity); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		b.StopTimer()
		if err := h.Close(); err != nil { // drops the prepared state: every loop prepares anew
			b.Fatal(err)
		}
		b.StartTimer()
	}
	cpu.report(b)
}

// BenchmarkCommitChanges100k commits a later run that changed every tenth record (10,000
// scattered over the state), durably: the apply merges them into the stored state.
func BenchmarkCommitChanges100k(b *testing.B) {
	var cpu cpuMeter
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		s, rows := benchState(b)
		var changed []store.Staged
		for j, r := range rows {
			if j%10 == 0 {
				vals := append([]string(nil), r.Vals...)
				vals[len(vals)-2] = "3600.00"
				changed = append(changed, store.Staged{Key: r.Key, Kind: store.Gewijzigd, Vals: vals})
			}
		}
		h := holdStaged(b, s, changed)
		b.StartTimer()
		cpu.start()
		if err := h.Commit(&store.Run{ID: fmt.Sprintf("run-2-%d", i), Status: store.StatusOK}, nil, nil, nil, nil); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		b.StopTimer()
		h.Close()
		s.Close()
		b.StartTimer()
	}
	cpu.report(b)
}
