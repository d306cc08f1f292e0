package engine

import (
	"slices"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
)

func pday(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

type tab struct {
	id               int64
	first, recovered string
	delivered        bool
	// the delivered period columns: ZiekteperiodeId, EersteDagZiekteperiode, EindeWachttijd
	pid         int64
	pfirst, end string
}

func holderOf(t *testing.T, in []tab) map[int64]*storedAbsence {
	abs := map[int64]*storedAbsence{}
	for _, a := range in {
		sa := &storedAbsence{first: pday(t, a.first), recovered: pday(t, a.recovered), delivered: a.delivered}
		if a.pid != 0 {
			sa.period = &storedPeriod{id: a.pid, first: pday(t, a.pfirst), end: pday(t, a.end)}
		}
		abs[a.id] = sa
	}
	return abs
}

// Which period is open on the view's day.
func TestOpenOnTheDay(t *testing.T) {
	abs := []tab{
		{id: 1, first: "2024-01-08", recovered: "2024-02-05", delivered: true, pid: 1, pfirst: "2024-01-08", end: "2026-01-04"},
		{id: 2, first: "2024-06-03", recovered: "", delivered: true, pid: 2, pfirst: "2024-06-03", end: "2026-05-31"},
	}
	tests := []struct {
		asOf string
		want int64 // period shown, 0 = none
	}{
		{"2024-01-07", 0}, // not begun
		{"2024-01-08", 1}, // its first day
		{"2024-02-04", 1}, // the last sick day
		{"2024-02-05", 0}, // recovered: DatumHersteld is the first day well
		{"2024-06-02", 0},
		{"2024-06-03", 2},
		{"2030-01-01", 2}, // still open, waiting time long over
	}
	for _, tt := range tests {
		op, ok := openPeriod("ZBV"+mapping.KeySep+"1", holderOf(t, abs), pday(t, tt.asOf))
		if got := map[bool]int64{true: op.PeriodID}[ok]; got != tt.want {
			t.Errorf("as of %s: period %d (shown %v), want %d", tt.asOf, got, ok, tt.want)
		}
	}
}

// A delivery whose state lacks the history absences (a koppel before they were stored): the
// view keeps the delivered values and puts the missing gap days just before the first
// delivered absence, so every milestone after it began is exact.
func TestReconcileWithoutHistory(t *testing.T) {
	// The whole period: H1 2021-01-04..2021-01-18 (14 days well until 02-01), H2 2021-02-01..
	// 2021-12-20 (well 21 days), D 2022-01-10 open. EindeWachttijd = 2021-01-04 + 727 + 14 + 21.
	full := []tab{
		{id: 11, first: "2021-01-04", recovered: "2021-01-18"},
		{id: 12, first: "2021-02-01", recovered: "2021-12-20"},
		{id: 13, first: "2022-01-10", delivered: true, pid: 11, pfirst: "2021-01-04", end: "2023-02-05"},
	}
	exact, ok := openPeriod("H", holderOf(t, full), pday(t, "2022-02-01"))
	if !ok || exact.Estimated || exact.EndOfWaiting != "2023-02-05" || exact.GapDays != 35 || exact.Absences != 3 {
		t.Fatalf("with history: %+v", exact)
	}
	partial, ok := openPeriod("H", holderOf(t, full[2:]), pday(t, "2022-02-01"))
	if !ok || !partial.Estimated {
		t.Fatalf("without history: %+v", partial)
	}
	if partial.PeriodID != 11 || partial.FirstDay != "2021-01-04" || partial.EndOfWaiting != "2023-02-05" || partial.GapDays != 35 {
		t.Errorf("without history the delivered period is shown: %+v", partial)
	}
	dates := func(op OpenPeriod) map[string]string {
		m := map[string]string{}
		for _, ms := range op.Milestones {
			m[ms.Code] = ms.Date
		}
		return m
	}
	e, p := dates(exact), dates(partial)
	// week 52 (sick day 364) and the end lie after D began (sick day 14 + 322 + 1 = 337): exact.
	for _, code := range []string{"week52", "end"} {
		if e[code] != p[code] {
			t.Errorf("%s: %s without history, %s with", code, p[code], e[code])
		}
	}
	// Week 6 lies in H2: the history places it (2021-01-04 + 41 + 14 = 2021-02-28); without
	// it the gap is assumed later, so week 6 is earlier.
	if e["week6"] != "2021-02-28" || p["week6"] != "2021-02-14" {
		t.Errorf("week 6: %s with history (want 2021-02-28), %s without (want 2021-02-14)", e["week6"], p["week6"])
	}
	if exact.SickDays != partial.SickDays || exact.Week != partial.Week {
		t.Errorf("sick days %d/%d, week %d/%d: they depend only on the total of the gaps", exact.SickDays, partial.SickDays, exact.Week, partial.Week)
	}
}

func TestSickDays(t *testing.T) {
	p := periods.Period{FirstDay: pday(t, "2024-01-08"), Gaps: []periods.Gap{{From: pday(t, "2024-01-22"), To: pday(t, "2024-02-12")}}}
	for asOf, want := range map[string]int{
		"2024-01-08": 1,
		"2024-01-21": 14, // the last sick day before the gap
		"2024-01-22": 14, // well
		"2024-02-11": 14,
		"2024-02-12": 15,
		"2024-03-10": 42, // the week-6 date of this period
	} {
		if got := sickDays(p, pday(t, asOf)); got != want {
			t.Errorf("as of %s: %d sick days, want %d", asOf, got, want)
		}
	}
}

func TestSortByUrgency(t *testing.T) {
	ms := func(d string) *Milestone { return &Milestone{Code: "week6", Date: d} }
	in := []OpenPeriod{
		{Employee: "a", EndOfWaiting: "2025-01-01"}, // waiting time over
		{Employer: "B", Employee: "b", Next: ms("2026-03-01")},
		{Employee: "c", EndOfWaiting: "2024-06-01"}, // over for longer
		{Employee: "d", Next: ms("2026-01-15")},
		{Employer: "A", Employee: "e", Next: ms("2026-03-01")}, // same day as b: by holder
	}
	sortByUrgency(in)
	var got []string
	for _, op := range in {
		got = append(got, op.Employee)
	}
	if want := []string{"d", "e", "b", "c", "a"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
