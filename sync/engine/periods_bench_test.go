package engine

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Benchmarks of the absence stage and of the records held on disk, on the absences of 100,000
// employees generated here (not by the simulator over HTTP), without the store. Run with
//
//	go test ./sync/engine -run '^$' -bench 'AbsenceStage|HeldRecords' -benchmem -count 5

// benchAbsences returns a mapper that has taken 100,000 employees with an employment each, and
// ~120,000 absence rows of them: ~35% of the employees absent 1-3 times with 1-3 progress rows
// each, over four years, so some rows are read only for the history window.
func benchAbsences(employees int) (*mapping.Mapper, []mapping.Absence) {
	r := rand.New(rand.NewPCG(1, 2))
	ref := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	m := mapping.NewMapper(mapping.Config{DefaultEmployer: "ZBV", DateFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC),
		Werknemer: true, Verzuim: true}, func(runlog.Log) {})
	m.Units([]mapping.Unit{{Code: "U", Employer: "ZBV"}})
	pct := []string{"0", "50", "75", "20.5"}
	var rows []mapping.Absence
	verzuim, verloop := int64(5000), int64(90000)
	for i := 0; i < employees; i++ {
		mw := strconv.Itoa(100001 + i)
		employer := []string{"ZBV", "ZBV", "TZV"}[r.IntN(3)]
		m.Employee(mapping.Employee{Medewerker: mw, Persoonsnummer: "P" + mw, Geboortenaam: "Bos" + mw})
		m.Employment(mapping.Employment{Medewerker: mw, Dienstverband: 1, Employer: employer, Begin: ref.AddDate(-10, 0, 0), Afdeling: "U"})
		if r.IntN(100) >= 35 {
			continue
		}
		for a := 0; a < 1+r.IntN(3); a++ {
			verzuim++
			day := ref.AddDate(0, 0, -r.IntN(1500))
			var herstel time.Time
			if h := day.AddDate(0, 0, 1+r.IntN(60)); h.Before(ref) {
				herstel = h
			}
			for s := 0; s < 1+r.IntN(3); s++ {
				verloop++
				aanwezig, _ := values.ParseValue(values.Decimal, pct[min(s, len(pct)-1)])
				rows = append(rows, mapping.Absence{
					VerzuimID: verzuim, VerloopID: verloop, Medewerker: mw, Employer: employer,
					EersteDag: day, Ziekmelding: day.AddDate(0, 0, r.IntN(2)), VerwachtHerstel: day.AddDate(0, 0, 14), Herstel: herstel,
					Type: "ZK", TypeOmschrijving: "Ziek", VerloopDatum: day.AddDate(0, 0, 7*s), Aanwezig: aanwezig, Vangnet: r.IntN(20) == 0,
				})
			}
		}
	}
	m.EmploymentsDone()
	return m, rows
}

// BenchmarkAbsenceStage is the absence stage of a first run without the comparison: every row
// mapped, indexed and held on disk, the periods computed, the records read back and completed.
func BenchmarkAbsenceStage(b *testing.B) {
	b.ReportAllocs()
	var held, replayHeld float64
	for b.Loop() {
		b.StopTimer()
		// The mapper remembers the keys it saw: a fresh one per round.
		m, rows := benchAbsences(100_000)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := float64(ms.HeapAlloc)
		b.StartTimer()
		st, err := newAbsenceStage(m)
		if err != nil {
			b.Fatal(err)
		}
		for _, a := range rows {
			if err := st.row(a); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		// What the stage holds while the rows wait on disk: the period index (and the keys the
		// mapper saw).
		runtime.GC()
		runtime.ReadMemStats(&ms)
		held = float64(ms.HeapAlloc) - base
		b.StartTimer()
		st.done()
		b.StopTimer()
		// What it holds while the records are read back and compared.
		runtime.GC()
		runtime.ReadMemStats(&ms)
		replayHeld = float64(ms.HeapAlloc) - base
		runtime.KeepAlive(rows)
		b.StartTimer()
		n := 0
		err = st.replay(context.Background(), func(recs []mapping.Record) error { n += len(recs); return nil })
		st.close()
		if err != nil || n == 0 {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(held/1e6, "held-MB")
	b.ReportMetric(replayHeld/1e6, "replay-held-MB")
}

// BenchmarkHeldRecords is the round trip of the employment records that wait on disk in flex
// mode: 110,000 records of 27 columns written and read back.
func BenchmarkHeldRecords(b *testing.B) {
	recs := make([]mapping.Record, 110_000)
	for i := range recs {
		pn := strconv.Itoa(100001 + i)
		key := "FLEX" + mapping.KeySep + pn + mapping.KeySep + pn + "-1"
		vals := make([]string, len(mapping.Columns(mapping.Employments)))
		for j := range vals {
			vals[j] = "v" + strconv.Itoa(j) + "-" + pn
		}
		vals[0], vals[1] = "FLEX", pn
		recs[i] = mapping.Record{Key: key, Group: pn, Values: vals}
	}
	b.ReportAllocs()
	for b.Loop() {
		sp, err := newHeldRecords()
		if err != nil {
			b.Fatal(err)
		}
		for _, rec := range recs {
			if err := sp.add(rec); err != nil {
				b.Fatal(err)
			}
		}
		n := 0
		err = sp.replay(context.Background(), func(recs []mapping.Record) error { n += len(recs); return nil }, func(*mapping.Record) {})
		sp.close()
		if err != nil || n != len(recs) {
			b.Fatal(n, err)
		}
	}
}
