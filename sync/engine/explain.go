package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Explanation is one employee from AFAS rows to the lines a run would deliver now, decided by the
// same rules a run applies, against the last delivery. Nothing is delivered or stored to make it.
type Explanation struct {
	Profile    string          `json:"profile"`
	Medewerker string          `json:"medewerker"`
	Day        string          `json:"day"`       // the day the rules are evaluated as on, YYYY-MM-DD
	Read       []ReadRows      `json:"read"`      // the AFAS rows read, per connector
	Decisions  []runlog.Log    `json:"decisions"` // every decision about them, in order
	Files      []FileLines     `json:"files"`     // what a run would deliver now, per file
	Changes    []ExplainChange `json:"changes"`   // against the last delivery

	noted map[int64]bool // the absences (VerzuimId) whose day is noted
}

// ReadRows are the whitelisted fields of the rows read from one connector; a BSN is masked.
type ReadRows struct {
	Connector string              `json:"connector"`
	Rows      []map[string]string `json:"rows"`
}

// FileLines are a file's header and the employee's lines in it, exactly as a run would write
// them (only the BSN masked).
type FileLines struct {
	File   string     `json:"file"`
	Header []string   `json:"header"`
	Lines  [][]string `json:"lines"`
}

// ExplainChange is what a run would change for one record.
type ExplainChange struct {
	Entity string        `json:"entity"`
	Key    string        `json:"key"`
	Kind   string        `json:"kind"` // Nieuw, Gewijzigd, Ongewijzigd, Verwijderd, Gedeactiveerd
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one column before and after.
type FieldChange struct {
	Column string `json:"column"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Change kinds only explain uses.
const (
	Ongewijzigd   = "Ongewijzigd"
	Gedeactiveerd = "Gedeactiveerd"
)

// Explain explains one employee (Medewerker). It reads from AFAS only what that employee needs —
// their rows of the employee, employment and absence connectors (a filter on the employee) and
// the department tree — and applies the run's rules to them, as on opts.Day (zero: today by
// opts.Now). An unknown employee is an *UnknownEmployeeError, which is also a *UsageError.
func (e *Engine) Explain(ctx context.Context, name, medewerker string, opts Options) (*Explanation, error) {
	return e.ExplainEvents(ctx, name, medewerker, opts, nil)
}

// ExplainEvents is Explain reporting its reads as "progress" events (per page, and Done when a
// connector is read), so a screen can show how far it got.
func (e *Engine) ExplainEvents(ctx context.Context, name, medewerker string, opts Options, emit func(Event)) (*Explanation, error) {
	if emit == nil {
		emit = func(Event) {}
	}
	p, err := e.Store.Profile(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &UsageError{Code: "run.unknown_profile", Args: []string{name}}
		}
		return nil, err
	}
	if p.Draft {
		return nil, &UsageError{Code: "run.draft", Args: []string{name}}
	}
	dateFrom, err := values.ParseDay(p.DateFrom)
	if err != nil {
		return nil, fmt.Errorf("date_from: %w", err)
	}
	client, err := afas.New(afas.Config{URL: p.URL(), Token: p.Account.Token, RequestTimeout: opts.RequestTimeout,
		MaxRetryTime: opts.MaxRetryTime, RetryBase: opts.RetryBase, HTTPClient: opts.HTTPClient})
	if err != nil {
		return nil, err
	}
	day := explainDay(opts)
	sel := p.Selection(p.Enabled())
	x := &Explanation{Profile: name, Medewerker: medewerker, Day: dateText(day)}
	cfg := mappingConfig(p, sel, dateFrom)
	cfg.Explain = true
	m := mapping.NewMapper(cfg, func(l runlog.Log) { x.Decisions = append(x.Decisions, l) })

	// Read: the whole department tree, the employee's own rows elsewhere.
	salary := p.SalaryColumn()
	byRole := map[string][]any{}
	scope, persoonsnummer := []string{medewerker}, "" // the records read; in flex mode the person's
	for _, con := range connectors.Needed(sel) {
		q := afas.Query{Connector: p.ConnectorID(con.Role), Fields: con.Whitelist(salary), Sort: con.Sort, Rename: p.FieldRenames(con.Role)}
		if con.DateFilter != "" {
			q.Filters = afas.OnOrAfterOrEmpty(con.DateFilter, dateFrom.AddDate(0, 0, -con.HistoryDays).Format("2006-01-02"))
		}
		if con.TypeFilter != "" {
			q.Filters = afas.AnyOf(con.TypeFilter, p.Couplings.Documenten.Types) // other types are never requested
		}
		if con.Role != connectors.Organisatie && !(sel.Flex && con.Role == connectors.Medewerkers) {
			// In flex mode the person's records are found first (all employees are read), then
			// every other connector asks for all of them.
			q.Filters = forRecords(q.Filters, scope)
		}
		rr := ReadRows{Connector: q.Connector}
		q.Progress = progressOf(emit, q.Connector, false)
		decode := con.Decoder(salary)
		st, err := client.Read(ctx, q, func(r afas.Row) error {
			byRole[con.Role] = append(byRole[con.Role], decode(r))
			if con.Role != connectors.Organisatie {
				rr.Rows = append(rr.Rows, shownRow(r))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		progressOf(emit, q.Connector, true)(st)
		if con.Role != connectors.Organisatie {
			x.Read = append(x.Read, rr)
		}
		if con.Role == connectors.Medewerkers && sel.Flex {
			scope, persoonsnummer = personRecords(byRole[connectors.Medewerkers], medewerker)
			// Shown: the person's records only, of all employees read.
			x.Read[len(x.Read)-1].Rows = slices.DeleteFunc(rr.Rows, func(row map[string]string) bool {
				return !slices.Contains(scope, row[connectors.FMedewerker])
			})
		}
	}
	if len(byRole[connectors.Medewerkers]) == 0 || sel.Flex && !slices.ContainsFunc(byRole[connectors.Medewerkers], func(v any) bool { return slices.Contains(scope, recordOf[mapping.Employee](v).Medewerker) }) {
		return nil, unknownEmployee(ctx, client, p, medewerker, emit)
	}

	// The rules, in the run's order.
	var units []mapping.Unit
	for _, u := range byRole[connectors.Organisatie] {
		units = append(units, u.(mapping.Unit))
	}
	m.Units(units)
	x.Decisions = nil // the tree's own findings are not about this employee
	for _, v := range byRole[connectors.Medewerkers] {
		m.Employee(recordOf[mapping.Employee](v))
	}
	recs := map[string][]mapping.Record{}
	for _, v := range byRole[connectors.Dienstverbanden] {
		if rec, ok := m.Employment(recordOf[mapping.Employment](v)); ok {
			recs[mapping.Employments] = append(recs[mapping.Employments], rec)
			x.employmentOnDay(rec.Key, recordOf[mapping.Employment](v), day, dateFrom)
		}
	}
	m.EmploymentsDone()
	for i := range recs[mapping.Employments] {
		m.FillPerson(&recs[mapping.Employments][i])
	}
	if sel.Werknemer && p.Couplings.Werknemer.Managers {
		recs[mapping.Users] = m.Users()
		x.accountNote(units, medewerker, m.Delivered(medewerker), recs[mapping.Users])
	}
	if sel.Verzuim {
		idx := newPeriodIndex()
		type pending struct {
			rec  mapping.Record
			info mapping.AbsenceInfo
		}
		var abs []pending
		for _, v := range byRole[connectors.Verzuim] {
			a := recordOf[mapping.Absence](v)
			if m.IsHistory(a) {
				if info, ok := m.History(a); ok {
					idx.add(info)
				}
				continue
			}
			if rec, ok := m.Absence(a); ok {
				info := m.Info(a)
				idx.add(info)
				abs = append(abs, pending{rec, info})
				x.absenceOnDay(rec.Key, a, day)
			}
		}
		x.periodsOnDay(idx, day)
		cols := idx.compute(nil)
		for _, a := range abs {
			cols.fill(&a.rec, a.info)
			recs[mapping.Absences] = append(recs[mapping.Absences], a.rec)
		}
	}

	// Against the last delivery.
	held, err := e.Store.Hold(name)
	if err != nil {
		return nil, err
	}
	defer held.Close()
	pn := explainedNumber(p, medewerker, persoonsnummer)
	if sel.Werknemer && sel.Flex {
		recs[mapping.Placements] = explainPlacements(m, byRole[connectors.Plaatsingen])
	}
	for _, ent := range []string{mapping.Employments, mapping.Users, mapping.Absences, mapping.Placements} {
		if !slices.Contains(deliveredEntities(p, sel), ent) {
			continue
		}
		lines, err := x.compare(held, p, ent, pn, recs[ent])
		if err != nil {
			return nil, err
		}
		x.Files = append(x.Files, lines)
	}
	return x, nil
}

// deliveredEntities are the files a run of these couplings writes about employees.
func deliveredEntities(p *profile.Profile, sel connectors.Selection) []string {
	var out []string
	if sel.Werknemer {
		out = append(out, mapping.Employments)
		if p.Couplings.Werknemer.Managers {
			out = append(out, mapping.Users)
		}
	}
	if sel.Verzuim {
		out = append(out, mapping.Absences)
	}
	if sel.Werknemer && sel.Flex {
		out = append(out, mapping.Placements)
	}
	return out
}

// groupCol is the column that names the employee in each file.
func groupCol(ent string) int {
	if ent == mapping.Users {
		return 2 // Personeelsnummer
	}
	return mapping.EmploymentPNCol
}

// compare classifies the employee's records of one entity against the stored state and returns
// the lines a run would write for them.
func (x *Explanation) compare(held Session, p *profile.Profile, ent, pn string, recs []mapping.Record) (FileLines, error) {
	layout, problems := p.Delivery.Layout(ent)
	if len(problems) > 0 {
		return FileLines{}, fmt.Errorf("delivery.columns of %s: %v", mapping.FileOf(ent), problems)
	}
	std := mapping.Columns(ent)
	mutaties := mutationFile(p, ent)
	mutCol := p.Delivery.MutationHeader()
	fl := FileLines{File: mapping.FileOf(ent), Header: layout.Header()}
	if mutaties && mutCol != "" {
		fl.Header = append([]string{mutCol}, fl.Header...)
	}
	type line struct {
		key  string
		kind string
		vals []string
	}
	var lines []line
	seen := map[string]bool{}
	for _, rec := range recs {
		seen[rec.Key] = true
		old, ok, err := held.Get(ent, rec.Key)
		if err != nil {
			return fl, err
		}
		c := ExplainChange{Entity: ent, Key: mapping.DisplayKey(rec.Key)}
		switch {
		case !ok:
			c.Kind = Nieuw
		case slices.Equal(old, rec.Values):
			c.Kind = Ongewijzigd
		default:
			c.Kind = Gewijzigd
			for i := range rec.Values {
				before := ""
				if i < len(old) {
					before = old[i]
				}
				if before != rec.Values[i] {
					c.Fields = append(c.Fields, FieldChange{Column: std[i], Before: maskIf(std[i], before), After: maskIf(std[i], rec.Values[i])})
				}
			}
		}
		x.Changes = append(x.Changes, c)
		kind := c.Kind
		if kind == Ongewijzigd {
			kind = ""
		}
		lines = append(lines, line{rec.Key, kind, rec.Values})
	}
	// What was delivered for this employee that AFAS no longer yields.
	err := held.EachState(ent, func(key string, old []string) error {
		if seen[key] || len(old) <= groupCol(ent) || old[groupCol(ent)] != pn {
			return nil
		}
		c := ExplainChange{Entity: ent, Key: mapping.DisplayKey(key), Kind: Verwijderd}
		vals, kind := old, Verwijderd
		if ent == mapping.Users {
			if old[mapping.UserStatusCol] == mapping.StatusGedeactiveerd {
				c.Kind, kind = Ongewijzigd, ""
			} else {
				vals = slices.Clone(old)
				vals[mapping.UserStatusCol] = mapping.StatusGedeactiveerd
				c.Kind, kind = Gedeactiveerd, Gewijzigd
			}
		}
		x.Changes = append(x.Changes, c)
		lines = append(lines, line{key, kind, vals})
		return nil
	})
	if err != nil {
		return fl, err
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].key < lines[j].key })
	bsn := layout.Index(slices.Index(std, "BSN"))
	for _, l := range lines {
		switch {
		case mutaties && l.kind == "":
			continue
		case mutaties && l.kind == Verwijderd && mutCol == "":
			continue
		case !mutaties && l.kind == Verwijderd:
			continue
		}
		row := layout.Row(l.vals, nil)
		if bsn >= 0 {
			row[bsn] = mapping.MaskBSN(row[bsn])
		}
		if mutaties && mutCol != "" {
			row = append([]string{l.kind}, row...)
		}
		fl.Lines = append(fl.Lines, row)
	}
	return fl, nil
}

func maskIf(col, v string) string {
	if col == "BSN" {
		return mapping.MaskBSN(v)
	}
	return v
}

// shownRow is a read row as explain shows it: the whitelisted fields, the BSN masked.
func shownRow(r afas.Row) map[string]string {
	out := make(map[string]string, r.Len())
	for f, v := range r.All() {
		out[f] = v.Text()
	}
	if b, ok := out[connectors.FBSN]; ok {
		out[connectors.FBSN] = mapping.MaskBSN(b)
	}
	return out
}

// and adds a condition to every Filter element (AFAS ORs the elements, ANDs inside one).
func and(fs []afas.Filter, c afas.Cond) []afas.Filter {
	if len(fs) == 0 {
		return []afas.Filter{{c}}
	}
	out := make([]afas.Filter, len(fs))
	for i, f := range fs {
		out[i] = append(slices.Clone(f), c)
	}
	return out
}

// unknownEmployee is the error for an employee AFAS does not have: it names the employees whose
// name holds what was asked (every word of it), else the closest employee numbers. It reads
// only numbers and names, never a BSN.
func unknownEmployee(ctx context.Context, client *afas.Client, p *profile.Profile, asked string, emit func(Event)) error {
	con, _ := connectors.ByRole(connectors.Medewerkers)
	nameFields := []string{connectors.FRoepnaam, connectors.FVoornaam, connectors.FVoorvoegsel, connectors.FGeboortenaam, connectors.FVoorvoegselPart, connectors.FGeboortenaamPar}
	fields := afas.Fields{connectors.FMedewerker: afas.String}
	for _, f := range nameFields {
		fields[f] = afas.String
	}
	type cand struct {
		EmployeeMatch
		score int
	}
	var byName, byNumber []cand
	words := strings.Fields(strings.ToLower(asked))
	q := afas.Query{Connector: p.ConnectorID(con.Role), Fields: fields, Sort: con.Sort, Rename: p.FieldRenames(con.Role)}
	q.Progress = progressOf(emit, q.Connector, false)
	st, err := client.Read(ctx, q, func(r afas.Row) error {
		nr := r.Get(connectors.FMedewerker, afas.String).Str
		var parts []string
		for _, f := range nameFields {
			if v := strings.TrimSpace(r.Get(f, afas.String).Str); v != "" {
				parts = append(parts, v)
			}
		}
		c := cand{EmployeeMatch{Medewerker: nr, Name: displayName(r)}, 0}
		full := strings.ToLower(strings.Join(parts, " "))
		if len(words) > 0 && !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(full, w) }) {
			byName = append(byName, c)
		}
		if score, ok := closeness(nr, asked); ok {
			c.score = score
			byNumber = append(byNumber, c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	progressOf(emit, q.Connector, true)(st)
	ue := &UnknownEmployeeError{Asked: asked}
	cands := byName
	if len(byName) > 0 {
		ue.ByName = true
	} else {
		sort.SliceStable(byNumber, func(i, j int) bool { return byNumber[i].score > byNumber[j].score })
		cands = byNumber
	}
	ue.More = max(0, len(cands)-maxMatches)
	for _, c := range cands[:min(maxMatches, len(cands))] {
		ue.Matches = append(ue.Matches, c.EmployeeMatch)
	}
	return ue
}

// maxMatches is how many employees a hint names.
const maxMatches = 10

// displayName is an employee's name as a hint shows it: first name, prefix, birth name.
func displayName(r afas.Row) string {
	first := r.Get(connectors.FRoepnaam, afas.String).Str
	if first == "" {
		first = r.Get(connectors.FVoornaam, afas.String).Str
	}
	var parts []string
	for _, v := range []string{first, r.Get(connectors.FVoorvoegsel, afas.String).Str, r.Get(connectors.FGeboortenaam, afas.String).Str} {
		if v = strings.TrimSpace(v); v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " ")
}

// UnknownEmployeeError is an employee AFAS does not have. It is a usage error (exit 2): errors.As
// finds a *UsageError in it, with the hint as its text. Matches are the employees meant, maybe:
// by name when ByName, else the closest numbers; More counts those left out.
type UnknownEmployeeError struct {
	Asked   string
	ByName  bool
	Matches []EmployeeMatch
	More    int
}

// EmployeeMatch is an employee a hint names: number and name (never a BSN).
type EmployeeMatch struct {
	Medewerker string `json:"medewerker"`
	Name       string `json:"name"`
}

func (e *UnknownEmployeeError) Error() string { return e.usage().Error() }

// As lets errors.As find the usage error.
func (e *UnknownEmployeeError) As(target any) bool {
	if p, ok := target.(**UsageError); ok {
		*p = e.usage()
		return true
	}
	return false
}

func (e *UnknownEmployeeError) usage() *UsageError {
	if len(e.Matches) == 0 {
		return &UsageError{Code: "explain.unknown_none", Args: []string{e.Asked}}
	}
	var names []string
	for _, m := range e.Matches {
		n := m.Medewerker
		if m.Name != "" {
			n += " (" + m.Name + ")"
		}
		names = append(names, n)
	}
	list := strings.Join(names, ", ")
	if e.More > 0 {
		list += ", …"
	}
	if e.ByName {
		return &UsageError{Code: "explain.unknown_name", Args: []string{e.Asked, list}}
	}
	return &UsageError{Code: "explain.unknown", Args: []string{e.Asked, list}}
}

// progressOf reports a connector's read as progress events.
func progressOf(emit func(Event), connector string, done bool) func(afas.Stats) {
	return func(s afas.Stats) {
		emit(Event{Type: "progress", Connector: connector, Pages: s.Pages, Rows: s.Rows, Done: done})
	}
}

// closeness scores how close employee number nr is to what was asked: numbers by their
// difference, other codes by their common prefix; ok is false when they have nothing in common.
func closeness(nr, asked string) (score int, ok bool) {
	a, errA := strconv.ParseInt(nr, 10, 64)
	b, errB := strconv.ParseInt(asked, 10, 64)
	if errA == nil && errB == nil {
		d := a - b
		if d < 0 {
			d = -d
		}
		return -int(min(d, 1<<40)), true
	}
	n := commonPrefix(nr, asked)
	return n*10 - abs(len(nr)-len(asked)), n > 0
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// mappingConfig is what the rules take from a profile, for a run and for explain alike.
func mappingConfig(p *profile.Profile, sel connectors.Selection, dateFrom time.Time) mapping.Config {
	cfg := mapping.Config{
		DefaultEmployer: p.Employer,
		EmployerAffix:   [2]string{p.Rewrite.Employer.Prefix, p.Rewrite.Employer.Suffix},
		EmployeeAffix:   [2]string{p.Rewrite.Employee.Prefix, p.Rewrite.Employee.Suffix},
		DateFrom:        dateFrom, Werknemer: sel.Werknemer, Verzuim: sel.Verzuim,
		Managers: p.Couplings.Werknemer.Managers, UserGroup: p.Couplings.Werknemer.UserGroup,
		Classifications: p.Couplings.Verzuim.Classifications,
		Flex:            sel.Flex, FlexEmployer: p.Flex.Employer,
	}
	if s := p.Couplings.Werknemer.Salary; s != nil {
		cfg.SalaryColumn, cfg.SalaryKind = s.Column, profile.SalaryKindLabel(s.Kind)
	}
	return cfg
}
