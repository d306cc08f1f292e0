package mapping

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Tests of the forms a run holds absences and employees in: the Day, the AbsenceRow and the
// packed employee index give exactly what the rules deliver.

func TestDay(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	for _, tm := range []time.Time{
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 31, 0, 30, 0, 0, ams), time.Date(1, 1, 1, 5, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-44, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(12345, 6, 7, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1999, 10, 9, 23, 59, 0, 0, time.UTC),
	} {
		d := DayOf(tm)
		if d.IsZero() {
			t.Errorf("%v: no date", tm)
		}
		if got, want := string(d.Append([]byte("x"))), "x"+dateText(tm); got != want {
			t.Errorf("%v: %q, want %q", tm, got, want)
		}
		y, m, dd := tm.Date()
		if want := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC); !d.Time().Equal(want) || d.Time().Location() != time.UTC {
			t.Errorf("%v: time %v, want %v", tm, d.Time(), want)
		}
	}
	if d := DayOf(time.Time{}); !d.IsZero() || !d.Time().IsZero() || len(d.Append(nil)) != 0 {
		t.Errorf("the zero time: %+v", d)
	}
}

func TestDayCompare(t *testing.T) {
	// In date order, no date first; every pair compares as its dates do.
	days := []Day{{}, {1999, 12, 31}, {2024, 1, 31}, {2024, 2, 1}, {2024, 2, 29}, {2024, 10, 1}, {2025, 1, 1}}
	for i, a := range days {
		for j, b := range days {
			if got, want := a.Compare(b), cmp.Compare(i, j); got != want {
				t.Errorf("%+v.Compare(%+v) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestAbsenceRowMakesTheRecord(t *testing.T) {
	cfg := baseConfig()
	cfg.EmployerAffix = [2]string{"W-", ""}
	cfg.Classifications = map[string]string{"ZO": "Ziek"}
	in := baseInput()
	m := indexedMapper(cfg, in)
	a := Absence{VerzuimID: 12, VerloopID: 345, Medewerker: "3", Employer: "ACME", EersteDag: d("2023-03-01"), Ziekmelding: d("2023-03-02"),
		VerwachtHerstel: d("2023-04-01"), Herstel: d("2023-05-01"), VerloopDatum: d("2023-03-08"), Type: "ZO", Aanwezig: dec("20.5"), Vangnet: true}
	r, ok := m.MapAbsence(a)
	if !ok {
		t.Fatal("not delivered")
	}
	want := AbsenceRow{Employer: "W-ACME", Employee: "3", VerzuimID: 12, VerloopID: 345, EersteDag: Day{2023, 3, 1}, Ziekmelding: Day{2023, 3, 2},
		VerwachtHerstel: Day{2023, 4, 1}, Herstel: Day{2023, 5, 1}, VerloopDatum: Day{2023, 3, 8}, Classification: "Ziek (AFAS)",
		Percentage: values.DecFromInt(100) - dec("20.5").Dec, Vangnet: true}
	if r != want {
		t.Errorf("row %+v, want %+v", r, want)
	}
	var buf []byte
	rec := r.Record(&buf, [3]string{"7", "2023-01-01", "2024-12-28"})
	wantRec := Record{Key: numKey(12) + KeySep + numKey(345), Group: "3", Values: strings.Split(
		"W-ACME;3;12;345;2023-03-01;2023-03-02;2023-04-01;2023-05-01;Ziek (AFAS);2023-03-08;79.5;Ja;7;2023-01-01;2024-12-28", ";")}
	if !reflect.DeepEqual(rec, wantRec) {
		t.Errorf("record %+v, want %+v", rec, wantRec)
	}
	// The buffer is the next record's: the first keeps its values.
	r.VerzuimID, r.Vangnet, r.Herstel = 13, false, Day{}
	next := r.Record(&buf, [3]string{})
	if rec.Values[2] != "12" || next.Values[2] != "13" || next.Values[7] != "" || next.Values[11] != "Nee" {
		t.Errorf("records %v and %v", rec.Values, next.Values)
	}
	if viaAbsence, _ := m.Absence(Absence{VerzuimID: 12, VerloopID: 346, Medewerker: "3", Employer: "ACME", Aanwezig: dec("100")}); viaAbsence.Values[10] != "0" || viaAbsence.Values[12] != "" {
		t.Errorf("Absence %v", viaAbsence.Values)
	}

	// History rows: the facts of History, in the row's form; the employee is asked apart.
	old := Absence{VerzuimID: 7, VerloopID: 3, Medewerker: "3", Employer: "ACME", EersteDag: d("2021-01-04"), Herstel: d("2022-01-30"), Aanwezig: dec("0")}
	h, ok := m.CheckHistoryRow(old)
	if want := (AbsenceRow{Employer: "W-ACME", Employee: "3", VerzuimID: 7, VerloopID: 3, EersteDag: Day{2021, 1, 4}, Herstel: Day{2022, 1, 30}}); !ok || h != want {
		t.Errorf("history row %+v %v, want %+v", h, ok, want)
	}
	if _, ok := m.History(Absence{Medewerker: "9", Aanwezig: dec("0")}); ok {
		t.Error("history of an employee not delivered")
	}
	for _, pct := range []string{"100.5", "-1"} {
		if _, ok := m.CheckHistoryRow(Absence{Medewerker: "3", Aanwezig: dec(pct)}); ok {
			t.Errorf("history with a percentage of %s", pct)
		}
	}
	if _, ok := m.CheckHistoryRow(Absence{Medewerker: "3", Aanwezig: dec("100")}); !ok {
		t.Error("history with a percentage of 100 refused")
	}
}

func TestAbsenceDuplicateIsPerPair(t *testing.T) {
	in := baseInput()
	m := indexedMapper(baseConfig(), in)
	for i, c := range []struct {
		verzuim, verloop int64
		ok               bool
	}{{1, 2, true}, {2, 1, true}, {1, 2, false}, {1, 3, true}, {2, 1, false}, {-1, 2, true}} {
		if _, ok := m.Absence(Absence{VerzuimID: c.verzuim, VerloopID: c.verloop, Medewerker: "3", Employer: "ACME", Aanwezig: dec("0")}); ok != c.ok {
			t.Errorf("%d: %d/%d delivered %v", i, c.verzuim, c.verloop, ok)
		}
	}
}

func TestPackedEmployees(t *testing.T) {
	m := NewMapper(baseConfig(), nil)
	var es []Employee
	for i := 0; i < 2*peopleChunk+5; i++ {
		nr := strings.Repeat("9", i%3) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		es = append(es, Employee{Medewerker: nr, Persoonsnummer: "P" + nr, BSN: "123456782", Voornaam: "V" + nr, Mobiel: "06" + nr,
			Geboortedatum: time.Date(1980, 1, 1+i%28, 0, 0, 0, 0, time.UTC)})
	}
	es = append(es, Employee{Medewerker: "leeg"})
	for _, e := range es {
		m.Employee(e)
	}
	for i, e := range es {
		p := m.person(e.Medewerker)
		if p == nil || p.medewerker() != e.Medewerker || p.persoonsnummer() != e.Persoonsnummer {
			t.Fatalf("%d: %q not found as itself", i, e.Medewerker)
		}
		pf := p.unpack()
		bsn, _ := NormalizeBSN(e.BSN)
		want := []string{e.Persoonsnummer, bsn, "", e.Voornaam, "", "", "", "", "Onbekend", dateText(e.Geboortedatum), "", "", e.Mobiel}
		if !reflect.DeepEqual(pf, want) {
			t.Fatalf("%d: %q, want %q", i, pf, want)
		}
	}
	if m.person("nobody") != nil || m.people.n != len(es) {
		t.Errorf("%d people", m.people.n)
	}
	// An employer code is held as a copy.
	code := []byte("EMPLOYER")
	id := m.employerID(string(code[:3]))
	if m.employerID("EMP") != id || m.employerID("OTHER") == id || m.employers[id] != "EMP" {
		t.Errorf("employers %v", m.employers)
	}
}

// Of two employments that start on the same day, the one read first gives the employer an
// employee is delivered under (manager accounts, documents).
func TestLatestStartTieKeepsTheFirst(t *testing.T) {
	for _, order := range [][]string{{"ACME", "LABEL"}, {"LABEL", "ACME"}} {
		m := NewMapper(baseConfig(), nil)
		in := baseInput()
		m.Units(in.Units)
		for _, e := range in.Employees {
			m.Employee(e)
		}
		for i, emp := range order {
			m.Employment(Employment{Medewerker: "2", Dienstverband: int64(i + 1), Employer: emp, Begin: d("2015-01-01"), Afdeling: "ZORG"})
		}
		m.Employment(Employment{Medewerker: "2", Dienstverband: 9, Employer: "OLD", Begin: d("2014-12-31"), Afdeling: "ZORG"})
		m.EmploymentsDone()
		if _, employer, ok := m.DeliveredAs("2"); !ok || employer != order[0] {
			t.Errorf("employments %v: delivered under %q", order, employer)
		}
	}
}

// A row is checked before the employments are mapped and settled after: the check logs nothing
// and holds the row's lines, the settling writes them, or the Uitval of an employee who is not
// delivered instead; a rule before that one rejects the row whatever the employee.
func TestCheckAbsenceThenSettle(t *testing.T) {
	in := baseInput()
	var logs []runlog.Log
	m := employeesMapper(baseConfig(), in, func(l runlog.Log) { logs = append(logs, l) })
	if m.AbsencesWait() || !NewMapper(flexConfig(), nil).AbsencesWait() {
		t.Error("only flex mode's absences wait for the employments")
	}
	ok := Absence{VerzuimID: 1, VerloopID: 1, Medewerker: "3", Employer: "ACME", EersteDag: d("2023-03-01"), TypeOmschrijving: "Iets", Aanwezig: dec("0"), Cleaned: []string{"Type_verzuim"}}
	gone := ok
	gone.VerzuimID, gone.Medewerker = 2, "9"
	dup := ok
	dup.Medewerker = "9" // an employee never read: the duplicate is still what rejects it
	late := ok
	late.VerzuimID, late.Medewerker, late.Aanwezig = 3, "9", dec("120") // the employee comes first
	var checks []AbsenceCheck
	for _, a := range []Absence{ok, gone, dup, late} {
		c, keep := m.CheckAbsence(a)
		if !keep {
			t.Fatalf("absence %d dropped", a.VerzuimID)
		}
		checks = append(checks, c)
	}
	if len(logs) != 0 {
		t.Fatalf("the check logged %v", logs)
	}
	if h, ok := m.CheckHistoryRow(Absence{VerzuimID: 4, VerloopID: 1, Medewerker: "9", Employer: "ACME", Aanwezig: dec("0")}); !ok || h.Employee != "9" {
		t.Errorf("a history row of an employee not known yet: %+v, %v", h, ok)
	}
	for _, dv := range in.Employments {
		m.Employment(dv)
	}
	m.EmploymentsDone()
	var delivered []bool
	for i := range checks {
		delivered = append(delivered, m.SettleAbsence(&checks[i], m.AbsenceHolderProblem(checks[i].Medewerker)))
	}
	if !slices.Equal(delivered, []bool{true, false, false, false}) {
		t.Errorf("delivered %v", delivered)
	}
	var codes []string
	for _, l := range logs {
		codes = append(codes, l.Key+" "+l.Code)
	}
	want := []string{"1/1 field.cleaned", "1/1 abs.classification_unknown", "2/1 abs.employee_not_delivered", "1/1 abs.duplicate", "3/1 abs.employee_not_delivered"}
	if !slices.Equal(codes, want) {
		t.Errorf("log lines %q, want %q", codes, want)
	}
	if c := m.Counts()[Absences]; c.Fetched != 4 || c.Rejected != 3 {
		t.Errorf("counts %+v, want 4 fetched, 3 rejected", c)
	}
	if _, ok := m.History(Absence{VerzuimID: 4, VerloopID: 1, Medewerker: "9", Employer: "ACME", Aanwezig: dec("0")}); ok {
		t.Error("a history row of an employee not delivered, once the employments are known")
	}
}
