package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/periods"
	"github.com/koppel-nl/koppel/sync/values"
)

// DeliveredState is what the poortwachter view needs of the store: the last delivery and its
// state. The view never calls AFAS.
type DeliveredState interface {
	LastDelivery(name string) (*store.Run, error)
	EachState(name, entity string, fn func(key string, vals []string) error) error
}

// Poortwachter is the Gatekeeper Act view of a profile: per holder with a composite absence
// period open on AsOf, the period and its milestones, read from the last delivery's state.
type Poortwachter struct {
	Profile   string       `json:"profile"`
	AsOf      string       `json:"as_of"`
	Run       string       `json:"run,omitempty"`       // the last delivery the view is read from
	Delivered string       `json:"delivered,omitempty"` // when it finished, RFC 3339
	Absences  int          `json:"absences"`            // delivered absences (VerzuimIds) read
	Holders   int          `json:"holders"`             // holders they belong to
	Open      []OpenPeriod `json:"open_periods"`        // the most urgent next milestone first
}

// OpenPeriod is one holder's open composite period: in flex mode the holder is the person,
// otherwise the employee, both as delivered (WerkgeverCode and Personeelsnummer).
type OpenPeriod struct {
	Employer     string `json:"werkgever_code"`
	Employee     string `json:"personeelsnummer"`
	PeriodID     int64  `json:"ziekteperiode_id"`
	FirstDay     string `json:"eerste_dag_ziekteperiode"`
	EndOfWaiting string `json:"einde_wachttijd"`
	Absences     int    `json:"absences"`  // absences in the period, the history window's included
	GapDays      int    `json:"gap_days"`  // days well between its absences: they do not count
	SickDays     int    `json:"sick_days"` // days counted up to and including AsOf
	Week         int    `json:"week"`      // the week of sickness AsOf falls in (1 from the first day)
	// Estimated: the stored state lacks the history absences of a period that began before
	// date-from (a delivery by a koppel that did not store them), so its gaps are placed just
	// before the first delivered absence; milestones after that absence began are exact.
	Estimated  bool        `json:"estimated,omitempty"`
	Next       *Milestone  `json:"next"` // the first milestone not past; null when all are
	Milestones []Milestone `json:"milestones"`
}

// Milestone is one Gatekeeper Act milestone of an open period.
type Milestone struct {
	Code string `json:"code"` // week6, week8, week42, week52, end
	Week int    `json:"week"`
	Date string `json:"date"`
	Past bool   `json:"past"`
}

// progressEvery is how many stored records pass between calls of the progress callback.
const progressEvery = 2000

// ReadPoortwachter builds the view of profile name as of day asOf (its calendar date) from the
// last delivery's state. progress, when set, is called with the records read so far. A profile
// that never delivered gives an empty view.
func ReadPoortwachter(ctx context.Context, st DeliveredState, name string, asOf time.Time, progress func(read int)) (*Poortwachter, error) {
	asOf = periods.Day(asOf)
	v := &Poortwachter{Profile: name, AsOf: day(asOf), Open: []OpenPeriod{}}
	last, err := st.LastDelivery(name)
	if err != nil {
		return nil, fmt.Errorf("last delivery of %s: %w", name, err)
	}
	if last != nil {
		v.Run, v.Delivered = last.ID, last.Finished.UTC().Format(time.RFC3339)
	}
	read := 0
	tick := func() error {
		read++
		if read%progressEvery == 0 {
			if progress != nil {
				progress(read)
			}
			return ctx.Err()
		}
		return nil
	}
	holders := map[string]map[int64]*storedAbsence{}
	err = st.EachState(name, mapping.Absences, func(key string, vals []string) error {
		if err := tick(); err != nil {
			return err
		}
		return addStoredAbsence(holders, key, vals)
	})
	if err != nil {
		return nil, fmt.Errorf("stored absences of %s: %w", name, err)
	}
	for _, abs := range holders {
		v.Absences += len(abs)
	}
	v.Holders = len(holders)
	err = st.EachState(name, HistoryEntity, func(key string, vals []string) error {
		if err := tick(); err != nil {
			return err
		}
		return addHistoryAbsence(holders, key, vals)
	})
	if err != nil {
		return nil, fmt.Errorf("stored history absences of %s: %w", name, err)
	}
	if progress != nil {
		progress(read)
	}
	for holder, abs := range holders {
		if op, ok := openPeriod(holder, abs, asOf); ok {
			v.Open = append(v.Open, op)
		}
	}
	sortByUrgency(v.Open)
	return v, nil
}

// storedAbsence is one absence (VerzuimId) of the stored state: the dates of its progress row
// with the lowest VerloopId, and the period columns that were delivered with it.
type storedAbsence struct {
	verloop   int64
	first     time.Time
	recovered time.Time
	delivered bool // false: read for the history window only
	period    *storedPeriod
}

type storedPeriod struct {
	id       int64
	first    time.Time
	end      time.Time
	estimate bool
}

// Positions of the absence columns the view reads.
var (
	absCols   = mapping.Columns(mapping.Absences)
	colEmp    = slices.Index(absCols, "WerkgeverCode")
	colPN     = slices.Index(absCols, "Personeelsnummer")
	colID     = slices.Index(absCols, "VerzuimId")
	colLoop   = slices.Index(absCols, "VerloopId")
	colFirst  = slices.Index(absCols, "EersteVerzuimdag")
	colRecov  = slices.Index(absCols, "DatumHersteld")
	colPID    = slices.Index(absCols, "ZiekteperiodeId")
	colPFirst = slices.Index(absCols, "EersteDagZiekteperiode")
	colPEnd   = slices.Index(absCols, "EindeWachttijd")
)

// errStoredValue is a stored record koppel cannot read back: the store is damaged.
var errStoredValue = errors.New("unreadable stored value (koppel store check; restore a backup)")

func addStoredAbsence(holders map[string]map[int64]*storedAbsence, key string, vals []string) error {
	if len(vals) <= colRecov {
		return fmt.Errorf("absence %s: %d columns: %w", mapping.DisplayKey(key), len(vals), errStoredValue)
	}
	bad := func(col int) error {
		return fmt.Errorf("absence %s, %s %q: %w", mapping.DisplayKey(key), absCols[col], vals[col], errStoredValue)
	}
	id, err1 := strconv.ParseInt(vals[colID], 10, 64)
	loop, err2 := strconv.ParseInt(vals[colLoop], 10, 64)
	if err1 != nil {
		return bad(colID)
	}
	if err2 != nil {
		return bad(colLoop)
	}
	first, ok := parseDay(vals[colFirst])
	if !ok || first.IsZero() {
		return bad(colFirst)
	}
	recovered, ok := parseDay(vals[colRecov])
	if !ok {
		return bad(colRecov)
	}
	var sp *storedPeriod
	if len(vals) > colPEnd && vals[colPID] != "" {
		// A delivery before the composite columns existed has none: Compute decides alone.
		pid, err := strconv.ParseInt(vals[colPID], 10, 64)
		if err != nil {
			return bad(colPID)
		}
		pf, ok := parseDay(vals[colPFirst])
		if !ok || pf.IsZero() {
			return bad(colPFirst)
		}
		pe, ok := parseDay(vals[colPEnd])
		if !ok || pe.IsZero() {
			return bad(colPEnd)
		}
		sp = &storedPeriod{id: pid, first: pf, end: pe}
	}
	holder := vals[colEmp] + mapping.KeySep + vals[colPN]
	abs := holders[holder]
	if abs == nil {
		abs = map[int64]*storedAbsence{}
		holders[holder] = abs
	}
	if cur := abs[id]; cur == nil || loop < cur.verloop {
		abs[id] = &storedAbsence{verloop: loop, first: first, recovered: recovered, delivered: true, period: sp}
	}
	return nil
}

func addHistoryAbsence(holders map[string]map[int64]*storedAbsence, key string, vals []string) error {
	if len(vals) != histCols {
		return fmt.Errorf("history absence %s: %d columns: %w", mapping.DisplayKey(key), len(vals), errStoredValue)
	}
	id, err := strconv.ParseInt(vals[histID], 10, 64)
	first, ok1 := parseDay(vals[histFirst])
	recovered, ok2 := parseDay(vals[histRecovered])
	if err != nil || !ok1 || first.IsZero() || !ok2 {
		return fmt.Errorf("history absence %s: %w", mapping.DisplayKey(key), errStoredValue)
	}
	holder := vals[histEmployer] + mapping.KeySep + vals[histEmployee]
	abs := holders[holder]
	if abs == nil || abs[id] != nil {
		// Its holder has no delivered absence any more (the next run removes it), or it is
		// delivered now: the delivered row wins.
		return nil
	}
	abs[id] = &storedAbsence{first: first, recovered: recovered}
	return nil
}

func parseDay(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	t, err := values.ParseDay(s)
	return periods.Day(t), err == nil
}

// openPeriod returns the holder's period that is open on asOf: begun on or before it and not
// recovered by then (no recovery date, or one after asOf). A holder has at most one.
func openPeriod(holder string, abs map[int64]*storedAbsence, asOf time.Time) (OpenPeriod, bool) {
	list := make([]periods.Absence, 0, len(abs))
	for id, a := range abs {
		list = append(list, periods.Absence{ID: id, FirstDay: a.first, Recovered: a.recovered})
	}
	ps, _ := periods.Compute(list)
	var p *periods.Period
	for i := range ps {
		if !ps[i].FirstDay.After(asOf) && (ps[i].Open() || ps[i].Recovered.After(asOf)) {
			p = &ps[i]
		}
	}
	if p == nil {
		return OpenPeriod{}, false
	}
	estimated := reconcile(p, abs)
	employer, employee, _ := strings.Cut(holder, mapping.KeySep)
	op := OpenPeriod{Employer: employer, Employee: employee, PeriodID: p.ID, FirstDay: day(p.FirstDay),
		EndOfWaiting: day(p.EndOfWaiting), Absences: len(p.Absences), Estimated: estimated}
	for _, g := range p.Gaps {
		op.GapDays += g.Days()
	}
	op.SickDays = sickDays(*p, asOf)
	op.Week = (op.SickDays + 6) / 7
	for _, m := range periods.NextFirst(periods.Milestones(*p, asOf)) {
		op.Milestones = append(op.Milestones, Milestone{Code: m.Code, Week: m.Week, Date: day(m.Date), Past: m.Past})
	}
	if !op.Milestones[0].Past {
		next := op.Milestones[0]
		op.Next = &next
	}
	return op, true
}

// reconcile makes p the period that was delivered: the stored ZiekteperiodeId,
// EersteDagZiekteperiode and EindeWachttijd of its first delivered absence. They differ from
// what the stored absences give only when history absences are missing from the state; then
// the missing gap days (EindeWachttijd counts them all) are put just before that absence, the
// only place they can be (every later gap is between delivered absences). It reports whether
// it had to.
func reconcile(p *periods.Period, abs map[int64]*storedAbsence) bool {
	var first *storedAbsence
	for _, id := range p.Absences {
		if a := abs[id]; a.delivered && a.period != nil {
			first = a
			break
		}
	}
	if first == nil {
		return false // delivered before the period columns existed
	}
	sp := first.period
	if sp.id == p.ID && sp.first.Equal(p.FirstDay) && sp.end.Equal(p.EndOfWaiting) {
		return false
	}
	known := 0
	for _, g := range p.Gaps {
		known += g.Days()
	}
	total := int(sp.end.Sub(sp.first).Hours()/24+0.5) - periods.WaitingDays
	p.ID, p.FirstDay, p.EndOfWaiting = sp.id, sp.first, sp.end
	if missing := total - known; missing > 0 {
		at := periods.Day(first.first)
		p.Gaps = append([]periods.Gap{{From: periods.AddDays(at, -missing), To: at}}, p.Gaps...)
	}
	return true
}

// sickDays counts the days of period p from its first day up to and including asOf, without
// the days of its gaps.
func sickDays(p periods.Period, asOf time.Time) int {
	end := periods.AddDays(asOf, 1)
	n := daysBetween(p.FirstDay, end)
	for _, g := range p.Gaps {
		to := g.To
		if to.After(end) {
			to = end
		}
		if to.After(g.From) {
			n -= daysBetween(g.From, to)
		}
	}
	return max(n, 0)
}

func daysBetween(from, to time.Time) int {
	return int(periods.Day(to).Sub(periods.Day(from)).Hours()/24 + 0.5)
}

// sortByUrgency puts the most urgent next milestone first; periods with every milestone past
// (waiting time over, still open) come last, the longest over first; then by holder.
func sortByUrgency(ops []OpenPeriod) {
	slices.SortFunc(ops, func(a, b OpenPeriod) int {
		switch {
		case a.Next != nil && b.Next == nil:
			return -1
		case a.Next == nil && b.Next != nil:
			return 1
		case a.Next != nil:
			if c := cmp.Compare(a.Next.Date, b.Next.Date); c != 0 {
				return c
			}
		default:
			if c := cmp.Compare(a.EndOfWaiting, b.EndOfWaiting); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(a.Employer, b.Employer); c != 0 {
			return c
		}
		return cmp.Compare(a.Employee, b.Employee)
	})
}
