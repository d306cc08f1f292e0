package mapping

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Benchmarks of the rules on a customer of 100,000 employees, generated here (not by the
// simulator over HTTP) so they measure the mapping alone. Run with
//
//	go test ./sync/mapping -run '^$' -bench Mapper -benchmem -count 5

// benchInput is a realistic input: every string of a row its own allocation, as the AFAS
// decoder gives them; ~1.1 employments and ~1.2 absence rows per employee, a tenth of the
// absences recovered before date-from.
func benchInput(employees int) Input {
	r := rand.New(rand.NewPCG(1, 2))
	ref := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	first := []string{"Jan", "Anna", "Sam", "Pieter", "Fatima", "Mohammed", "Sanne", "Daan", "Emma", "Lucas"}
	last := []string{"Jansen", "de Vries", "Bakker", "Visser", "Smit", "Meijer", "Mulder", "Bos", "Vos", "Peters"}
	prefix := []string{"", "", "", "van", "de", "van der"}
	in := Input{}
	for i := 0; i < 200; i++ {
		code := "U" + strconv.Itoa(i)
		u := Unit{Code: code, Name: "Team " + code, Employer: "ZBV", Manager: strconv.Itoa(100001 + i*7)}
		if i > 0 {
			u.Parent = "U" + strconv.Itoa(i/4)
		}
		in.Units = append(in.Units, u)
	}
	pct := []string{"0", "50", "75", "20.5"}
	verzuim, verloop := int64(5000), int64(90000)
	for i := 0; i < employees; i++ {
		mw := strconv.Itoa(100001 + i)
		fn, ln := first[r.IntN(len(first))], last[r.IntN(len(last))]
		e := Employee{
			Medewerker: mw, Persoonsnummer: "P" + mw, BSN: strconv.Itoa(100000000 + r.IntN(899999999)),
			Voorletters: fn[:1] + ".", Voornaam: fn + "", Roepnaam: fn + "", Voorvoegsel: prefix[r.IntN(len(prefix))],
			Geboortenaam: ln + strconv.Itoa(i%7), Naamgebruik: int64(r.IntN(5) / 3), Geslacht: []string{"M", "V", "X"}[r.IntN(3)],
			Geboortedatum: ref.AddDate(-20-r.IntN(45), 0, -r.IntN(365)),
			Email:         fn + "." + ln + mw + "@zbv.example", Telefoon: "030-" + mw, Mobiel: "06-" + mw + "12",
		}
		if e.Naamgebruik > 0 {
			e.GeboortenaamPartner = last[r.IntN(len(last))] + "x"
		}
		in.Employees = append(in.Employees, e)
		employer := []string{"ZBV", "ZBV", "TZV"}[r.IntN(3)]
		hours := []string{"16", "24", "32", "36", "30.5"}[r.IntN(5)]
		uren, _ := values.ParseValue(values.Decimal, hours)
		pt := values.Value{Kind: values.Decimal, Dec: uren.Dec * 100 / 36}
		sal, _ := values.ParseValue(values.Decimal, strconv.Itoa(2400+r.IntN(4100))+"."+strconv.Itoa(10+r.IntN(90)))
		start := ref.AddDate(0, 0, -30-r.IntN(5000))
		dv := Employment{Medewerker: mw, Dienstverband: 1, Employer: employer, Begin: start, Afdeling: "U" + strconv.Itoa(r.IntN(200)),
			FunctieCode: "F" + strconv.Itoa(r.IntN(40)), Functie: "Verzorgende IG", Uren: uren, Parttime: pt, TypeContract: "Onbepaalde tijd", Salary: sal}
		if r.IntN(10) == 0 { // changed jobs: an ended employment, then the current one
			old := dv
			old.Einde = start.AddDate(0, 3, 0)
			in.Employments = append(in.Employments, old)
			dv.Dienstverband, dv.Begin = 2, old.Einde.AddDate(0, 0, 1)
		}
		in.Employments = append(in.Employments, dv)
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
				in.Absences = append(in.Absences, Absence{
					VerzuimID: verzuim, VerloopID: verloop, Medewerker: mw, Employer: employer,
					EersteDag: day, Ziekmelding: day.AddDate(0, 0, r.IntN(2)), VerwachtHerstel: day.AddDate(0, 0, 14), Herstel: herstel,
					Type: "ZK", TypeOmschrijving: "Ziek", VerloopDatum: day.AddDate(0, 0, 7*s), Aanwezig: aanwezig, Vangnet: r.IntN(20) == 0,
				})
			}
		}
	}
	return in
}

func benchConfig() Config {
	return Config{DefaultEmployer: "ZBV", DateFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Werknemer: true, Verzuim: true,
		Managers: true, UserGroup: "Leidinggevenden", SalaryColumn: "Salaris", SalaryKind: "Bruto maandloon"}
}

// benchMapper is a mapper that has taken the units and, up to stage, the employees and employments.
func benchMapper(in Input, employees, employments bool) *Mapper {
	m := NewMapper(benchConfig(), func(l runlog.Log) {})
	m.Units(in.Units)
	if employees {
		for _, e := range in.Employees {
			m.Employee(e)
		}
	}
	if employments {
		for _, d := range in.Employments {
			m.Employment(d)
		}
		m.EmploymentsDone()
	}
	return m
}

var benchSink Record

func BenchmarkMapper(b *testing.B) {
	in := benchInput(100_000)
	b.Run("Employee", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			m := benchMapper(in, false, false)
			b.StartTimer()
			for _, e := range in.Employees {
				m.Employee(e)
			}
		}
	})
	b.Run("Employment", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			m := benchMapper(in, true, false)
			b.StartTimer()
			for _, d := range in.Employments {
				benchSink, _ = m.Employment(d)
			}
			m.EmploymentsDone()
		}
	})
	b.Run("Absence", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			m := benchMapper(in, true, true)
			b.StartTimer()
			for _, a := range in.Absences {
				if !m.IsHistory(a) {
					benchSink, _ = m.Absence(a)
				}
			}
		}
	})
	b.Run("Users", func(b *testing.B) {
		b.ReportAllocs()
		m := benchMapper(in, true, true)
		for b.Loop() {
			m.Users()
		}
	})
}

// BenchmarkMapperIndex reports what a mapper holds across a run once the employments are read
// (the employee index, the department tree, the keys seen): the live heap that drives the cost
// of garbage collection under koppel's soft memory limit.
func BenchmarkMapperIndex(b *testing.B) {
	in := benchInput(100_000)
	var held float64
	for b.Loop() {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		m := benchMapper(in, true, true)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		held = float64(ms.HeapAlloc) - float64(base)
		runtime.KeepAlive(m)
	}
	b.ReportMetric(held/1e6, "held-MB")
}
