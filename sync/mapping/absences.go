package mapping

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// The rules of verzuim.csv. A run takes an absence in two steps: MapAbsence decides on the row
// (its log entries and counts) and gives the AbsenceRow a run holds on disk until the row's
// composite period is known; AbsenceRow.Record writes the record. Absence does both at once.

// Day is a calendar date as delivered, without a time or location; the zero Day is no date.
type Day struct {
	Y    int32
	M, D uint8
}

// DayOf is t's calendar date in its own location, the zero Day for the zero time.
func DayOf(t time.Time) Day {
	if t.IsZero() {
		return Day{}
	}
	y, m, d := t.Date()
	return Day{Y: int32(y), M: uint8(m), D: uint8(d)}
}

// Compare orders days by date, no date first: -1, 0 or +1 as d is before, on or after e.
func (d Day) Compare(e Day) int {
	if c := cmp.Compare(d.Y, e.Y); c != 0 {
		return c
	}
	if c := cmp.Compare(d.M, e.M); c != 0 {
		return c
	}
	return cmp.Compare(d.D, e.D)
}

// IsZero tells whether d is no date.
func (d Day) IsZero() bool { return d.M == 0 }

// Time is the day at midnight UTC, the zero time for no date.
func (d Day) Time() time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return time.Date(int(d.Y), time.Month(d.M), int(d.D), 0, 0, 0, 0, time.UTC)
}

// Append appends the day as delivered (YYYY-MM-DD), nothing for no date.
func (d Day) Append(b []byte) []byte {
	if d.IsZero() {
		return b
	}
	return appendYMD(b, int(d.Y), int(d.M), int(d.D))
}

// AbsenceRow is a delivered progress row of an absence as the rules decided it, before its
// record is written.
type AbsenceRow struct {
	Employer, Employee string // the holder: WerkgeverCode and Personeelsnummer as delivered
	VerzuimID          int64
	VerloopID          int64
	EersteDag          Day
	Ziekmelding        Day
	VerwachtHerstel    Day
	Herstel            Day
	VerloopDatum       Day
	Classification     string     // as delivered, e.g. "Ziek (AFAS)"
	Percentage         values.Dec // PercentageArbeidsongeschikt: 100 − the presence percentage
	Vangnet            bool
}

// Absence maps one Koppel_Verzuim row (after EmploymentsDone); ok is false when it is not
// delivered.
func (m *Mapper) Absence(ab Absence) (Record, bool) {
	r, ok := m.MapAbsence(ab)
	if !ok {
		return Record{}, false
	}
	return r.Record(&m.absBuf, [AbsencePeriodCols]string{}), true // the composite period: filled by the engine
}

// MapAbsence applies the rules of verzuim.csv to one Koppel_Verzuim row (after
// EmploymentsDone), logging and counting as Absence does; ok is false when it is not delivered.
func (m *Mapper) MapAbsence(ab Absence) (AbsenceRow, bool) {
	c, ok := m.CheckAbsence(ab)
	if !ok || !m.SettleAbsence(&c, m.AbsenceHolderProblem(c.Medewerker)) {
		return AbsenceRow{}, false
	}
	return c.Row, true
}

// AbsenceCheck is what the rules decide about an absence row before it is known whether its
// employee is delivered: a run reads the absences beside the employments and settles each row
// once the last employment is mapped. Its log lines wait in Logs, so that they come in the
// order of the rows and the rules when the row is settled.
type AbsenceCheck struct {
	// Row is the mapped row: its IDs always, the rest when no rule rejected it.
	Row        AbsenceRow
	Medewerker string
	Logs       []runlog.Log
	// Early: a rule before the employee's rejected the row; Late: a rule after it did.
	Early, Late bool
}

// CheckAbsence applies the rules of verzuim.csv to one Koppel_Verzuim row that do not depend on
// the employments (all of them outside flex mode, where the holder depends on every employee
// record: there it runs after EmploymentsDone). It counts the row and logs nothing; ok is false
// for a row that is not delivered and says nothing (recovered before date-from).
func (m *Mapper) CheckAbsence(ab Absence) (c AbsenceCheck, ok bool) {
	a := &ab
	m.counts[Absences].Fetched++
	if !a.Herstel.IsZero() && a.Herstel.Before(m.cfg.DateFrom) {
		return c, false
	}
	c.Row.VerzuimID, c.Row.VerloopID, c.Medewerker = a.VerzuimID, a.VerloopID, a.Medewerker
	hold := func(l runlog.Level, code string, args ...string) {
		c.Logs = append(c.Logs, runlog.Log{Level: l, Entity: Absences, Key: DisplayKey(absenceKey(a)), Code: code, Args: args})
	}
	if m.seenAbs.add2(a.VerzuimID, a.VerloopID) {
		hold(runlog.Uitval, "abs.duplicate")
		c.Early = true
		return c, true
	}
	if len(a.Errs) > 0 {
		for _, fe := range a.Errs {
			hold(runlog.Uitval, "field.invalid", fe.Field, fe.Err.Error())
		}
		c.Early = true
		return c, true
	}
	if a.Aanwezig.Null {
		hold(runlog.Uitval, "abs.percentage_missing")
		c.Late = true
		return c, true
	}
	hundred := values.DecFromInt(100)
	if a.Aanwezig.Dec < 0 || a.Aanwezig.Dec > hundred {
		hold(runlog.Uitval, "abs.percentage_range", a.Aanwezig.Dec.String())
		c.Late = true
		return c, true
	}
	for _, f := range a.Cleaned {
		hold(runlog.Melding, "field.cleaned", f)
	}
	cl, known := m.classify(a)
	if !known {
		hold(runlog.Waarschuwing, "abs.classification_unknown", a.Type, a.TypeOmschrijving)
	}
	hEmp, hPN := m.holderOf(*a)
	c.Row = AbsenceRow{Employer: hEmp, Employee: hPN, VerzuimID: a.VerzuimID, VerloopID: a.VerloopID,
		EersteDag: DayOf(a.EersteDag), Ziekmelding: DayOf(a.Ziekmelding), VerwachtHerstel: DayOf(a.VerwachtHerstel),
		Herstel: DayOf(a.Herstel), VerloopDatum: DayOf(a.VerloopDatum), Classification: cl,
		Percentage: hundred - a.Aanwezig.Dec, Vangnet: a.Vangnet}
	return c, true
}

// AbsencesWait tells whether CheckAbsence must wait for EmploymentsDone: in flex mode an
// absence's holder is its person, whose number depends on all of its employee records.
func (m *Mapper) AbsencesWait() bool { return m.flex != nil }

// SettleAbsence finishes a checked row (after EmploymentsDone): a row whose holder is not
// delivered (problem, AbsenceHolderProblem of its Medewerker, is not "") is Uitval, unless a rule
// before that one rejected it already, and the row's log lines are written, in the rules' order,
// and counted. It reports whether the row is delivered.
func (m *Mapper) SettleAbsence(c *AbsenceCheck, problem string) bool {
	rejected := c.Early
	if !c.Early {
		if problem != "" {
			m.reject(Absences, idsKey(c.Row.VerzuimID, c.Row.VerloopID), problem, m.employee(c.Medewerker))
			return false
		}
		rejected = c.Late
	}
	if m.logFn != nil {
		for _, l := range c.Logs {
			m.logFn(l)
		}
	}
	if rejected {
		m.counts[Absences].Rejected++
	}
	return !rejected
}

// AbsencesDone ends the absences: the keys seen are not needed once the last absence is read
// (MapAbsence after this is out of order; a fresh set keeps it working).
func (m *Mapper) AbsencesDone() { m.seenAbs = newKeySet() }

// absenceKey is an absence record's key: VerzuimId and VerloopId.
func absenceKey(a *Absence) string { return idsKey(a.VerzuimID, a.VerloopID) }

// idsKey is the key of an absence record of VerzuimId and VerloopId.
func idsKey(verzuim, verloop int64) string { return numKey(verzuim) + KeySep + numKey(verloop) }

// Record writes the record of a row with its composite period (ZiekteperiodeId,
// EersteDagZiekteperiode, EindeWachttijd). Its own text is built in *buf and made one string,
// whose substrings the values are.
func (r *AbsenceRow) Record(buf *[]byte, period [AbsencePeriodCols]string) Record {
	b := appendNumKey((*buf)[:0], r.VerzuimID)
	b = appendNumKey(append(b, KeySep...), r.VerloopID)
	var ends [8]int
	ends[0] = len(b)
	b = strconv.AppendInt(b, r.VerzuimID, 10)
	ends[1] = len(b)
	b = strconv.AppendInt(b, r.VerloopID, 10)
	ends[2] = len(b)
	for i, d := range [...]Day{r.EersteDag, r.Ziekmelding, r.VerwachtHerstel, r.Herstel, r.VerloopDatum} {
		b = d.Append(b)
		ends[3+i] = len(b)
	}
	b = appendDec(b, r.Percentage)
	*buf = b
	text := string(b)
	part := func(i int) string { return text[ends[i-1]:ends[i]] }
	vangnet := "Nee"
	if r.Vangnet {
		vangnet = "Ja"
	}
	return Record{Key: text[:ends[0]], Group: r.Employee, Values: []string{
		r.Employer, r.Employee, part(1), part(2), part(3), part(4), part(5), part(6),
		r.Classification, part(7), text[ends[7]:], vangnet, period[0], period[1], period[2],
	}}
}

// AbsenceInfo is what the composite-period rules need of one progress row.
type AbsenceInfo struct {
	Holder    string // WerkgeverCode and Personeelsnummer as delivered, joined by KeySep
	VerzuimID int64
	VerloopID int64
	FirstDay  time.Time
	Recovered time.Time
}

// Info is the period information of a delivered absence record.
func (m *Mapper) Info(a Absence) AbsenceInfo {
	hEmp, hPN := m.holderOf(a)
	return AbsenceInfo{Holder: hEmp + KeySep + hPN, VerzuimID: a.VerzuimID,
		VerloopID: a.VerloopID, FirstDay: a.EersteDag, Recovered: a.Herstel}
}

// History takes a progress row that recovered before date-from: it is never delivered, counted
// or logged, but it may begin a composite period that a delivered absence continues. ok is false
// when the row would be Uitval (or its employee is not delivered).
func (m *Mapper) History(a Absence) (AbsenceInfo, bool) {
	if !m.historyOK(&a) {
		return AbsenceInfo{}, false
	}
	return m.Info(a), true
}

func (m *Mapper) historyOK(a *Absence) bool {
	return m.historyRowOK(a) && m.Delivered(a.Medewerker)
}

// historyRowOK is historyOK but for the employee: what a history row must be itself.
func (m *Mapper) historyRowOK(a *Absence) bool {
	hundred := values.DecFromInt(100)
	return len(a.Errs) == 0 && !a.Aanwezig.Null && a.Aanwezig.Dec >= 0 && a.Aanwezig.Dec <= hundred
}

// CheckHistoryRow is History as an AbsenceRow (the holder, the IDs, EersteDag and Herstel set),
// but for the employee, whose being delivered the caller asks later (Delivered): a run reads the
// absences beside the employments.
func (m *Mapper) CheckHistoryRow(a Absence) (AbsenceRow, bool) {
	if !m.historyRowOK(&a) {
		return AbsenceRow{}, false
	}
	hEmp, hPN := m.holderOf(a)
	return AbsenceRow{Employer: hEmp, Employee: hPN, VerzuimID: a.VerzuimID, VerloopID: a.VerloopID,
		EersteDag: DayOf(a.EersteDag), Herstel: DayOf(a.Herstel)}, true
}

// classify returns the delivered classification and whether it was recognised.
func (m *Mapper) classify(a *Absence) (string, bool) {
	desc := strings.TrimSpace(a.TypeOmschrijving)
	for _, c := range classificationNames {
		if strings.EqualFold(c[:len(c)-len(afasSuffix)], desc) {
			return c, true
		}
	}
	if c, ok := m.classes[a.Type]; ok {
		return c, true
	}
	return "Onbekend" + afasSuffix, false
}

// afasSuffix marks a delivered classification as AFAS's.
const afasSuffix = " (AFAS)"

// classificationNames are AFAS's classifications as delivered.
var classificationNames = []string{"Arbeidsongeschikt door derde (AFAS)", "Bedrijfsongeval (AFAS)", "Ziek (AFAS)",
	"Ziek agv Zwangerschap of bevalling (AFAS)", "Vangnetindicatie (AFAS)", "Pleegzorg (AFAS)", "Onbekend (AFAS)", "Overig ongeval (AFAS)"}
