package periods

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Amsterdam for the DST tests, whatever the machine has
)

// d parses a date (YYYY-MM-DD) as midnight UTC; "" is the zero time (an empty date).
func d(t *testing.T, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatalf("bad date %q: %v", s, err)
	}
	return v
}

// ab is an absence in test notation.
type ab struct {
	id        int64
	first     string
	recovered string
}

// gp is a gap in test notation.
type gp struct{ from, to string }

// pd is an expected period in test notation.
type pd struct {
	id        int64
	first     string
	end       string // EindeWachttijd
	recovered string
	absences  []int64
	gaps      []gp
}

func absences(t *testing.T, in []ab) []Absence {
	t.Helper()
	out := make([]Absence, len(in))
	for i, a := range in {
		out[i] = Absence{ID: a.id, FirstDay: d(t, a.first), Recovered: d(t, a.recovered)}
	}
	return out
}

func period(t *testing.T, w pd) Period {
	t.Helper()
	p := Period{
		ID:           w.id,
		FirstDay:     d(t, w.first),
		EndOfWaiting: d(t, w.end),
		Recovered:    d(t, w.recovered),
		Absences:     w.absences,
	}
	for _, g := range w.gaps {
		p.Gaps = append(p.Gaps, Gap{From: d(t, g.from), To: d(t, g.to)})
	}
	return p
}

func TestCompute(t *testing.T) {
	tests := []struct {
		name string
		in   []ab
		want []pd
	}{
		{
			name: "empty",
		},
		{
			name: "single open absence",
			in:   []ab{{1, "2024-04-02", ""}},
			want: []pd{{1, "2024-04-02", "2026-03-30", "", []int64{1}, nil}},
		},
		{
			// flex.md example 1, without the relapse.
			name: "example 1 without relapse",
			in:   []ab{{1, "2022-01-03", "2022-07-04"}},
			want: []pd{{1, "2022-01-03", "2023-12-31", "2022-07-04", []int64{1}, nil}},
		},
		{
			// flex.md example 1: 21 days well, then ill again, still open.
			name: "example 1 relapse after 21 days",
			in:   []ab{{1, "2022-01-03", "2022-07-04"}, {2, "2022-07-25", ""}},
			want: []pd{{1, "2022-01-03", "2024-01-21", "", []int64{1, 2}, []gp{{"2022-07-04", "2022-07-25"}}}},
		},
		{
			// flex.md example 2.
			name: "example 2 join then new period after 42 days",
			in: []ab{
				{10, "2024-01-08", "2024-01-22"},
				{11, "2024-02-12", "2024-02-20"},
				{12, "2024-04-02", ""},
			},
			want: []pd{
				{10, "2024-01-08", "2026-01-25", "2024-02-20", []int64{10, 11}, []gp{{"2024-01-22", "2024-02-12"}}},
				{12, "2024-04-02", "2026-03-30", "", []int64{12}, nil},
			},
		},
		{
			name: "unsorted input",
			in: []ab{
				{12, "2024-04-02", ""},
				{10, "2024-01-08", "2024-01-22"},
				{11, "2024-02-12", "2024-02-20"},
			},
			want: []pd{
				{10, "2024-01-08", "2026-01-25", "2024-02-20", []int64{10, 11}, []gp{{"2024-01-22", "2024-02-12"}}},
				{12, "2024-04-02", "2026-03-30", "", []int64{12}, nil},
			},
		},
		{
			// flex.md example 3: recovered on H, ill again on H + 28: a new period.
			name: "exactly 28 days: new period",
			in:   []ab{{1, "2024-01-01", "2024-02-01"}, {2, "2024-02-29", ""}},
			want: []pd{
				{1, "2024-01-01", "2025-12-28", "2024-02-01", []int64{1}, nil},
				{2, "2024-02-29", "2026-02-25", "", []int64{2}, nil},
			},
		},
		{
			// flex.md example 3: on H + 27: the same period.
			name: "27 days: joins",
			in:   []ab{{1, "2024-01-01", "2024-02-01"}, {2, "2024-02-28", ""}},
			want: []pd{{1, "2024-01-01", "2026-01-24", "", []int64{1, 2}, []gp{{"2024-02-01", "2024-02-28"}}}},
		},
		{
			name: "one day well: gap of one day",
			in:   []ab{{1, "2024-01-01", "2024-02-01"}, {2, "2024-02-02", "2024-03-01"}},
			want: []pd{{1, "2024-01-01", "2025-12-29", "2024-03-01", []int64{1, 2}, []gp{{"2024-02-01", "2024-02-02"}}}},
		},
		{
			name: "back to back: no gap",
			in:   []ab{{1, "2024-01-01", "2024-01-10"}, {2, "2024-01-10", "2024-01-20"}},
			want: []pd{{1, "2024-01-01", "2025-12-28", "2024-01-20", []int64{1, 2}, nil}},
		},
		{
			name: "absence inside another keeps the later recovery date",
			in: []ab{
				{1, "2024-01-01", "2024-03-01"},
				{2, "2024-01-15", "2024-02-01"},
				{3, "2024-03-20", "2024-04-01"}, // 19 days after 03-01 (49 after 02-01)
			},
			want: []pd{{1, "2024-01-01", "2026-01-16", "2024-04-01", []int64{1, 2, 3}, []gp{{"2024-03-01", "2024-03-20"}}}},
		},
		{
			name: "overlap extends the recovery date",
			in: []ab{
				{1, "2024-01-01", "2024-02-01"},
				{2, "2024-01-20", "2024-03-01"},
				{3, "2024-03-28", ""}, // 27 days after 03-01, 56 after 02-01
			},
			want: []pd{{1, "2024-01-01", "2026-01-24", "", []int64{1, 2, 3}, []gp{{"2024-03-01", "2024-03-28"}}}},
		},
		{
			name: "open absence followed by others: all join, period stays open",
			in: []ab{
				{1, "2023-01-02", ""},
				{2, "2023-06-01", "2023-07-01"},
				{3, "2024-06-03", "2024-07-01"},
			},
			want: []pd{{1, "2023-01-02", "2024-12-29", "", []int64{1, 2, 3}, nil}},
		},
		{
			name: "open absence joins a closed period and opens it",
			in: []ab{
				{1, "2023-01-02", "2023-02-01"},
				{2, "2023-02-10", ""},
				{3, "2024-02-01", "2024-03-01"}, // joins: the period is open
			},
			want: []pd{{1, "2023-01-02", "2025-01-07", "", []int64{1, 2, 3}, []gp{{"2023-02-01", "2023-02-10"}}}},
		},
		{
			name: "gaps add up",
			in: []ab{
				{1, "2024-01-01", "2024-02-01"},
				{2, "2024-02-11", "2024-03-01"},
				{3, "2024-03-06", ""},
			},
			want: []pd{{1, "2024-01-01", "2026-01-12", "", []int64{1, 2, 3}, []gp{
				{"2024-02-01", "2024-02-11"}, {"2024-03-01", "2024-03-06"},
			}}},
		},
		{
			name: "equal first days ordered by id",
			in: []ab{
				{5, "2024-01-01", "2024-01-31"},
				{3, "2024-01-01", "2024-01-15"},
			},
			want: []pd{{3, "2024-01-01", "2025-12-28", "2024-01-31", []int64{3, 5}, nil}},
		},
		{
			name: "three separate periods",
			in: []ab{
				{3, "2024-06-01", "2024-06-10"},
				{1, "2024-01-01", "2024-01-10"},
				{2, "2024-03-01", "2024-03-10"},
			},
			want: []pd{
				{1, "2024-01-01", "2025-12-28", "2024-01-10", []int64{1}, nil},
				{2, "2024-03-01", "2026-02-26", "2024-03-10", []int64{2}, nil},
				{3, "2024-06-01", "2026-05-29", "2024-06-10", []int64{3}, nil},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := absences(t, tt.in)
			orig := slices.Clone(in)
			got, by := Compute(in)
			var want []Period
			for _, w := range tt.want {
				want = append(want, period(t, w))
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("periods:\n got %s\nwant %s", dump(got), dump(want))
			}
			if !reflect.DeepEqual(in, orig) {
				t.Errorf("input modified: %v", in)
			}
			if len(by) != len(in) {
				t.Errorf("byAbsence has %d entries, want %d", len(by), len(in))
			}
			for i := range got {
				for _, id := range got[i].Absences {
					if by[id] != &got[i] {
						t.Errorf("byAbsence[%d] does not point at period %d", id, got[i].ID)
					}
				}
			}
		})
	}
}

func dump(ps []Period) string {
	s := ""
	for _, p := range ps {
		s += "\n  {" + itoa(p.ID) + " " + ds(p.FirstDay) + " end " + ds(p.EndOfWaiting) + " rec " + ds(p.Recovered) + " abs"
		for _, id := range p.Absences {
			s += " " + itoa(id)
		}
		s += " gaps"
		for _, g := range p.Gaps {
			s += " " + ds(g.From) + ".." + ds(g.To)
		}
		s += "}"
	}
	return s
}

func ds(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// With date-from 2023-01-01 only the second absence of example 1 is delivered, but the first
// is in the history window, so the second carries the first's period.
func TestExample1History(t *testing.T) {
	dateFrom := d(t, "2023-01-01")
	first := Absence{ID: 1, FirstDay: d(t, "2022-01-03"), Recovered: d(t, "2022-07-04")}
	second := Absence{ID: 2, FirstDay: d(t, "2022-07-25")}
	if !InHistory(first.Recovered, dateFrom) || !InHistory(second.Recovered, dateFrom) {
		t.Fatal("both absences must be in the history window")
	}
	_, by := Compute([]Absence{second, first})
	p := by[2]
	if p == nil || p.ID != 1 || !p.FirstDay.Equal(d(t, "2022-01-03")) || !p.EndOfWaiting.Equal(d(t, "2024-01-21")) {
		t.Fatalf("period of absence 2 = %+v", p)
	}
	if by[1] != p {
		t.Fatal("absence 1 must share the period")
	}
}

// A relapse long after date-from continues a period that began years before it.
func TestPeriodBeganBeforeDateFrom(t *testing.T) {
	dateFrom := d(t, "2024-01-01")
	var read []Absence
	for _, a := range []Absence{
		{ID: 1, FirstDay: d(t, "2019-05-06"), Recovered: d(t, "2020-12-01")}, // before the window
		{ID: 2, FirstDay: d(t, "2021-01-04"), Recovered: d(t, "2021-06-01")}, // 2021-06-01 ≥ 2021-01-01
		{ID: 3, FirstDay: d(t, "2021-06-20"), Recovered: d(t, "2024-01-15")}, // delivered
	} {
		if InHistory(a.Recovered, dateFrom) {
			read = append(read, a)
		}
	}
	if len(read) != 2 {
		t.Fatalf("read %d absences, want 2", len(read))
	}
	ps, by := Compute(read)
	if len(ps) != 1 || by[3].ID != 2 || !by[3].FirstDay.Equal(d(t, "2021-01-04")) {
		t.Fatalf("periods = %s", dump(ps))
	}
	// 2021-01-04 + 727 + 19 gap days.
	if want := d(t, "2023-01-20"); !by[3].EndOfWaiting.Equal(want) {
		t.Fatalf("EindeWachttijd = %s, want %s", ds(by[3].EndOfWaiting), ds(want))
	}
}

func TestHistoryFrom(t *testing.T) {
	tests := []struct{ from, want string }{
		{"2023-01-01", "2020-01-02"}, // across the leap day of 2020
		{"2024-03-01", "2021-03-02"},
		{"2025-01-01", "2022-01-02"},
	}
	for _, tt := range tests {
		if got := HistoryFrom(d(t, tt.from)); !got.Equal(d(t, tt.want)) {
			t.Errorf("HistoryFrom(%s) = %s, want %s", tt.from, ds(got), tt.want)
		}
	}
}

func TestInHistory(t *testing.T) {
	dateFrom := d(t, "2023-01-01") // window starts 2020-01-02
	tests := []struct {
		recovered string
		want      bool
	}{
		{"", true},
		{"2020-01-01", false},
		{"2020-01-02", true},
		{"2020-01-03", true},
		{"2023-06-01", true},
	}
	for _, tt := range tests {
		if got := InHistory(d(t, tt.recovered), dateFrom); got != tt.want {
			t.Errorf("InHistory(%q) = %v, want %v", tt.recovered, got, tt.want)
		}
	}
	// A time of day in another zone still counts by its calendar date.
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	if !InHistory(time.Date(2020, 1, 2, 0, 30, 0, 0, ams), dateFrom) {
		t.Error("2020-01-02 00:30 Amsterdam must be in the window")
	}
}

// Dates given as local midnight in a zone with daylight saving time, or with a time of day,
// count by their calendar dates.
func TestCalendarDays(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	local := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, ams) }

	// Recovered 2024-03-04 (CET), ill again 2024-04-01 (CEST): 28 calendar days, though only
	// 27 days and 23 hours pass.
	ps, _ := Compute([]Absence{
		{ID: 1, FirstDay: local(2024, 3, 1), Recovered: local(2024, 3, 4)},
		{ID: 2, FirstDay: local(2024, 4, 1)},
	})
	if len(ps) != 2 {
		t.Fatalf("want two periods across DST, got %s", dump(ps))
	}
	if ps[0].FirstDay != d(t, "2024-03-01") || ps[0].Recovered != d(t, "2024-03-04") || ps[1].FirstDay != d(t, "2024-04-01") {
		t.Errorf("dates not normalised to midnight UTC: %s", dump(ps))
	}
	if ps[1].EndOfWaiting != d(t, "2026-03-29") {
		t.Errorf("EindeWachttijd = %s", ds(ps[1].EndOfWaiting))
	}

	// Same with a 27-day gap across DST: joins, gap of 27 days.
	ps, _ = Compute([]Absence{
		{ID: 1, FirstDay: local(2024, 3, 1), Recovered: local(2024, 3, 4)},
		{ID: 2, FirstDay: time.Date(2024, 3, 31, 23, 59, 0, 0, ams), Recovered: local(2024, 4, 5)},
	})
	if len(ps) != 1 || len(ps[0].Gaps) != 1 || ps[0].Gaps[0].Days() != 27 {
		t.Fatalf("want one period with a 27-day gap, got %s", dump(ps))
	}
	if ps[0].EndOfWaiting != d(t, "2026-03-25") { // 2024-03-01 + 727 + 27
		t.Errorf("EindeWachttijd = %s", ds(ps[0].EndOfWaiting))
	}

	if got := AddDays(local(2024, 3, 30), 1); got != d(t, "2024-03-31") {
		t.Errorf("AddDays across DST = %v", got)
	}
	if got := AddDays(local(2024, 10, 27), -1); got != d(t, "2024-10-26") {
		t.Errorf("AddDays backwards across DST = %v", got)
	}
	if got := Day(time.Date(2024, 10, 27, 23, 30, 0, 0, ams)); got != d(t, "2024-10-27") {
		t.Errorf("Day = %v", got)
	}
	if got := HistoryFrom(local(2024, 7, 1)); got != d(t, "2021-07-02") {
		t.Errorf("HistoryFrom local = %v", got)
	}
}

func TestGapDays(t *testing.T) {
	tests := []struct {
		g    gp
		want int
	}{
		{gp{"2024-01-22", "2024-02-12"}, 21},
		{gp{"2024-02-28", "2024-03-01"}, 2},
		{gp{"2024-01-01", "2024-01-02"}, 1},
		{gp{"2023-12-31", "2025-01-01"}, 367},
	}
	for _, tt := range tests {
		g := Gap{From: d(t, tt.g.from), To: d(t, tt.g.to)}
		if got := g.Days(); got != tt.want {
			t.Errorf("%v.Days() = %d, want %d", tt.g, got, tt.want)
		}
	}
}

func TestOpen(t *testing.T) {
	if !(Period{}).Open() {
		t.Error("period without recovery date must be open")
	}
	if (Period{Recovered: d(t, "2024-01-01")}).Open() {
		t.Error("period with recovery date must not be open")
	}
}

// Spans gives the periods Compute gives, over the sorted input, without an allocation.
func TestSpansAgreeWithCompute(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for seed := int64(0); seed < 300; seed++ {
		n := int(seed % 9)
		var abs []Absence
		for i := 0; i < n; i++ {
			// A deterministic spread: overlaps, relapses within and beyond 28 days, open absences,
			// dates in another location.
			first := base.AddDate(0, 0, int((seed*37+int64(i)*53)%400))
			if i%3 == 1 {
				first = first.In(ams).Add(23 * time.Hour)
			}
			a := Absence{ID: 100 - int64(i)*7 + seed%5, FirstDay: first}
			if (seed+int64(i))%4 != 0 {
				a.Recovered = first.AddDate(0, 0, int((seed+int64(i)*11)%45))
			}
			abs = append(abs, a)
		}
		want, _ := Compute(abs)
		sorted := slices.Clone(abs)
		var got []Span
		Spans(sorted, func(s Span) { got = append(got, s) })
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d spans, want %d periods", seed, len(got), len(want))
		}
		next := 0
		for i, s := range got {
			p := want[i]
			if s.Start != next || s.End <= s.Start || s.ID != p.ID || s.ID != sorted[s.Start].ID || !s.FirstDay.Equal(p.FirstDay) ||
				!s.EndOfWaiting.Equal(p.EndOfWaiting) || !s.Recovered.Equal(p.Recovered) || s.End-s.Start != len(p.Absences) {
				t.Fatalf("seed %d: span %+v, want %+v", seed, s, p)
			}
			for j, a := range sorted[s.Start:s.End] {
				if a.ID != p.Absences[j] || a.FirstDay.Location() != time.UTC {
					t.Fatalf("seed %d: span %d holds %v, want %v", seed, i, a, p.Absences)
				}
			}
			next = s.End
		}
		if next != len(sorted) {
			t.Fatalf("seed %d: spans end at %d of %d", seed, next, len(sorted))
		}
	}
	abs := []Absence{{ID: 2, FirstDay: base, Recovered: base.AddDate(0, 0, 3)}, {ID: 1, FirstDay: base.AddDate(0, 0, 10)}, {ID: 3, FirstDay: base.AddDate(1, 0, 0)}}
	if n := testing.AllocsPerRun(100, func() { Spans(abs, func(Span) {}) }); n != 0 {
		t.Errorf("Spans allocates %v times", n)
	}
	Spans(nil, func(Span) { t.Error("a span of nothing") })
}
