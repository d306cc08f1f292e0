package periods

import "time"

// Stable codes of the Gatekeeper Act milestones, for JSON output and translation keys.
const (
	CodeProblemAnalysis     = "week6"  // probleemanalyse
	CodePlanOfAction        = "week8"  // plan van aanpak
	CodeReportUWV           = "week42" // ziekmelding bij UWV
	CodeFirstYearEvaluation = "week52" // eerstejaarsevaluatie
	CodeEndOfWaiting        = "end"    // einde wachttijd (EindeWachttijd)
)

// Milestone is one Gatekeeper Act milestone of a period.
type Milestone struct {
	Code string    // one of the Code constants
	Week int       // 6, 8, 42, 52; 104 for the end of the waiting time
	Date time.Time // midnight UTC
	Past bool      // Date is before today
}

// WeekDate returns the date of the week-N milestone of period p: the last day of the holder's
// N-th week of sickness, counted from the period's first day with the gaps left out — the day
// by which the Gatekeeper Act's step "in week N" must be done. Without gaps that is the first
// day + 7·N − 1, the same count as EindeWachttijd (first day + 727 = 7·104 − 1, the last day of
// week 104), so WeekDate(p, 104) is p.EndOfWaiting whenever no gap lies after it. A gap whose
// first day well falls on or before the date so far moves it by the gap's days, so the date is
// the day of exactly the 7·N-th sick day. p.Gaps must be in date order, as Compute leaves them.
func WeekDate(p Period, week int) time.Time {
	d := AddDays(p.FirstDay, 7*week-1)
	for _, g := range p.Gaps {
		if !Day(g.From).After(d) {
			d = AddDays(d, g.Days())
		}
	}
	return d
}

// Milestones returns the milestones of period p in date order: week 6 (problem analysis),
// week 8 (plan of action), week 42 (report to UWV), week 52 (first-year evaluation), each by
// WeekDate, and the end of the waiting time (p.EndOfWaiting, week 104). A milestone is Past
// when its date is before today's calendar date; one that falls today is not past.
func Milestones(p Period, today time.Time) []Milestone {
	today = Day(today)
	ms := []Milestone{
		{Code: CodeProblemAnalysis, Week: 6},
		{Code: CodePlanOfAction, Week: 8},
		{Code: CodeReportUWV, Week: 42},
		{Code: CodeFirstYearEvaluation, Week: 52},
	}
	for i := range ms {
		ms[i].Date = WeekDate(p, ms[i].Week)
	}
	ms = append(ms, Milestone{Code: CodeEndOfWaiting, Week: 104, Date: Day(p.EndOfWaiting)})
	for i := range ms {
		ms[i].Past = ms[i].Date.Before(today)
	}
	return ms
}

// NextFirst returns the milestones in the order the Poortwachter view shows them: the ones
// that are not past, in their given order (so the next milestone first), then the past ones,
// in their given order. The input is not modified.
func NextFirst(ms []Milestone) []Milestone {
	out := make([]Milestone, 0, len(ms))
	for _, m := range ms {
		if !m.Past {
			out = append(out, m)
		}
	}
	for _, m := range ms {
		if m.Past {
			out = append(out, m)
		}
	}
	return out
}

// Next returns the first milestone that is not past, and false when all are past.
func Next(ms []Milestone) (Milestone, bool) {
	for _, m := range ms {
		if !m.Past {
			return m, true
		}
	}
	return Milestone{}, false
}
