package periods

import (
	"reflect"
	"testing"
	"time"
)

// onePeriod computes the absences and returns the single period they form.
func onePeriod(t *testing.T, in []ab) Period {
	t.Helper()
	ps, _ := Compute(absences(t, in))
	if len(ps) != 1 {
		t.Fatalf("want one period, got %s", dump(ps))
	}
	return ps[0]
}

func TestMilestoneDates(t *testing.T) {
	tests := []struct {
		name string
		in   []ab
		want [5]string // week6, week8, week42, week52, end
	}{
		{
			name: "no gaps",
			in:   []ab{{1, "2024-01-08", ""}},
			want: [5]string{"2024-02-18", "2024-03-03", "2024-10-27", "2025-01-05", "2026-01-04"},
		},
		{
			// flex.md example 2, period A+B: a 21-day gap before every milestone.
			name: "gap before all milestones",
			in:   []ab{{10, "2024-01-08", "2024-01-22"}, {11, "2024-02-12", "2024-02-20"}},
			want: [5]string{"2024-03-10", "2024-03-24", "2024-11-17", "2025-01-26", "2026-01-25"},
		},
		{
			// The gap (02-26 to 03-04) starts after week 6 ends (02-18) but before week 8 would.
			name: "gap after week 6",
			in:   []ab{{1, "2024-01-08", "2024-02-26"}, {2, "2024-03-04", ""}},
			want: [5]string{"2024-02-18", "2024-03-10", "2024-11-03", "2025-01-12", "2026-01-11"},
		},
		{
			// Sick 01-08 to 02-18 inclusive: 42 days, week 6 is complete on 02-18; the gap
			// begins the day after, so it moves week 8 on, not week 6.
			name: "gap starting the day after the week-6 date does not move it",
			in:   []ab{{1, "2024-01-08", "2024-02-19"}, {2, "2024-02-26", ""}},
			want: [5]string{"2024-02-18", "2024-03-10", "2024-11-03", "2025-01-12", "2026-01-11"},
		},
		{
			// Sick 01-08 to 02-17: 41 days; the 42nd sick day is the first of the next absence.
			name: "gap starting on the week-6 date moves it",
			in:   []ab{{1, "2024-01-08", "2024-02-18"}, {2, "2024-02-25", ""}},
			want: [5]string{"2024-02-25", "2024-03-10", "2024-11-03", "2025-01-12", "2026-01-11"},
		},
		{
			// Week 6 is 2024-02-18 without gaps; the first gap (14 days) moves it to 03-03,
			// which puts the second gap (from 02-26, 7 days) before it too: 7 + 28 sick days
			// before the gaps end, the 42nd on 03-10.
			name: "second gap reached only after the first moved the date",
			in: []ab{
				{1, "2024-01-08", "2024-01-15"},
				{2, "2024-01-29", "2024-02-26"},
				{3, "2024-03-04", ""},
			},
			want: [5]string{"2024-03-10", "2024-03-24", "2024-11-17", "2025-01-26", "2026-01-25"},
		},
		{
			name: "gap after week 52 moves only the end",
			in:   []ab{{1, "2024-01-08", "2025-03-03"}, {2, "2025-03-17", ""}},
			want: [5]string{"2024-02-18", "2024-03-03", "2024-10-27", "2025-01-05", "2026-01-18"},
		},
	}
	codes := [5]string{CodeProblemAnalysis, CodePlanOfAction, CodeReportUWV, CodeFirstYearEvaluation, CodeEndOfWaiting}
	weeks := [5]int{6, 8, 42, 52, 104}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := onePeriod(t, tt.in)
			ms := Milestones(p, d(t, "2000-01-01"))
			if len(ms) != 5 {
				t.Fatalf("got %d milestones", len(ms))
			}
			for i, m := range ms {
				want := Milestone{Code: codes[i], Week: weeks[i], Date: d(t, tt.want[i])}
				if m != want {
					t.Errorf("milestone %d = %+v, want %+v", i, m, want)
				}
			}
			for i, w := range weeks[:4] {
				if got := WeekDate(p, w); !got.Equal(d(t, tt.want[i])) {
					t.Errorf("WeekDate(%d) = %s, want %s", w, ds(got), tt.want[i])
				}
			}
		})
	}
}

// The end-of-waiting milestone is the period's EindeWachttijd, also for a stored period.
func TestMilestonesStoredPeriod(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	p := Period{
		ID:           7,
		FirstDay:     time.Date(2024, 1, 8, 0, 0, 0, 0, ams),
		EndOfWaiting: time.Date(2026, 1, 25, 0, 0, 0, 0, ams),
		Gaps:         []Gap{{From: time.Date(2024, 1, 22, 0, 0, 0, 0, ams), To: time.Date(2024, 2, 12, 0, 0, 0, 0, ams)}},
	}
	ms := Milestones(p, d(t, "2000-01-01"))
	want := []string{"2024-03-10", "2024-03-24", "2024-11-17", "2025-01-26", "2026-01-25"}
	for i, m := range ms {
		if m.Date != d(t, want[i]) {
			t.Errorf("%s = %v, want %s", m.Code, m.Date, want[i])
		}
	}

	// A gap from local midnight on the day after the week-6 date (an hour before midnight UTC)
	// starts on that day, so it does not move week 6 (02-18) but moves week 8.
	p = Period{
		FirstDay:     d(t, "2024-01-08"),
		EndOfWaiting: d(t, "2026-01-11"),
		Gaps:         []Gap{{From: time.Date(2024, 2, 19, 0, 0, 0, 0, ams), To: time.Date(2024, 2, 26, 0, 0, 0, 0, ams)}},
	}
	if got := WeekDate(p, 6); got != d(t, "2024-02-18") {
		t.Errorf("week 6 = %v, want 2024-02-18", got)
	}
	if got := WeekDate(p, 8); got != d(t, "2024-03-10") {
		t.Errorf("week 8 = %v, want 2024-03-10", got)
	}
}

func TestMilestonesPast(t *testing.T) {
	p := onePeriod(t, []ab{{1, "2024-01-08", ""}})
	// week6 2024-02-18, week8 2024-03-03, week42 2024-10-27, week52 2025-01-05, end 2026-01-04
	tests := []struct {
		today string
		past  [5]bool
	}{
		{"2024-01-08", [5]bool{}},
		{"2024-02-18", [5]bool{}}, // due today: not past
		{"2024-02-19", [5]bool{true}},
		{"2024-03-03", [5]bool{true}},
		{"2024-03-04", [5]bool{true, true}},
		{"2025-01-05", [5]bool{true, true, true}},
		{"2025-01-06", [5]bool{true, true, true, true}},
		{"2026-01-04", [5]bool{true, true, true, true}},
		{"2026-01-05", [5]bool{true, true, true, true, true}},
	}
	for _, tt := range tests {
		ms := Milestones(p, d(t, tt.today))
		for i, m := range ms {
			if m.Past != tt.past[i] {
				t.Errorf("today %s: %s Past = %v, want %v", tt.today, m.Code, m.Past, tt.past[i])
			}
		}
	}

	// Today counts by its calendar date: late evening in Amsterdam is still that day.
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	ms := Milestones(p, time.Date(2024, 2, 18, 23, 30, 0, 0, ams))
	if ms[0].Past {
		t.Error("week 6 is due today in Amsterdam, not past")
	}
	ms = Milestones(p, time.Date(2024, 2, 19, 0, 30, 0, 0, ams)) // 2024-02-18 23:30 UTC
	if !ms[0].Past {
		t.Error("week 6 was yesterday in Amsterdam: past")
	}
}

func TestNextFirst(t *testing.T) {
	p := onePeriod(t, []ab{{1, "2024-01-08", ""}})
	code := func(ms []Milestone) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Code)
		}
		return out
	}
	tests := []struct {
		today string
		want  []string
		next  string // "" = none
	}{
		{"2024-01-08", []string{"week6", "week8", "week42", "week52", "end"}, "week6"},
		{"2024-03-10", []string{"week42", "week52", "end", "week6", "week8"}, "week42"},
		{"2025-06-01", []string{"end", "week6", "week8", "week42", "week52"}, "end"},
		{"2026-02-01", []string{"week6", "week8", "week42", "week52", "end"}, ""},
	}
	for _, tt := range tests {
		ms := Milestones(p, d(t, tt.today))
		orig := append([]Milestone(nil), ms...)
		got := NextFirst(ms)
		if !reflect.DeepEqual(code(got), tt.want) {
			t.Errorf("today %s: NextFirst = %v, want %v", tt.today, code(got), tt.want)
		}
		if !reflect.DeepEqual(ms, orig) {
			t.Errorf("today %s: input modified", tt.today)
		}
		for _, m := range got {
			if m.Date.IsZero() {
				t.Errorf("today %s: %s lost its date", tt.today, m.Code)
			}
		}
		n, ok := Next(ms)
		if ok != (tt.next != "") || n.Code != tt.next {
			t.Errorf("today %s: Next = %q, %v; want %q", tt.today, n.Code, ok, tt.next)
		}
		if ok && (n.Past || n != got[0]) {
			t.Errorf("today %s: Next %+v is not the first of NextFirst", tt.today, n)
		}
	}
	if got := NextFirst(nil); len(got) != 0 {
		t.Errorf("NextFirst(nil) = %v", got)
	}
}

// Week N ends on the first day + 7·N − 1, the count of EindeWachttijd (first day + 727 is the
// last day of week 104): the Gatekeeper milestones and the end of the waiting time are one
// count, so week 104 by WeekDate is the period's EindeWachttijd, with and without gaps.
func TestWeekDateCountsLikeEndOfWaiting(t *testing.T) {
	for _, in := range [][]ab{
		{{1, "2024-01-08", ""}},
		{{1, "2022-01-03", "2022-07-04"}, {2, "2022-07-25", ""}}, // flex.md example 1
		{{1, "2024-01-08", "2024-01-15"}, {2, "2024-01-29", "2024-02-26"}, {3, "2024-03-04", ""}},
	} {
		p := onePeriod(t, in)
		if got := WeekDate(p, 104); !got.Equal(p.EndOfWaiting) {
			t.Errorf("%v: WeekDate(104) = %s, EindeWachttijd %s", in, ds(got), ds(p.EndOfWaiting))
		}
		if got := WeekDate(p, 1); p.Gaps == nil && !got.Equal(AddDays(p.FirstDay, 6)) {
			t.Errorf("%v: week 1 ends on %s, want the 7th day", in, ds(got))
		}
	}
}
