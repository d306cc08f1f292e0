package engine_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// replaceAbsences gives one employee exactly these absences in the simulator: VerzuimId,
// first day, recovery date ("" open), each with one progress row.
func replaceAbsences(e *env, emp string, abs ...[3]string) {
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Verzuim"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
		for _, a := range abs {
			r := make([]string, len(tb.Fields))
			for f, v := range map[string]string{"Verzuim_id": a[0], "Verloop_id": "9" + a[0], "Medewerker": emp, "Werkgever_code": "ZBV",
				"Eerste_verzuimdag": a[1] + "T00:00:00", "Datum_ziekmelding": a[1] + "T00:00:00", "Type_verzuim": "Z", "Type_verzuim_omschrijving": "Ziek",
				"Verloop_datum": a[1] + "T00:00:00", "Percentage_aanwezig": "0", "Vangnet": "false"} {
				r[tb.Col(f)] = v
			}
			if a[2] != "" {
				r[tb.Col("Datum_hersteld")] = a[2] + "T00:00:00"
			}
			tb.Rows = append(tb.Rows, r)
		}
	})
}

func viewOf(t *testing.T, e *env, asOf string) *engine.Poortwachter {
	t.Helper()
	day, err := time.Parse("2006-01-02", asOf)
	if err != nil {
		t.Fatal(err)
	}
	v, err := engine.ReadPoortwachter(context.Background(), e.store, "acme", day, nil)
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	return v
}

func periodOf(v *engine.Poortwachter, emp string) *engine.OpenPeriod {
	for i := range v.Open {
		if v.Open[i].Employee == emp {
			return &v.Open[i]
		}
	}
	return nil
}

func historyKeys(t *testing.T, e *env) []string {
	t.Helper()
	var keys []string
	err := e.store.EachState("acme", engine.HistoryEntity, func(k string, vals []string) error {
		keys = append(keys, vals[2])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// flex.md example 1 with date-from 2023-01-01: the period began in an absence that is only
// read for the history window. Its milestones up to week 42 fall inside that absence or its
// gap, so the view needs it stored; a run with nothing changed writes nothing more.
func TestPoortwachterPeriodThatBeganBeforeDateFrom(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 25, Employees: 40}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.DateFrom = "2023-01-01"
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	if v := viewOf(t, e, "2022-09-01"); v.Run != "" || len(v.Open) != 0 {
		t.Fatalf("before any delivery: %+v", v)
	}
	first, _ := e.run(engine.Options{})
	emp := firstWithOneEmployment(t, readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv")))
	replaceAbsences(e, emp,
		[3]string{"77001", "2022-01-03", "2022-07-04"},
		[3]string{"77002", "2022-07-25", ""},
		[3]string{"77003", "2019-01-07", "2019-03-04"}, // a period of its own, in the window
		[3]string{"77004", "2010-01-04", "2010-02-01"}, // before the window: not even read
	)
	res, _ := e.run(engine.Options{})
	if got := historyKeys(t, e); !slices.Equal(got, []string{"77001"}) {
		t.Errorf("stored history absences %v; want [77001] (only the one in a delivered period)", got)
	}

	v := viewOf(t, e, "2022-09-01")
	if v.Run != res.Run.ID {
		t.Errorf("view of run %q, want the last delivery %q", v.Run, res.Run.ID)
	}
	op := periodOf(v, emp)
	if op == nil {
		t.Fatalf("no open period of %s in %+v", emp, v.Open)
	}
	want := engine.OpenPeriod{Employer: "ZBV", Employee: emp, PeriodID: 77001, FirstDay: "2022-01-03", EndOfWaiting: "2024-01-21",
		Absences: 2, GapDays: 21, SickDays: 242 - 21, Week: 32}
	got := *op
	got.Next, got.Milestones = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("period\n got %+v\nwant %+v", got, want)
	}
	// Week N ends on day 7·N of sickness: 2022-01-03 + 7·N − 1, plus the 21 days of the gap
	// (from 2022-07-04) once the date reaches it. Next first, past ones after.
	wantMs := []engine.Milestone{
		{Code: "week42", Week: 42, Date: "2022-11-13"},
		{Code: "week52", Week: 52, Date: "2023-01-22"},
		{Code: "end", Week: 104, Date: "2024-01-21"},
		{Code: "week6", Week: 6, Date: "2022-02-13", Past: true},
		{Code: "week8", Week: 8, Date: "2022-02-27", Past: true},
	}
	if !slices.Equal(op.Milestones, wantMs) {
		t.Errorf("milestones\n got %+v\nwant %+v", op.Milestones, wantMs)
	}
	if op.Next == nil || *op.Next != wantMs[0] {
		t.Errorf("next = %+v, want week42", op.Next)
	}
	if op.Estimated {
		t.Error("history is stored: nothing is estimated")
	}

	// Before the period began, and once it is over, the holder is not in the view.
	if periodOf(viewOf(t, e, "2022-01-02"), emp) != nil {
		t.Error("a period that has not begun yet is shown")
	}
	if op := periodOf(viewOf(t, e, "2022-07-10"), emp); op == nil || op.SickDays != 182 {
		t.Errorf("in the gap, the period is still open (the relapse joins it), 182 sick days: %+v", op)
	}

	again, _ := e.run(engine.Options{})
	if again.Run.StateWrites != 0 {
		t.Errorf("a run with nothing changed wrote %d state records", again.Run.StateWrites)
	}

	// Without the delivered absence, its period's history absence is no longer kept.
	replaceAbsences(e, emp, [3]string{"77001", "2022-01-03", "2022-07-04"})
	e.run(engine.Options{})
	if got := historyKeys(t, e); len(got) != 0 {
		t.Errorf("history absences %v kept without a delivered absence in their period", got)
	}
	if periodOf(viewOf(t, e, "2022-09-01"), emp) != nil {
		t.Error("a holder without delivered absences is shown")
	}
}

// The view is sorted by the next milestone, and holders whose waiting time is over come last.
func TestPoortwachterOrder(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 7, Employees: 60}, profile.ModeCompleet)
	v := viewOf(t, e, "2026-12-01")
	if len(v.Open) != 0 {
		t.Fatalf("open periods before a delivery: %d", len(v.Open))
	}
	e.run(engine.Options{})
	v = viewOf(t, e, "2026-11-01") // the simulator's today
	if v.Absences == 0 || v.Holders == 0 || len(v.Open) == 0 {
		t.Fatalf("the simulator has open absences; view %d absences, %d holders, %d open", v.Absences, v.Holders, len(v.Open))
	}
	seenNone := false
	for i, op := range v.Open {
		if op.Next == nil {
			seenNone = true
			continue
		}
		if seenNone {
			t.Errorf("%s/%s has a next milestone after one without", op.Employer, op.Employee)
		}
		if i > 0 && v.Open[i-1].Next != nil && v.Open[i-1].Next.Date > op.Next.Date {
			t.Errorf("not sorted: %s before %s", v.Open[i-1].Next.Date, op.Next.Date)
		}
		if op.Next.Past || op.Milestones[0] != *op.Next {
			t.Errorf("next milestone %+v is not the first of %+v", op.Next, op.Milestones)
		}
	}
}
