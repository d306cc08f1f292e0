// Package periods computes composite absence periods (samengestelde ziekteperiodes) and the
// Gatekeeper Act (Wet verbetering poortwachter) milestones of a period.
//
// The rules are those of shared/spec/flex.md, sections "Composite absence (every profile)" and
// "Poortwachter view". Everything here is a pure function of its arguments: no I/O, no clock.
//
// Dates are calendar days. Every date that enters the package is reduced to its calendar date
// in its own location and returned as midnight UTC; day arithmetic works on those dates only,
// so daylight saving time cannot shift a result by a day.
package periods

import (
	"cmp"
	"slices"
	"time"
)

const (
	// JoinDays is the bound of a relapse: an absence that starts less than JoinDays days after
	// the period's recovery date continues the period (art. 7:629 lid 10 BW: "less than four
	// weeks").
	JoinDays = 28
	// WaitingDays is added to the period's first day to give the last day of the 104-week
	// waiting time before gaps: 104·7 − 1 = 727.
	WaitingDays = 727
	// HistoryDays is how far before date-from absences are read to find periods that began
	// earlier: three years.
	HistoryDays = 1095
)

// Absence is one absence (VerzuimId) of a holder, as the rules need it.
type Absence struct {
	ID        int64     // VerzuimId
	FirstDay  time.Time // EersteVerzuimdag
	Recovered time.Time // DatumHersteld of its progress row with the lowest VerloopId; zero = open
}

// Gap is a stretch of days between two absences of one period on which the holder was well.
// From is the period's recovery date so far (the first day well), To is the first day of the
// next absence. Its days (To − From, always > 0) do not count towards the waiting time.
type Gap struct {
	From time.Time
	To   time.Time
}

// Days returns the length of the gap in days (To − From).
func (g Gap) Days() int { return daysBetween(g.From, g.To) }

// Period is the composite period an absence belongs to.
type Period struct {
	ID           int64     // ZiekteperiodeId: VerzuimId of the period's first absence
	FirstDay     time.Time // EersteDagZiekteperiode: EersteVerzuimdag of the first absence
	EndOfWaiting time.Time // EindeWachttijd: FirstDay + 727 days + the days of all Gaps
	Recovered    time.Time // latest DatumHersteld of its absences; zero while any is open
	Absences     []int64   // VerzuimIds in period order (EersteVerzuimdag, then VerzuimId)
	Gaps         []Gap     // the gaps of more than 0 days, in date order
}

// Open reports whether the period has no recovery date (one of its absences is open).
func (p Period) Open() bool { return p.Recovered.IsZero() }

// Compute groups one holder's absences into composite periods. The input may be in any order;
// it is processed ordered by FirstDay, then ID. An absence joins the current period when the
// period is open or when its FirstDay is less than JoinDays days after the period's recovery
// date (overlaps give negative differences and join too); otherwise it starts a new period.
//
// It returns the periods in date order and, per absence ID, a pointer into that slice. IDs
// are assumed unique and every Recovered on or after its FirstDay (the caller validates).
func Compute(abs []Absence) (periods []Period, byAbsence map[int64]*Period) {
	sorted := slices.Clone(abs)
	var gaps []Gap
	spans(sorted, func(g Gap) { gaps = append(gaps, g) }, func(s Span) {
		p := Period{ID: s.ID, FirstDay: s.FirstDay, EndOfWaiting: s.EndOfWaiting, Recovered: s.Recovered, Gaps: gaps}
		for _, a := range sorted[s.Start:s.End] {
			p.Absences = append(p.Absences, a.ID)
		}
		periods, gaps = append(periods, p), nil
	})
	byAbsence = make(map[int64]*Period, len(abs))
	for i := range periods {
		for _, id := range periods[i].Absences {
			byAbsence[id] = &periods[i]
		}
	}
	return periods, byAbsence
}

// Span is a composite period as Spans finds it: the absences abs[Start:End] of the sorted input.
type Span struct {
	Start, End   int
	ID           int64     // ZiekteperiodeId: the ID of abs[Start]
	FirstDay     time.Time // EersteDagZiekteperiode
	EndOfWaiting time.Time // EindeWachttijd
	Recovered    time.Time // zero while any of its absences is open
}

// Spans is Compute for a caller that groups the absences of many holders: it allocates nothing.
// It sorts abs in place the way Compute orders them, with every date reduced to its calendar
// day, and calls fn for each period in date order.
func Spans(abs []Absence, fn func(Span)) { spans(abs, nil, fn) }

// spans applies the rules of Compute to abs, sorting it in place; gap, when set, receives each
// gap of a period before fn receives the period.
func spans(abs []Absence, gap func(Gap), fn func(Span)) {
	for i, a := range abs {
		abs[i] = Absence{ID: a.ID, FirstDay: Day(a.FirstDay), Recovered: dayOrZero(a.Recovered)}
	}
	slices.SortFunc(abs, func(a, b Absence) int {
		if c := a.FirstDay.Compare(b.FirstDay); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var cur Span
	gapDays := 0
	end := func(i int) {
		cur.End = i
		cur.EndOfWaiting = AddDays(cur.FirstDay, WaitingDays+gapDays)
		fn(cur)
	}
	for i, a := range abs {
		if i == 0 || !joins(cur.Recovered, a.FirstDay) {
			if i > 0 {
				end(i)
			}
			cur, gapDays = Span{Start: i, ID: a.ID, FirstDay: a.FirstDay, Recovered: a.Recovered}, 0
			continue
		}
		if !cur.Recovered.IsZero() && a.FirstDay.After(cur.Recovered) {
			g := Gap{From: cur.Recovered, To: a.FirstDay}
			gapDays += g.Days()
			if gap != nil {
				gap(g)
			}
		}
		cur.Recovered = laterRecovery(cur.Recovered, a.Recovered)
	}
	if len(abs) > 0 {
		end(len(abs))
	}
}

// joins reports whether an absence starting on first continues a period recovered on recovered
// (zero: open).
func joins(recovered, first time.Time) bool {
	return recovered.IsZero() || daysBetween(recovered, first) < JoinDays
}

// laterRecovery returns the recovery date of a period with recovery date cur after an absence
// recovered on next joins it: zero (open) when either is open, else the later of the two.
func laterRecovery(cur, next time.Time) time.Time {
	if cur.IsZero() || next.IsZero() {
		return time.Time{}
	}
	if next.After(cur) {
		return next
	}
	return cur
}

// HistoryFrom returns the first day of the history window for a run with the given date-from:
// dateFrom − 1,095 days. Absences whose DatumHersteld is empty or on/after it are read to
// compute periods (see InHistory).
func HistoryFrom(dateFrom time.Time) time.Time {
	return AddDays(dateFrom, -HistoryDays)
}

// InHistory reports whether an absence recovered on recovered (zero = open) falls in the
// history window of a run with the given date-from.
func InHistory(recovered, dateFrom time.Time) bool {
	return recovered.IsZero() || !Day(recovered).Before(HistoryFrom(dateFrom))
}

// Day returns the calendar date of t (in t's own location) as midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// AddDays returns the calendar date of t plus n days (n may be negative), as midnight UTC.
func AddDays(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d+n, 0, 0, 0, 0, time.UTC)
}

// daysBetween returns to − from in calendar days.
func daysBetween(from, to time.Time) int {
	return int((Day(to).Unix() - Day(from).Unix()) / secondsPerDay)
}

const secondsPerDay = 86400 // 24 hours: exact, all dates are midnight UTC

// dayOrZero is Day for a set date and keeps the zero time (an empty date) zero.
func dayOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return Day(t)
}
