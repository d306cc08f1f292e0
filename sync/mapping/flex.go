package mapping

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// The rules of flex mode (shared spec flex.md): a person is every employee record with the same
// non-empty Persoonsnummer, delivered once under the flex employer, with all the absences and
// placements of its records.

// Placement is a Koppel_Plaatsingen row.
type Placement struct {
	Plaatsing          int64
	Medewerker         string
	Client, ClientName string
	Begin, Einde       time.Time
	Functie            string
	Uren               values.Value
	Errs               []values.FieldError
	Cleaned            []string
}

// flexIndex holds, per person, what the rules need across a run: its records and its primary
// record so far. A few strings per person, never rows.
type flexIndex struct {
	persons      map[string]*flexPerson // by Persoonsnummer
	seenPlacings keySet
}

type flexPerson struct {
	records   []string  // Medewerker numbers, in the order read
	primary   string    // the record with the included employment that started last
	start     time.Time // that employment's start
	delivered bool      // with at least one included employment
}

func newFlexIndex() *flexIndex {
	return &flexIndex{persons: map[string]*flexPerson{}, seenPlacings: newKeySet()}
}

func (fx *flexIndex) add(persoonsnummer, medewerker string) {
	if persoonsnummer == "" {
		return
	}
	fp := fx.persons[persoonsnummer]
	if fp == nil {
		fp = &flexPerson{}
		fx.persons[persoonsnummer] = fp
	}
	fp.records = append(fp.records, medewerker)
}

func (m *Mapper) flexEmployer() string { return m.employer(m.cfg.FlexEmployer) }

// personOf returns the Persoonsnummer of an employee record ("" when unknown or empty) and its
// person.
func (m *Mapper) personOf(medewerker string) (string, *flexPerson) {
	e := m.person(medewerker)
	if e == nil {
		return "", nil
	}
	nr := e.persoonsnummer()
	return nr, m.flex.persons[nr]
}

func (m *Mapper) personDelivered(medewerker string) bool {
	_, fp := m.personOf(medewerker)
	return fp != nil && fp.delivered
}

// flexEmploymentKey is an employment's place in medewerkers.csv in flex mode: the person under
// the flex employer, Dienstverband = <Medewerker>-<Dienstverband> so it stays unique and stable.
// A record without a person number gets an empty Personeelsnummer (it is Uitval).
func (m *Mapper) flexEmploymentKey(d *Employment) (emp, pn, dv, key string) {
	nr, _ := m.personOf(d.Medewerker)
	emp, pn = m.flexEmployer(), m.employee(nr)
	dv = d.Medewerker + "-" + strconv.FormatInt(d.Dienstverband, 10)
	return emp, pn, dv, emp + KeySep + pn + KeySep + dv
}

// flexIncluded notes an included employment of a record: its person is delivered, and the
// record may be the primary one (the latest start; on a tie, the highest Medewerker number).
func (m *Mapper) flexIncluded(p *person, d *Employment) {
	fp := m.flex.persons[p.persoonsnummer()]
	if fp == nil {
		return
	}
	if !fp.delivered || d.Begin.After(fp.start) || d.Begin.Equal(fp.start) && compareNumbers(d.Medewerker, fp.primary) > 0 {
		fp.primary, fp.start = d.Medewerker, d.Begin
	}
	fp.delivered = true
}

// compareNumbers orders Medewerker numbers: numerically when both are numbers, else as text;
// equal numbers written differently ("007", "7") as text too, so that the primary record does
// not depend on the order the rows came in.
func compareNumbers(a, b string) int {
	x, errA := strconv.ParseInt(a, 10, 64)
	y, errB := strconv.ParseInt(b, 10, 64)
	if errA == nil && errB == nil {
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return strings.Compare(a, b)
}

// managerNumber is the delivered LeidinggevendePersoneelsnummer of a manager's Medewerker
// number; in flex mode that record's Persoonsnummer, or empty with a Waarschuwing when it has
// none.
func (m *Mapper) managerNumber(key, manager string) string {
	if m.flex == nil || manager == "" {
		return m.employee(manager)
	}
	nr, _ := m.personOf(manager)
	if nr == "" {
		m.logIf(runlog.Waarschuwing, Employments, key, "dv.flex_manager_no_person", manager)
	}
	return m.employee(nr)
}

// FillPerson gives an employment record (after EmploymentsDone) the person fields of its
// person's primary record, so every row of a person carries the same ones. Outside flex mode it
// does nothing.
func (m *Mapper) FillPerson(rec *Record) {
	if m.flex == nil || len(rec.Values) < 2+personFields {
		return
	}
	fp := m.flex.persons[rec.Values[2]]
	if fp == nil || fp.primary == "" {
		return
	}
	m.person(fp.primary).fieldsInto(rec.Values[2 : 2+personFields])
}

// NeedsFill tells whether employment records must wait for FillPerson (flex mode).
func (m *Mapper) NeedsFill() bool { return m.flex != nil }

// flexDisagreements warns, per delivered person, when its records disagree on a valid BSN or on
// the birth date. The message names the person, never the BSN.
func (m *Mapper) flexDisagreements() {
	if !m.cfg.Werknemer {
		return
	}
	for _, nr := range slices.Sorted(maps.Keys(m.flex.persons)) {
		fp := m.flex.persons[nr]
		if !fp.delivered || len(fp.records) < 2 {
			continue
		}
		bsns, births := map[string]bool{}, map[string]bool{}
		for _, rec := range fp.records {
			pf := m.person(rec).unpack()
			if pf[pBSN] != "" {
				bsns[pf[pBSN]] = true
			}
			if pf[pGeboortedatum] != "" {
				births[pf[pGeboortedatum]] = true
			}
		}
		if len(bsns) > 1 {
			m.log(runlog.Waarschuwing, Employees, m.employee(nr), "emp.flex_bsn_differs")
		}
		if len(births) > 1 {
			m.log(runlog.Waarschuwing, Employees, m.employee(nr), "emp.flex_birth_differs")
		}
	}
}

// holderOf is the WerkgeverCode and Personeelsnummer an absence is delivered under: its
// person's in flex mode, else its employee's.
func (m *Mapper) holderOf(a Absence) (string, string) {
	if m.flex != nil {
		nr, _ := m.personOf(a.Medewerker)
		return m.flexEmployer(), m.employee(nr)
	}
	return m.employer(a.Employer), m.employee(a.Medewerker)
}

// AbsenceHolderProblem is the Uitval code of an absence of medewerker whose holder is not
// delivered, or "" (after EmploymentsDone).
func (m *Mapper) AbsenceHolderProblem(medewerker string) string {
	if m.flex != nil {
		if e := m.person(medewerker); e != nil && e.persoonsnummer() == "" {
			return "abs.flex_no_person"
		}
	}
	if !m.Delivered(medewerker) {
		return "abs.employee_not_delivered"
	}
	return ""
}

// flexUsers are the manager accounts in flex mode: one per person with a record that qualifies,
// Afdelingen the union over its records, the person fields of its primary record.
func (m *Mapper) flexUsers(managed map[string][]string) []Record {
	byPerson := map[string][]string{}
	for nr, codes := range managed {
		if !m.Delivered(nr) {
			continue
		}
		pnr, _ := m.personOf(nr)
		byPerson[pnr] = append(byPerson[pnr], codes...)
	}
	m.counts[Users].Fetched = len(byPerson)
	logins := map[string]bool{}
	var recs []Record
	for _, pnr := range slices.Sorted(maps.Keys(byPerson)) {
		fp := m.flex.persons[pnr]
		if rec, ok := m.userRecord(logins, m.employee(pnr), m.person(fp.primary).unpack(), m.flexEmployer(), byPerson[pnr]); ok {
			recs = append(recs, rec)
		}
	}
	return recs
}

// Placement maps one Koppel_Plaatsingen row (after EmploymentsDone); ok is false when it is not
// delivered: ended before date-from, or Uitval.
func (m *Mapper) Placement(pl Placement) (Record, bool) {
	p := &pl
	m.counts[Placements].Fetched++
	key := numKey(p.Plaatsing)
	if !p.Einde.IsZero() && p.Einde.Before(m.cfg.DateFrom) {
		m.explain(Placements, key, "explain.plc_ended", dateText(p.Einde), dateText(m.cfg.DateFrom))
		return Record{}, false
	}
	if m.flex.seenPlacings.add(key) {
		m.reject(Placements, key, "plc.duplicate")
		return Record{}, false
	}
	if len(p.Errs) > 0 {
		m.rejectFields(Placements, key, p.Errs)
		return Record{}, false
	}
	if !p.Einde.IsZero() && p.Einde.Before(p.Begin) {
		m.reject(Placements, key, "plc.end_before_start", dateText(p.Einde), dateText(p.Begin))
		return Record{}, false
	}
	e := m.person(p.Medewerker)
	switch {
	case e == nil:
		m.reject(Placements, key, "plc.employee_missing", p.Medewerker)
		return Record{}, false
	case e.persoonsnummer() == "":
		m.reject(Placements, key, "plc.no_person", p.Medewerker)
		return Record{}, false
	case !m.Delivered(p.Medewerker):
		m.reject(Placements, key, "plc.person_not_delivered", m.employee(e.persoonsnummer()))
		return Record{}, false
	}
	m.cleaned(Placements, key, p.Cleaned)
	pn := m.employee(e.persoonsnummer())
	return Record{Key: key, Group: pn, Values: []string{
		m.flexEmployer(), pn, strconv.FormatInt(p.Plaatsing, 10), p.Client, p.ClientName,
		dateText(p.Begin), dateText(p.Einde), p.Functie, p.Uren.Text(),
	}}, true
}
