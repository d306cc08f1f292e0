// Package mapping applies the delivery rules of delivery.md: it turns the typed rows read from
// AFAS into the rows of Xpert Suite's import files, with a log entry for every record it cannot
// deliver as read. It does no I/O.
package mapping

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/documents"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Entities, as named in the run summary.
const (
	Departments = "departments"
	Employees   = "employees"
	Employments = "employments"
	Absences    = "absences"
	Users       = "users"
	Placements  = "placements" // flex mode only (flex.go)
	Documents   = documents.Entity
)

// Files maps the delivered entities to their files, in delivery order.
var files = []struct{ Entity, File string }{
	{Departments, "afdelingen.csv"},
	{Employments, "medewerkers.csv"},
	{Users, "gebruikers.csv"},
	{Absences, "verzuim.csv"},
	{Placements, "plaatsingen.csv"},
	{Documents, documents.File},
}

// FileOf returns the file an entity is delivered in.
func FileOf(entity string) string {
	for _, f := range files {
		if f.Entity == entity {
			return f.File
		}
	}
	return ""
}

// EntityOfFile returns the entity delivered in a file, named with or without ".csv".
func EntityOfFile(name string) (string, bool) {
	name = strings.TrimSuffix(name, ".csv")
	for _, f := range files {
		if strings.TrimSuffix(f.File, ".csv") == name {
			return f.Entity, true
		}
	}
	return "", false
}

// KeyColumns are the columns that identify an entity's row in its file.
func KeyColumns(entity string) []string {
	switch entity {
	case Departments:
		return []string{"WerkgeverCode", "AfdelingCode"}
	case Employments:
		return []string{"WerkgeverCode", "Personeelsnummer", "Dienstverband"}
	case Absences:
		return []string{"VerzuimId", "VerloopId"}
	case Users:
		return []string{"Inlognaam"}
	case Placements:
		return []string{"PlaatsingId"}
	case Documents:
		return documents.KeyColumns()
	}
	return nil
}

// KeyGroupParts is how many leading parts of an entity's key AFAS's order leaves out: its rows
// come in key order only among the keys that share those parts. AFAS sorts the employments on
// the employee, and their key starts with the employer (WerkgeverCode); the other entities come
// in the order of their keys.
func KeyGroupParts(entity string) int {
	if entity == Employments {
		return 1
	}
	return 0
}

// Columns returns the header of an entity's file (without the Mutatie column of mode mutaties).
func Columns(entity string) []string {
	switch entity {
	case Departments:
		return strings.Split("WerkgeverCode;AfdelingCode;Naam;BovenliggendeAfdelingCode;LeidinggevendePersoneelsnummer;Status", ";")
	case Employments:
		return slices.Clone(employmentColumns)
	case Absences:
		return strings.Split("WerkgeverCode;Personeelsnummer;VerzuimId;VerloopId;EersteVerzuimdag;DatumZiekmelding;VerwachteHersteldatum;DatumHersteld;Classificatie;VerloopDatum;PercentageArbeidsongeschikt;Vangnet;ZiekteperiodeId;EersteDagZiekteperiode;EindeWachttijd", ";")
	case Placements:
		return strings.Split("WerkgeverCode;Personeelsnummer;PlaatsingId;OpdrachtgeverCode;OpdrachtgeverNaam;Begindatum;Einddatum;Functie;UrenPerWeek", ";")
	case Documents:
		return documents.Columns()
	case Users:
		return strings.Split("Gebruikersgroep;Inlognaam;Personeelsnummer;Achternaam;Tussenvoegsels;Voorletters;Roepnaam;Geslacht;Emailadres;Telefoonnummer;WerkgeverCode;Afdelingen;Status", ";")
	}
	return nil
}

var employmentColumns = strings.Split("WerkgeverCode;Personeelsnummer;Persoonsnummer;BSN;Voorletters;Voornaam;Roepnaam;Tussenvoegsels;Achternaam;Geboortenaam;Geslacht;Geboortedatum;Emailadres;TelefoonWerk;MobielWerk;Dienstverband;DatumInDienst;DatumUitDienst;AfdelingCode;FunctieCode;Functie;UrenPerWeek;Parttimepercentage;SoortContract;LeidinggevendePersoneelsnummer;Salaris;SalarisSoort", ";")

// Column positions used outside this package.
const (
	// AbsencePeriodCols are the three composite-period columns at the end of verzuim.csv; the
	// engine fills them once all of a holder's absences are known.
	AbsencePeriodCols = 3
	UserStatusCol     = 12
	DeptStatusCol     = 5
	EmploymentPNCol   = 1
)

// Status values.
const (
	StatusActief        = "Actief"
	StatusGearchiveerd  = "Gearchiveerd"
	StatusGedeactiveerd = "Gedeactiveerd"
)

// Record is one row of a delivery file. Key identifies it (the file's key columns, joined);
// Group is the employee a row belongs to, for the employee counts.
type Record struct {
	Key    string
	Group  string
	Values []string
}

// KeySep joins key parts; it cannot occur in AFAS codes.
const KeySep = "\x1f"

// numKey writes a numeric key part so that keys sort in numeric order: '#' and 19 digits.
func numKey(n int64) string { return fmt.Sprintf("#%019d", n) }

// DisplayKey renders a record key for people: parts joined with '/', numbers without padding.
func DisplayKey(k string) string {
	parts := strings.Split(k, KeySep)
	for i, p := range parts {
		if strings.HasPrefix(p, "#") {
			if n, err := strconv.ParseInt(p[1:], 10, 64); err == nil {
				parts[i] = strconv.FormatInt(n, 10)
			}
		}
	}
	return strings.Join(parts, "/")
}

// Config is what the rules take from the profile.
type Config struct {
	DefaultEmployer string
	EmployerAffix   [2]string // prefix, suffix
	EmployeeAffix   [2]string
	DateFrom        time.Time
	Werknemer       bool
	Verzuim         bool
	Managers        bool
	UserGroup       string
	SalaryColumn    string
	SalaryKind      string // the delivered label, e.g. "Bruto maandloon"
	Classifications map[string]string
	// Explain adds a Metadata entry (code explain.*) at every decision that a run takes silently
	// — left out by date-from, which manager and by which rule — for koppel explain.
	Explain bool
	// Flex delivers every person (Persoonsnummer) once under FlexEmployer (flex.md; flex.go).
	Flex         bool
	FlexEmployer string
}

// Input is everything read from AFAS.
type Input struct {
	Units       []Unit
	Employees   []Employee
	Employments []Employment
	Absences    []Absence
	Placements  []Placement
}

// Add appends typed records of any connector to the input.
func (in *Input) Add(recs []any) {
	for _, rec := range recs {
		switch v := rec.(type) {
		case Unit:
			in.Units = append(in.Units, v)
		case Employee:
			in.Employees = append(in.Employees, v)
		case Employment:
			in.Employments = append(in.Employments, v)
		case Absence:
			in.Absences = append(in.Absences, v)
		case Placement:
			in.Placements = append(in.Placements, v)
		}
	}
}

// Counts are an entity's figures from the mapping.
type Counts struct {
	Fetched  int
	Rejected int
}

// Result is the mapped delivery.
type Result struct {
	Records map[string][]Record // by entity, sorted on key
	Counts  map[string]*Counts
	Logs    []runlog.Log
}

// Mapper applies the rules to rows as they stream in from AFAS, holding only the indexes the
// rules need across a run — the department tree, the employees (for their employments' person
// fields), which employees are delivered — never the delivered rows. Feed it in dependency
// order: Units, then every Employee, then Employments (EmploymentsDone after the last), then
// Users and Absences.
type Mapper struct {
	cfg    Config
	logFn  func(runlog.Log)
	counts map[string]*Counts

	ui          *unitInfo
	emps        map[string]int32 // by Medewerker: the employee's place in people
	ready       readyPerson
	people      people // what the other files need of an employee (persons.go)
	personBuf   []byte
	employers   []string // the employers of delivered employments, by employerID
	employerIDs map[string]uint32
	rowBuf      []byte // the text of an employment record being built
	absBuf      []byte // the text of an absence record being built (the absence stage runs alone)
	rejectedEmp map[string]bool
	classes     map[string]string // Config.Classifications as delivered
	seenDV      keySet
	seenAbs     keySet
	flex        *flexIndex // flex mode only
}

// keySet remembers keys by a 64-bit hash: a run sees hundreds of thousands of keys, and eight
// bytes each is what it can hold across a run. (Two keys colliding is a chance of about 1 in
// 10^8 at a million keys.)
type keySet struct {
	seed maphash.Seed
	m    map[uint64]struct{}
}

func newKeySet() keySet { return keySet{seed: maphash.MakeSeed(), m: map[uint64]struct{}{}} }

// Expect sizes the keys set of an entity (Employments, Absences) for about n more rows, when
// the run knows how many are coming (rows held back until their indexes were ready): the set
// is then not grown, and copied, row by row. It does nothing once rows are seen.
func (m *Mapper) Expect(entity string, n int) {
	switch {
	case n <= 0:
	case entity == Employments && len(m.seenDV.m) == 0:
		m.seenDV.m = make(map[uint64]struct{}, n)
	case entity == Absences && len(m.seenAbs.m) == 0:
		m.seenAbs.m = make(map[uint64]struct{}, n)
	}
}

// add adds a key and reports whether it was there already.
func (k keySet) add(key string) bool {
	h := maphash.String(k.seed, key)
	if _, ok := k.m[h]; ok {
		return true
	}
	k.m[h] = struct{}{}
	return false
}

// add2 adds a key of two numbers (an absence's VerzuimId and VerloopId) and reports whether it
// was there already; a set holds keys of one form only.
func (k keySet) add2(a, b int64) bool {
	var buf [16]byte
	binary.LittleEndian.PutUint64(buf[:8], uint64(a))
	binary.LittleEndian.PutUint64(buf[8:], uint64(b))
	h := maphash.Bytes(k.seed, buf[:])
	if _, ok := k.m[h]; ok {
		return true
	}
	k.m[h] = struct{}{}
	return false
}

// NewMapper starts a run's mapping; log receives every log entry.
func NewMapper(cfg Config, log func(runlog.Log)) *Mapper {
	m := &Mapper{
		cfg: cfg, logFn: log, counts: map[string]*Counts{},
		ui:      &unitInfo{byCode: map[string]*Unit{}, children: map[string][]string{}, rejected: map[string]bool{}},
		classes: map[string]string{}, emps: map[string]int32{}, employerIDs: map[string]uint32{}, rejectedEmp: map[string]bool{}, seenDV: newKeySet(), seenAbs: newKeySet(),
	}
	for code, c := range cfg.Classifications {
		m.classes[code] = c + afasSuffix
	}
	if cfg.Werknemer {
		for _, e := range []string{Departments, Employees, Employments} {
			m.counts[e] = &Counts{}
		}
		if cfg.Managers {
			m.counts[Users] = &Counts{}
		}
	}
	if cfg.Verzuim {
		m.counts[Absences] = &Counts{}
	}
	if cfg.Flex {
		m.flex = newFlexIndex()
		if cfg.Werknemer {
			m.counts[Placements] = &Counts{}
		}
	}
	return m
}

// Counts are the figures per entity so far: only the entities the run delivers.
func (m *Mapper) Counts() map[string]*Counts { return m.counts }

// Delivered tells whether an employee (Medewerker) is delivered with at least one employment;
// in flex mode, whether its person is.
func (m *Mapper) Delivered(medewerker string) bool {
	if m.flex != nil {
		return m.personDelivered(medewerker)
	}
	p := m.person(medewerker)
	return p != nil && p.delivered
}

func (m *Mapper) log(l runlog.Level, entity, key, code string, args ...string) {
	if m.logFn != nil {
		m.logFn(runlog.Log{Level: l, Entity: entity, Key: DisplayKey(key), Code: code, Args: args})
	}
}

func (m *Mapper) reject(entity, key, code string, args ...string) {
	m.log(runlog.Uitval, entity, key, code, args...)
	m.counts[entity].Rejected++
}

func (m *Mapper) employer(code string) string {
	return affix(m.cfg.EmployerAffix, code)
}

func (m *Mapper) employee(nr string) string { return affix(m.cfg.EmployeeAffix, nr) }

func affix(a [2]string, s string) string {
	if s == "" {
		return ""
	}
	return a[0] + s + a[1]
}

// cleaned logs the fields whose control characters (line breaks, tabs) were replaced by spaces
// while reading, so every CSV line stays one record.
func (m *Mapper) cleaned(entity, key string, fields []string) {
	for _, f := range fields {
		m.log(runlog.Melding, entity, key, "field.cleaned", f)
	}
}

// Map applies every rule to a whole input at once. Records come out sorted on their keys.
func Map(cfg Config, in Input) *Result {
	res := &Result{Records: map[string][]Record{}}
	m := NewMapper(cfg, func(l runlog.Log) { res.Logs = append(res.Logs, l) })
	depts := m.Units(in.Units)
	if cfg.Werknemer {
		res.Records[Departments] = depts
	}
	for _, e := range in.Employees {
		m.Employee(e)
	}
	m.Expect(Employments, len(in.Employments))
	m.Expect(Absences, len(in.Absences))
	var emps []Record
	for _, d := range in.Employments {
		if rec, ok := m.Employment(d); ok {
			emps = append(emps, rec)
		}
	}
	m.EmploymentsDone()
	for i := range emps {
		m.FillPerson(&emps[i])
	}
	if cfg.Werknemer {
		res.Records[Employments] = emps
		if cfg.Flex {
			var pls []Record
			for _, p := range in.Placements {
				if rec, ok := m.Placement(p); ok {
					pls = append(pls, rec)
				}
			}
			res.Records[Placements] = pls
		}
		if cfg.Managers {
			res.Records[Users] = m.Users()
		}
	}
	if cfg.Verzuim {
		var abs []Record
		for _, a := range in.Absences {
			if rec, ok := m.Absence(a); ok {
				abs = append(abs, rec)
			}
		}
		res.Records[Absences] = abs
	}
	for _, recs := range res.Records {
		sort.Slice(recs, func(i, j int) bool { return recs[i].Key < recs[j].Key })
	}
	res.Counts = m.Counts()
	return res
}

// unitInfo is the department tree as the rules need it.
type unitInfo struct {
	byCode   map[string]*Unit
	children map[string][]string
	rejected map[string]bool
}

// Units takes every department (a small table, read whole before anything that needs the tree)
// and returns their records when AFAS Werknemer runs.
func (m *Mapper) Units(in []Unit) []Record {
	ui := m.ui
	if m.cfg.Werknemer {
		m.counts[Departments].Fetched = len(in)
	}
	var order []*Unit
	for i := range in {
		u := &in[i]
		if _, dup := ui.byCode[u.Code]; dup {
			if m.cfg.Werknemer {
				m.reject(Departments, u.Code, "dept.duplicate")
			}
			continue
		}
		ui.byCode[u.Code] = u
		order = append(order, u)
	}
	for _, u := range order {
		if u.Parent != "" && u.Parent != u.Code {
			ui.children[u.Parent] = append(ui.children[u.Parent], u.Code)
		}
	}
	for _, u := range order {
		if onCycle(ui.byCode, u.Code) {
			ui.rejected[u.Code] = true
		}
	}
	if !m.cfg.Werknemer {
		return nil
	}
	var recs []Record
	for _, u := range order {
		emp := u.Employer
		if emp == "" {
			emp = m.cfg.DefaultEmployer
		}
		key := m.employer(emp) + KeySep + u.Code
		switch {
		case len(u.Errs) > 0:
			m.rejectFields(Departments, key, u.Errs)
			ui.rejected[u.Code] = true
			continue
		case u.Parent == u.Code:
			m.reject(Departments, key, "dept.self_parent", u.Code)
			continue
		case ui.rejected[u.Code]:
			m.reject(Departments, key, "dept.cycle", u.Code, cyclePath(ui.byCode, u.Code))
			continue
		}
		m.cleaned(Departments, key, u.Cleaned)
		parent := u.Parent
		if parent != "" && ui.byCode[parent] == nil {
			m.log(runlog.Waarschuwing, Departments, key, "dept.parent_missing", parent)
			parent = ""
		}
		status := StatusActief
		if u.Vervallen {
			status = StatusGearchiveerd
		}
		recs = append(recs, Record{Key: key, Values: []string{m.employer(emp), u.Code, u.Name, parent, m.employee(u.Manager), status}})
	}
	return recs
}

// onCycle reports whether following parents from code comes back to code.
func onCycle(units map[string]*Unit, code string) bool {
	seen := map[string]bool{}
	for cur := code; ; {
		u := units[cur]
		if u == nil || u.Parent == "" || seen[cur] {
			return false
		}
		seen[cur] = true
		if u.Parent == code {
			return true
		}
		cur = u.Parent
	}
}

func cyclePath(units map[string]*Unit, code string) string {
	path := []string{code}
	for cur := units[code].Parent; cur != code && len(path) < 20; cur = units[cur].Parent {
		path = append(path, cur)
	}
	return strings.Join(append(path, code), " → ")
}

func (m *Mapper) rejectFields(entity, key string, errs []values.FieldError) {
	for i, fe := range errs {
		if i == 0 {
			m.reject(entity, key, "field.invalid", fe.Field, fe.Err.Error())
		} else {
			m.log(runlog.Uitval, entity, key, "field.invalid", fe.Field, fe.Err.Error())
		}
	}
}

// Names applies the naming convention (Naamgebruik). fellBack is true when a partner's name was
// asked for but is empty, and own name was used.
func Names(naamgebruik int64, prefix, name, partnerPrefix, partnerName string) (tussen, achter string, fellBack bool) {
	join := func(p, n string) string {
		if p != "" {
			return p + " " + n
		}
		return n
	}
	if naamgebruik >= 1 && naamgebruik <= 3 && strings.TrimSpace(partnerName) == "" {
		return prefix, name, true
	}
	switch naamgebruik {
	case 1:
		return partnerPrefix, partnerName + "-" + join(prefix, name), false
	case 2:
		return partnerPrefix, partnerName, false
	case 3:
		return prefix, name + "-" + join(partnerPrefix, partnerName), false
	}
	return prefix, name, false
}

// Geslacht maps AFAS's gender code to Xpert Suite's word.
func Geslacht(code string) string {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case "M":
		return "Man"
	case "V":
		return "Vrouw"
	case "X":
		return "Non-binair"
	}
	return "Onbekend"
}

// MaskBSN shows a BSN as its last three digits only, for screens and explanations.
func MaskBSN(bsn string) string {
	if bsn == "" {
		return ""
	}
	if len(bsn) <= 3 {
		return "***"
	}
	return strings.Repeat("*", len(bsn)-3) + bsn[len(bsn)-3:]
}

// NormalizeBSN keeps the digits, restores a dropped leading zero and applies the eleven-test.
// ok is false for a number that is present but invalid; the returned value is then empty.
func NormalizeBSN(s string) (bsn string, ok bool) {
	d, n, ok := normalBSN(s)
	if n == 0 {
		return "", ok
	}
	return string(d[:]), true
}

// normalBSN is NormalizeBSN without an allocation: the nine digits in d when n is 9, n 0 for
// an empty or invalid number.
func normalBSN(s string) (d [9]byte, n int, ok bool) {
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if n < len(d) {
				d[n] = byte(r)
			}
			n++
		}
	}
	if n == 0 && strings.TrimSpace(s) == "" {
		return d, 0, true
	}
	if n == 8 {
		copy(d[1:], d[:8])
		d[0] = '0'
		n = 9
	}
	if n != 9 {
		return d, 0, false
	}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += (9 - i) * int(d[i]-'0')
	}
	sum -= int(d[8] - '0')
	if sum%11 != 0 || d == [9]byte{'0', '0', '0', '0', '0', '0', '0', '0', '0'} {
		return d, 0, false
	}
	return d, 9, true
}

func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

// Employee takes one Koppel_Medewerkers row into the index the employments need.
func (m *Mapper) Employee(e Employee) {
	if m.cfg.Werknemer {
		m.counts[Employees].Fetched++
	}
	if !m.addPerson(&e) {
		if m.cfg.Werknemer {
			m.reject(Employees, m.employee(e.Medewerker), "emp.duplicate") // counted like the log says
		}
		return
	}
	if m.flex != nil {
		p := m.people.last()
		m.flex.add(p.persoonsnummer(), p.medewerker())
	}
}

// Employment maps one Koppel_Dienstverbanden row; ok is false when it is not delivered (ended
// before date-from, or Uitval). In a verzuim-only run it is still decided — it tells which
// employees are delivered — but nothing is logged or counted.
func (m *Mapper) Employment(dv Employment) (Record, bool) {
	d := &dv
	entity := Employments
	ui := m.ui
	if m.cfg.Werknemer {
		m.counts[Employments].Fetched++
	}
	// The record's own text — the key with its parts, Dienstverband, dates, numbers — is built in
	// one buffer and made one string; the values are substrings of it.
	var emp, pn, dvText, key string
	b := m.rowBuf[:0]
	if m.flex != nil {
		emp, pn, dvText, key = m.flexEmploymentKey(d)
	} else {
		b = append(append(append(b, m.cfg.EmployerAffix[0]...), d.Employer...), m.cfg.EmployerAffix[1]...)
		if d.Employer == "" {
			b = b[:0]
		}
		nEmp := len(b)
		b = append(b, KeySep...)
		if d.Medewerker != "" {
			b = append(append(append(b, m.cfg.EmployeeAffix[0]...), d.Medewerker...), m.cfg.EmployeeAffix[1]...)
		}
		nPN := len(b)
		b = appendNumKey(append(b, KeySep...), d.Dienstverband)
		nKey := len(b)
		b = strconv.AppendInt(b, d.Dienstverband, 10)
		m.rowBuf = b
		text := string(b)
		emp, pn, key, dvText = text[:nEmp], text[nEmp+len(KeySep):nPN], text[:nKey], text[nKey:]
		b = b[:0]
	}
	if !d.Einde.IsZero() && d.Einde.Before(m.cfg.DateFrom) {
		if m.cfg.Explain {
			m.explain(entity, key, "explain.dv_ended", dateText(d.Einde), dateText(m.cfg.DateFrom))
		}
		return Record{}, false // ended before date-from
	}
	e := m.employmentPerson(d.Medewerker)
	if m.seenDV.add(key) {
		if m.cfg.Werknemer {
			m.reject(entity, key, "dv.duplicate")
		}
		m.rejectedEmp[d.Medewerker] = true
		return Record{}, false
	}
	code, args := employmentProblem(d, e, ui)
	if code == "" && m.flex != nil && e.persoonsnummer() == "" {
		code, args = "dv.flex_no_person", []string{d.Medewerker}
	}
	if code != "" {
		if m.cfg.Werknemer {
			if code == "field.invalid" {
				m.rejectFields(entity, key, fieldErrs(d, e))
			} else {
				m.reject(entity, key, code, args...)
			}
		}
		m.rejectedEmp[d.Medewerker] = true
		return Record{}, false
	}
	p := e
	m.report(p, d.Medewerker, entity)
	if m.cfg.Werknemer {
		m.cleaned(entity, key, d.Cleaned)
	}
	salary, kind := false, ""
	if m.cfg.SalaryColumn != "" {
		switch {
		case d.SalaryBad != "":
			m.logIf(runlog.Waarschuwing, entity, key, "dv.salary_invalid", m.cfg.SalaryColumn, d.SalaryBad)
		case d.Salary.Null:
		case d.Salary.Dec < 0:
			m.logIf(runlog.Waarschuwing, entity, key, "dv.salary_negative", m.cfg.SalaryColumn, d.Salary.Dec.String())
		default:
			salary, kind = true, m.cfg.SalaryKind
		}
	}
	manager, via := d.Manager, ""
	if manager == "" {
		manager, via = nearestManager(ui, d.Afdeling, d.Medewerker)
	}
	if m.cfg.Explain {
		switch {
		case d.Manager != "":
			m.explain(entity, key, "explain.manager_own", m.employee(manager))
		case manager == "":
			m.explain(entity, key, "explain.manager_none", d.Afdeling)
		case via == d.Afdeling:
			m.explain(entity, key, "explain.manager_dept", m.employee(manager), via)
		default:
			m.explain(entity, key, "explain.manager_parent", m.employee(manager), via, d.Afdeling)
		}
		m.explain(entity, key, "explain.dv_included", d.Afdeling)
	}
	// The dates and numbers, in one more string.
	b = appendDate(b, d.Begin)
	nBegin := len(b)
	b = appendDate(b, d.Einde)
	nEinde := len(b)
	b = appendValue(b, d.Uren)
	nUren := len(b)
	b = appendValue(b, d.Parttime)
	nPT := len(b)
	if salary {
		b = appendDec(b, d.Salary.Dec)
	}
	m.rowBuf = b
	text := string(b)
	vals := make([]string, len(employmentColumns))
	vals[0], vals[1] = emp, pn
	p.fieldsInto(vals[2 : 2+personFields])
	copy(vals[2+personFields:], []string{dvText, text[:nBegin], text[nBegin:nEinde], d.Afdeling,
		d.FunctieCode, d.Functie, text[nEinde:nUren], text[nUren:nPT], d.TypeContract, m.managerNumber(key, manager),
		text[nPT:], kind})
	rec := Record{Key: key, Group: pn, Values: vals}
	if m.flex != nil {
		m.flexIncluded(p, d)
	}
	if start := d.Begin.Unix(); !p.delivered || start > p.latestStart {
		p.employer, p.latestStart = m.employerID(emp), start
	}
	p.delivered = true
	return rec, true
}

// EmploymentsDone ends the employments: an employee whose every employment was Uitval counts as
// a rejected employee.
func (m *Mapper) EmploymentsDone() {
	// The employment keys are not needed once the last employment is read: the rest of a run
	// holds less (Employment after this is out of order; a fresh set keeps it working).
	m.seenDV = newKeySet()
	if !m.cfg.Werknemer {
		return
	}
	// Every employee counted as rejected has its line, so the counts equal the log.
	for _, nr := range slices.Sorted(maps.Keys(m.rejectedEmp)) {
		if p := m.person(nr); p == nil || !p.delivered {
			m.reject(Employees, m.employee(nr), "emp.no_employment")
		}
	}
	if m.flex != nil {
		m.flexDisagreements()
	}
}

// employmentProblem returns the Uitval code of an employment that cannot be delivered, or "".
func employmentProblem(d *Employment, e *person, ui *unitInfo) (string, []string) {
	switch {
	case len(d.Errs) > 0 || e != nil && len(e.errs()) > 0:
		return "field.invalid", nil
	case e == nil:
		return "dv.employee_missing", []string{d.Medewerker}
	case !d.Einde.IsZero() && d.Einde.Before(d.Begin):
		return "dv.end_before_start", []string{dateText(d.Einde), dateText(d.Begin)}
	case ui.byCode[d.Afdeling] == nil:
		return "dv.dept_missing", []string{d.Afdeling}
	}
	return "", nil
}

// fieldErrs are the values of an employment and its employee that AFAS sent in a wrong form.
func fieldErrs(d *Employment, e *person) []values.FieldError {
	errs := d.Errs
	if e != nil {
		errs = append(append([]values.FieldError(nil), errs...), e.errs()...)
	}
	return errs
}

// logIf logs only when the werknemer coupling runs: a verzuim-only run reads employees to check
// absences but does not report on them.
func (m *Mapper) logIf(l runlog.Level, entity, key, code string, args ...string) {
	if m.cfg.Werknemer {
		m.log(l, entity, key, code, args...)
	}
}

// nearestManager walks from a department up through its parents to the first manager that is set
// and is not the employee.
// It also returns the department whose manager it is.
func nearestManager(ui *unitInfo, dept, self string) (manager, of string) {
	// A walk up the tree visits each unit once; one longer has met a cycle (no map of the units
	// seen: this runs for every employment row).
	cur := dept
	for range len(ui.byCode) {
		if cur == "" {
			break
		}
		u := ui.byCode[cur]
		if u == nil {
			return "", ""
		}
		if u.Manager != "" && u.Manager != self {
			return u.Manager, cur
		}
		cur = u.Parent
	}
	return "", ""
}

// explain notes a decision for koppel explain; runs do not see it.
func (m *Mapper) explain(entity, key, code string, args ...string) {
	if m.cfg.Explain {
		m.log(runlog.Metadata, entity, key, code, args...)
	}
}

// IsHistory tells whether a progress row only serves the composite periods: recovered before
// date-from.
func (m *Mapper) IsHistory(a Absence) bool {
	h := !a.Herstel.IsZero() && a.Herstel.Before(m.cfg.DateFrom)
	if h && m.cfg.Explain { // the key and dates only when they are written
		m.explain(Absences, absenceKey(&a), "explain.abs_history", dateText(a.Herstel), dateText(m.cfg.DateFrom))
	}
	return h
}

// Users returns the manager accounts (after EmploymentsDone), sorted on Inlognaam.
func (m *Mapper) Users() []Record {
	ui := m.ui
	managed := map[string][]string{}
	for code, u := range ui.byCode {
		if u.Manager != "" && !u.Vervallen && !ui.rejected[code] {
			managed[u.Manager] = append(managed[u.Manager], code)
		}
	}
	if m.flex != nil {
		return m.flexUsers(managed)
	}
	var nrs []string
	for nr := range managed {
		if m.Delivered(nr) {
			nrs = append(nrs, nr)
		}
	}
	sort.Strings(nrs)
	m.counts[Users].Fetched = len(nrs)
	logins := map[string]bool{}
	var recs []Record
	for _, nr := range nrs {
		de := m.person(nr)
		if rec, ok := m.userRecord(logins, m.employee(nr), de.unpack(), m.deliveredEmployer(de), managed[nr]); ok {
			recs = append(recs, rec)
		}
	}
	return recs
}

// userRecord builds one manager account from its person fields and the departments it manages;
// ok is false when it is Uitval.
func (m *Mapper) userRecord(logins map[string]bool, pn string, pf []string, employer string, managed []string) (Record, bool) {
	login := strings.ToLower(strings.TrimSpace(pf[pEmail]))
	switch {
	case login == "":
		m.reject(Users, pn, "user.login_missing")
		return Record{}, false
	case len([]rune(login)) > 32:
		m.reject(Users, pn, "user.login_too_long", strconv.Itoa(len([]rune(login))))
		return Record{}, false
	case logins[login]:
		m.reject(Users, pn, "user.login_duplicate", login)
		return Record{}, false
	}
	logins[login] = true
	depts := map[string]bool{}
	for _, code := range managed {
		descendants(m.ui, code, depts)
	}
	var codes []string
	for c := range depts {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	phone := pf[pTelefoon]
	if phone == "" {
		phone = pf[pMobiel]
	}
	return Record{Key: login, Group: pn, Values: []string{
		m.cfg.UserGroup, login, pn, pf[pAchter], pf[pTussen], pf[pVoorletters], pf[pRoepnaam],
		pf[pGeslacht], pf[pEmail], phone, employer, strings.Join(codes, ","), StatusActief,
	}}, true
}

// descendants adds code and every non-Vervallen unit below it.
func descendants(ui *unitInfo, code string, out map[string]bool) {
	stack := []string{code}
	visited := map[string]bool{}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[cur] {
			continue
		}
		visited[cur] = true
		if u := ui.byCode[cur]; u != nil && !u.Vervallen && !ui.rejected[cur] {
			out[cur] = true
		}
		stack = append(stack, ui.children[cur]...)
	}
}
