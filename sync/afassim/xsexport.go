package afassim

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	c "github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/mapping"
)

// The files WriteXSExport writes.
const (
	XSEmployeesFile = "xs-medewerkers.csv"
	XSAbsencesFile  = "xs-verzuim.csv"
	XSDecisionsFile = "xs-besluiten.csv"
)

// XSExport is a synthetic Xpert Suite export of the simulator's data for the first-sync match
// (spec matching.md), with every kind of case in it, and what a correct match of it is. It
// assumes a profile like the demo's: no key rewrite, date_from in 2022 or later, today's data.
type XSExport struct {
	Employees, Absences, Decisions string // the files written
	// Pairs are the XS employees that are an AFAS employee, with the case that makes them so.
	Pairs []XSPair
	// Open are the pairs that wait for a decision: Pairs with Case XSCandidate, XSConflict,
	// XSTwin and XSSecondRecord; Decisions holds the right decision for each.
	// AbsencePairs are the XS absences that are an AFAS absence.
	AbsencePairs []XSAbsencePair
	// XSOnly are XS employees without AFAS partner: people who left, people AFAS never had.
	XSOnly []string
	// Unreadable counts the rows of each file that cannot be read (and are reported by line).
	Unreadable map[string]int
}

// The cases of an XSPair.
const (
	XSSameKey      = "same-key"      // same WerkgeverCode and Personeelsnummer, same BSN
	XSRenumbered   = "renumbered"    // another Personeelsnummer, same BSN
	XSCandidate    = "candidate"     // no BSN, another number, same name and birth date
	XSConflict     = "conflict"      // same key, another (valid) BSN: a typing error in XS
	XSTwin         = "twin"          // one of twins in XS (same name, birth date, no BSN) that is in AFAS
	XSSecondRecord = "second-record" // a person with two AFAS employee records; XS has one
)

// XSPair is an XS employee and the AFAS employee it is; keys are "WerkgeverCode/Personeelsnummer".
type XSPair struct {
	Case string
	XS   string
	AFAS string
}

// XSAbsencePair is an XS absence and the AFAS absence it is.
type XSAbsencePair struct {
	XSEmployee, XSVerzuimID     string
	AFASEmployee, AFASVerzuimID string
}

// WriteXSExport writes XSEmployeesFile, XSAbsencesFile and XSDecisionsFile into dir (created
// 0700 when missing; files 0600: they hold BSNs, if synthetic ones).
func (s *Server) WriteXSExport(dir string) (*XSExport, error) {
	s.mu.Lock()
	ex, emps, abs, decs := buildXSExport(s.data, s.opts.Seed)
	s.mu.Unlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("xs export: %w", err)
	}
	ex.Employees, ex.Absences, ex.Decisions = filepath.Join(dir, XSEmployeesFile), filepath.Join(dir, XSAbsencesFile), filepath.Join(dir, XSDecisionsFile)
	for _, f := range []struct {
		path string
		data []byte
	}{{ex.Employees, emps}, {ex.Absences, abs}, {ex.Decisions, decs}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return nil, fmt.Errorf("xs export: %w", err)
		}
	}
	return ex, nil
}

// simPerson is what the export needs of one AFAS employee record.
type simPerson struct {
	nr, persoon, bsn, voorletters, prefix, name, birth string
	employers                                          []string
	open, ended                                        bool // has an open employment; every employment ended before 2022
	absences                                           []simAbsence
}

type simAbsence struct{ id, first string }

func buildXSExport(d *Dataset, seed int64) (*XSExport, []byte, []byte, []byte) {
	r := rand.New(rand.NewPCG(uint64(seed), 0x78737870))
	emp, dv, vz := d.tableOf("Koppel_Medewerkers"), d.tableOf("Koppel_Dienstverbanden"), d.tableOf("Koppel_Verzuim")
	get := func(t *Table, row []string, f string) string {
		if i := t.Col(f); i >= 0 {
			return row[i]
		}
		return ""
	}
	people := map[string]*simPerson{}
	var order []string
	persons := map[string]int{}
	for _, row := range emp.Rows {
		p := &simPerson{nr: get(emp, row, c.FMedewerker), persoon: get(emp, row, c.FPersoonsnummer), bsn: get(emp, row, c.FBSN),
			voorletters: get(emp, row, c.FVoorletters), prefix: get(emp, row, c.FVoorvoegsel), name: get(emp, row, c.FGeboortenaam),
			birth: dayOnly(get(emp, row, c.FGeboortedatum)), ended: true}
		if _, dup := people[p.nr]; dup {
			continue
		}
		people[p.nr] = p
		order = append(order, p.nr)
		persons[p.persoon]++
	}
	cut := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	dvCount := map[string]int{}
	for _, row := range dv.Rows {
		p := people[get(dv, row, c.FMedewerker)]
		if p == nil {
			continue
		}
		dvCount[p.nr+"/"+get(dv, row, c.FDienstverband)]++
		if w := get(dv, row, c.FWerkgever); !slices.Contains(p.employers, w) {
			p.employers = append(p.employers, w)
		}
		end := get(dv, row, c.FEinde)
		if end == "" {
			p.open = true
		}
		if end == "" || !parseDay(end).Before(cut) {
			p.ended = false
		}
	}
	recent := d.Ref.AddDate(0, 0, -300)
	seenAbs := map[string]bool{}
	for _, row := range vz.Rows {
		p := people[get(vz, row, c.FMedewerker)]
		id := get(vz, row, c.FVerzuimID)
		if p == nil || seenAbs[id] {
			continue
		}
		seenAbs[id] = true
		if h := get(vz, row, c.FHersteld); h == "" || parseDay(h).After(recent) {
			p.absences = append(p.absences, simAbsence{id: id, first: dayOnly(get(vz, row, c.FEersteDag))})
		}
	}
	// Clean records: one record per person, a valid nine-digit BSN, an open employment at one
	// employer, none of the data errors Generate plants (those records are Uitval in a run).
	bad := map[int]bool{7: true, 11: true, 13: true, 17: true, 19: true}
	var clean, left, second []*simPerson
	for i, nr := range order {
		p := people[nr]
		_, valid := mapping.NormalizeBSN(p.bsn)
		multi := false
		for k, n := range dvCount {
			if n > 1 && strings.HasPrefix(k, nr+"/") {
				multi = true
			}
		}
		switch {
		case persons[p.persoon] > 1 && valid && len(p.bsn) == 9 && p.open && len(p.employers) == 1 && !bad[i] && !multi:
			second = append(second, p)
		case persons[p.persoon] > 1 || bad[i] || multi:
		case p.ended && p.bsn != "":
			left = append(left, p)
		case valid && len(p.bsn) == 9 && p.open && len(p.employers) == 1 && p.name != "" && p.birth != "":
			clean = append(clean, p)
		}
	}

	ex := &XSExport{Unreadable: map[string]int{XSEmployeesFile: 3, XSAbsencesFile: 1}}
	type xsRow struct{ wg, pn, bsn, achternaam, voorletters, birth string }
	var rows []xsRow
	var absRows [][]string
	var decisions [][]string
	key := func(p *simPerson) string { return p.employers[0] + "/" + p.nr }
	surname := func(p *simPerson) string { return strings.TrimSpace(p.prefix + " " + p.name) }
	xsAbs := 0
	addAbsences := func(p *simPerson, xsKey string) {
		wg, pn, _ := strings.Cut(xsKey, "/")
		for _, a := range p.absences {
			xsAbs++
			id := fmt.Sprintf("XS%05d", xsAbs)
			first := a.first
			if xsAbs%3 == 0 {
				first = dayFirst(first)
			}
			absRows = append(absRows, []string{wg, pn, id, first})
			ex.AbsencePairs = append(ex.AbsencePairs, XSAbsencePair{XSEmployee: xsKey, XSVerzuimID: id, AFASEmployee: key(p), AFASVerzuimID: a.id})
		}
	}
	n := len(clean)
	next := 0
	take := func(k int) []*simPerson {
		k = min(k, n-next)
		out := clean[next : next+k]
		next += k
		return out
	}
	renumber := func(p *simPerson) string { return "7" + p.nr[1:] }
	// Same key: most of the clean records; every fourth birth date written day first.
	for i, p := range take(n * 6 / 10) {
		birth := p.birth
		if i%4 == 1 {
			birth = dayFirst(birth)
		}
		rows = append(rows, xsRow{p.employers[0], p.nr, p.bsn, surname(p), p.voorletters, birth})
		ex.Pairs = append(ex.Pairs, XSPair{XSSameKey, key(p), key(p)})
		addAbsences(p, key(p))
		if i == 2 || i == 5 { // an absence Xpert Suite has that AFAS does not (any more)
			xsAbs++
			absRows = append(absRows, []string{p.employers[0], p.nr, fmt.Sprintf("XS%05d", xsAbs), "2019-03-04"})
		}
	}
	for _, p := range take(6) { // renumbered, with the BSN
		xk := p.employers[0] + "/" + renumber(p)
		rows = append(rows, xsRow{p.employers[0], renumber(p), p.bsn, surname(p), p.voorletters, dayFirst(p.birth)})
		ex.Pairs = append(ex.Pairs, XSPair{XSRenumbered, xk, key(p)})
		addAbsences(p, xk)
	}
	variants := []func(p *simPerson) string{
		func(p *simPerson) string { return strings.ToUpper(surname(p)) },
		func(p *simPerson) string { return p.name + ", " + p.prefix },
		func(p *simPerson) string { return strings.ToLower(p.name) },
		func(p *simPerson) string { return strings.Replace(surname(p), "e", "é", 1) },
	}
	for i, p := range take(4) { // no BSN, renumbered, same name and birth date: candidates
		xk := p.employers[0] + "/" + renumber(p)
		rows = append(rows, xsRow{p.employers[0], renumber(p), "", variants[i%len(variants)](p), p.voorletters, p.birth})
		ex.Pairs = append(ex.Pairs, XSPair{XSCandidate, xk, key(p)})
		decisions = append(decisions, []string{renumber(p), p.employers[0], p.nr, p.employers[0]})
		addAbsences(p, xk)
	}
	for _, p := range take(2) { // same key, another valid BSN: a typing error in XS; same person
		other := bsn(r)
		for other == p.bsn {
			other = bsn(r)
		}
		rows = append(rows, xsRow{p.employers[0], p.nr, other, surname(p), p.voorletters, p.birth})
		ex.Pairs = append(ex.Pairs, XSPair{XSConflict, key(p), key(p)})
		decisions = append(decisions, []string{p.nr, p.employers[0], p.nr, p.employers[0]})
		addAbsences(p, key(p))
	}
	for _, p := range take(1) { // twins in XS, no BSN; AFAS has the first one only
		a, b := p.employers[0]+"/"+renumber(p), p.employers[0]+"/"+"8"+p.nr[1:]
		rows = append(rows, xsRow{p.employers[0], renumber(p), "", surname(p), p.voorletters, p.birth},
			xsRow{p.employers[0], "8" + p.nr[1:], "", surname(p), p.voorletters, p.birth})
		ex.Pairs = append(ex.Pairs, XSPair{XSTwin, a, key(p)})
		ex.XSOnly = append(ex.XSOnly, b)
		decisions = append(decisions, []string{renumber(p), p.employers[0], p.nr, p.employers[0]}, []string{"8" + p.nr[1:], p.employers[0], "", ""})
		addAbsences(p, a)
	}
	byPersoon := map[string][]*simPerson{}
	for _, p := range second {
		byPersoon[p.persoon] = append(byPersoon[p.persoon], p)
	}
	var twice *simPerson
	for _, p := range second {
		if len(byPersoon[p.persoon]) == 2 && twice == nil {
			twice = byPersoon[p.persoon][0]
		}
	}
	if p := twice; p != nil { // a person with two AFAS records; XS has one, renumbered, with the BSN
		xk := p.employers[0] + "/" + renumber(p)
		rows = append(rows, xsRow{p.employers[0], renumber(p), p.bsn, surname(p), p.voorletters, p.birth})
		ex.Pairs = append(ex.Pairs, XSPair{XSSecondRecord, xk, key(p)})
		decisions = append(decisions, []string{renumber(p), p.employers[0], p.nr, p.employers[0]})
		addAbsences(p, xk)
	}
	for _, p := range left[:min(3, len(left))] { // left years ago: not delivered any more
		wg := "ZBV"
		if len(p.employers) > 0 {
			wg = p.employers[0]
		}
		rows = append(rows, xsRow{wg, p.nr, p.bsn, surname(p), p.voorletters, p.birth})
		ex.XSOnly = append(ex.XSOnly, wg+"/"+p.nr)
	}
	for i, nm := range []string{"Oudenaarde", "Zwartjes"} { // typed in by hand once, never in AFAS
		pn := fmt.Sprintf("9%05d", i+1)
		rows = append(rows, xsRow{d.Employers[0], pn, bsn(r), nm, "K.", "1971-05-0" + fmt.Sprint(i+1)})
		ex.XSOnly = append(ex.XSOnly, d.Employers[0]+"/"+pn)
	}

	var eb bytes.Buffer
	eb.WriteString("\uFEFF")
	ew := csv.NewWriter(&eb)
	ew.Comma = ';'
	ew.UseCRLF = true
	_ = ew.Write([]string{"WerkgeverCode", "Personeelsnummer", "BSN", "Achternaam", "Voorletters", "Geboortedatum", "Afdeling"})
	for i, x := range rows {
		_ = ew.Write([]string{x.wg, x.pn, x.bsn, x.achternaam, x.voorletters, x.birth, fmt.Sprintf("Team %d", i%7+1)})
		switch i {
		case 3: // unreadable rows, reported by line and skipped
			_ = ew.Write([]string{d.Employers[0], "", "", "Zonder nummer", "Z.", "1980-01-01", "Team 1"})
		case 8:
			_ = ew.Write([]string{d.Employers[0], "955555", "", "Datumfout", "D.", "31-02-1980", "Team 2"})
		case 12:
			_ = ew.Write([]string{d.Employers[0], "955556", "", "Te kort"})
		}
	}
	ew.Flush()

	var ab bytes.Buffer
	aw := csv.NewWriter(&ab)
	_ = aw.Write([]string{"werkgever_code", "personeelsnummer", "verzuim id", "eerste verzuimdag"})
	for i, a := range absRows {
		_ = aw.Write(a)
		if i == 1 {
			_ = aw.Write([]string{d.Employers[0], "955557", "XS99999", "gisteren"})
		}
	}
	aw.Flush()

	var db bytes.Buffer
	dw := csv.NewWriter(&db)
	dw.Comma = ';'
	_ = dw.Write([]string{"PersoneelsnummerXS", "WerkgeverCodeXS", "Personeelsnummer", "WerkgeverCode"})
	_ = dw.WriteAll(decisions)
	return ex, eb.Bytes(), ab.Bytes(), db.Bytes()
}

// tableOf finds a table by its standard id, also when the simulator renamed it.
func (d *Dataset) tableOf(std string) *Table {
	for _, t := range d.Tables {
		if t.std == std {
			return t
		}
	}
	return newTable(std, nil)
}

// dayOnly is a wire date as YYYY-MM-DD.
func dayOnly(s string) string {
	if len(s) >= 10 {
		return s[:10]
	}
	return s
}

// dayFirst writes YYYY-MM-DD as DD-MM-YYYY, as many Xpert Suite exports do.
func dayFirst(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[8:10] + "-" + s[5:7] + "-" + s[0:4]
}
