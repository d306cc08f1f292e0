package afassim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/sync/afas"
	c "github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/values"
)

// SalaryColumn is the custom salary field the simulated Koppel_Dienstverbanden carries.
const SalaryColumn = "Bruto_maandloon"

// Table is one GetConnector's rows as AFAS would send them: wire-format text per field.
type Table struct {
	ID     string
	Fields []afas.SchemaField
	Rows   [][]string
	// Key are the fields of the connector's unique key, the fields koppel sorts it on.
	Key []string
	col map[string]int
	std string // the standard connector id, before renames
}

func newTable(id string, fields []afas.SchemaField) *Table {
	t := &Table{ID: id, Fields: fields}
	t.reindex()
	return t
}

func (t *Table) reindex() {
	t.col = make(map[string]int, len(t.Fields))
	for i, f := range t.Fields {
		t.col[f.Name] = i
	}
}

// Col returns a field's column, or -1.
func (t *Table) Col(field string) int {
	if i, ok := t.col[field]; ok {
		return i
	}
	return -1
}

func (t *Table) add(vals map[string]string) {
	row := make([]string, len(t.Fields))
	for k, v := range vals {
		if i := t.Col(k); i >= 0 {
			row[i] = v
		}
	}
	t.Rows = append(t.Rows, row)
}

// Dataset is the simulated AFAS environment's data, by connector id.
type Dataset struct {
	Tables map[string]*Table
	// Employers are the employer codes in the data; the first is the one a demo profile uses as
	// its default employer.
	Employers []string
	// Ref is the simulated "today".
	Ref time.Time
	// Attachments are the dossier items' files, by AttachmentKey (see Options.Documents).
	Attachments map[string]*Attachment
}

// RefDate is the simulator's fixed "today", so that the same seed gives the same data on any day.
var refDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func day(t time.Time) string             { return values.FormatDateTime(t) }
func boolText(b bool) string             { return strconv.FormatBool(b) }
func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

var (
	firstNamesM = []string{"Jan", "Pieter", "Sven", "Daan", "Thijs", "Bram", "Lucas", "Mohammed", "Henk", "Kees", "Willem", "Joost", "Ruben", "Stijn", "Ahmet", "Gerrit", "Jeroen", "Koen", "Mark", "Niels"}
	firstNamesV = []string{"Anna", "Sanne", "Fleur", "Emma", "Lotte", "Fatima", "Marieke", "Ingrid", "Eva", "Noor", "Julia", "Petra", "Annemiek", "Yasmina", "Els", "Sophie", "Lieke", "Tamara", "Wilma", "Sarah"}
	firstNamesX = []string{"Sam", "Robin", "Kim", "Charlie", "Alex"}
	surnames    = []struct{ prefix, name string }{
		{"", "Jansen"}, {"de", "Vries"}, {"van den", "Berg"}, {"", "Bakker"}, {"van", "Dijk"}, {"", "Visser"},
		{"", "Smit"}, {"", "Meijer"}, {"de", "Boer"}, {"", "Mulder"}, {"de", "Groot"}, {"", "Bos"},
		{"", "Vos"}, {"", "Peters"}, {"", "Hendriks"}, {"van", "Leeuwen"}, {"", "Dekker"}, {"", "Brouwer"},
		{"de", "Wit"}, {"", "Dijkstra"}, {"", "Smits"}, {"de", "Graaf"}, {"van der", "Meer"}, {"van der", "Linden"},
		{"", "Kok"}, {"", "Jacobs"}, {"de", "Haan"}, {"", "Vermeulen"}, {"van den", "Heuvel"}, {"van der", "Veen"},
		{"van den", "Broek"}, {"de", "Bruijn"}, {"de", "Jong"}, {"", "Yilmaz"}, {"", "El Amrani"}, {"", "Schouten"},
		{"van", "Beek"}, {"", "Willems"}, {"van", "Vliet"}, {"ter", "Horst"}, {"", "Hoekstra"}, {"in 't", "Veld"},
	}
	unitWords  = []string{"Wijkzorg", "Thuiszorg", "Revalidatie", "Dagbesteding", "Verpleging", "Facilitair", "Administratie", "Planning", "Kwaliteit", "Personeelszaken", "Logistiek", "Keuken", "Schoonmaak", "ICT", "Financiën"}
	unitPlaces = []string{"Noord", "Zuid", "Oost", "West", "Centrum", "Utrecht", "Amersfoort", "Zeist", "Houten", "Nieuwegein"}
	jobs       = []struct{ code, title string }{
		{"VZ3", "Verzorgende IG"}, {"VP4", "Verpleegkundige"}, {"HH1", "Huishoudelijk medewerker"}, {"TL5", "Teamleider"},
		{"PL4", "Planner"}, {"AM3", "Administratief medewerker"}, {"FM2", "Facilitair medewerker"}, {"WV5", "Wijkverpleegkundige"},
		{"FT4", "Fysiotherapeut"}, {"MA6", "Manager"},
	}
	// Classifications are AFAS's eight absence classifications with the codes the simulator uses.
	classifications = []struct{ code, desc string }{
		{"ZK", "Ziek"}, {"ZK", "Ziek"}, {"ZK", "Ziek"}, {"ZK", "Ziek"}, // the common case, weighted
		{"AD", "Arbeidsongeschikt door derde"}, {"BO", "Bedrijfsongeval"}, {"ZZ", "Ziek agv Zwangerschap of bevalling"},
		{"VN", "Vangnetindicatie"}, {"PZ", "Pleegzorg"}, {"OB", "Onbekend"}, {"OO", "Overig ongeval"},
	}
)

// Generate builds a realistic synthetic dataset: two employers, a department tree with managers,
// employees with Dutch names and every naming convention, valid and invalid BSNs, several, ended
// and future employments with a salary column, and absences with progress entries across all
// eight classifications. A few records carry the data errors koppel must report. The same seed and
// size always give the same data.
func Generate(seed int64, employees int) *Dataset {
	if employees < 1 {
		employees = 1
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x6b6f7070656c))
	ds := &Dataset{Tables: map[string]*Table{}, Employers: []string{"ZBV", "TZV"}, Ref: refDate}
	std := c.Standard()
	for _, con := range std {
		if con.Role == c.Plaatsingen {
			continue // an AFAS Flex environment only (flex.go)
		}
		var fs []afas.SchemaField
		for _, f := range con.Fields {
			fs = append(fs, afas.SchemaField{Name: f.Name, Kind: f.Kind, XSD: f.Kind.XSDType()})
		}
		if con.Role == c.Dienstverbanden {
			fs = append(fs, afas.SchemaField{Name: SalaryColumn, Kind: afas.Decimal, XSD: "xs:decimal"})
		}
		t := newTable(con.ID, fs)
		t.Key, t.std = slices.Clone(con.Sort), con.ID
		ds.Tables[con.ID] = t
	}
	org := ds.Tables["Koppel_Organisatie"]
	emp := ds.Tables["Koppel_Medewerkers"]
	dv := ds.Tables["Koppel_Dienstverbanden"]
	vz := ds.Tables["Koppel_Verzuim"]

	// Departments: a root per employer, then regions and teams below them.
	type unit struct {
		code, employer string
		team           bool
	}
	var units []unit
	nUnits := max(12, employees/25)
	domains := map[string]string{"ZBV": "zbv.example", "TZV": "tzv.example"}
	roots := map[string]string{"ZBV": "Zorggroep Voorbeeld", "TZV": "Thuiszorg Voorbeeld"}
	for _, e := range ds.Employers {
		code := fmt.Sprintf("%c0000", e[0])
		units = append(units, unit{code: code, employer: e})
		org.add(map[string]string{c.FOrgEenheid: code, c.FOmschrijving: roots[e], c.FWerkgever: e, c.FVervallen: "false"})
	}
	for i := 2; i < nUnits; i++ {
		e := ds.Employers[i%2]
		code := fmt.Sprintf("%c%04d", e[0], i)
		// Parents are earlier units of the same employer; this keeps the tree acyclic.
		var parents []string
		for _, u := range units {
			if u.employer == e {
				parents = append(parents, u.code)
			}
		}
		parent := parents[r.IntN(min(len(parents), 1+len(parents)/2+r.IntN(len(parents))))]
		name := fmt.Sprintf("%s %s", pick(r, unitWords), pick(r, unitPlaces))
		wg := e
		if i == 5 {
			wg = "" // belongs to the profile's default employer
		}
		units = append(units, unit{code: code, employer: e, team: true})
		org.add(map[string]string{c.FOrgEenheid: code, c.FOmschrijving: name, c.FBovenliggende: parent, c.FWerkgever: wg, c.FVervallen: "false"})
	}
	// Data errors a consultant must see: a unit no longer in use, a parent that does not exist,
	// a unit that is its own parent and two units that are each other's parent.
	org.Rows[3][org.Col(c.FVervallen)] = "true"
	org.add(map[string]string{c.FOrgEenheid: "Z9001", c.FOmschrijving: "Project Nieuwbouw", c.FBovenliggende: "Z9999", c.FWerkgever: "ZBV", c.FVervallen: "false"})
	org.add(map[string]string{c.FOrgEenheid: "Z9002", c.FOmschrijving: "Oude structuur", c.FBovenliggende: "Z9002", c.FWerkgever: "ZBV", c.FVervallen: "false"})
	org.add(map[string]string{c.FOrgEenheid: "Z9003", c.FOmschrijving: "Lus A", c.FBovenliggende: "Z9004", c.FWerkgever: "ZBV", c.FVervallen: "false"})
	org.add(map[string]string{c.FOrgEenheid: "Z9004", c.FOmschrijving: "Lus B", c.FBovenliggende: "Z9003", c.FWerkgever: "ZBV", c.FVervallen: "false"})
	// Teams per employer, in unit order.
	teamsOf := map[string][]unit{}
	for _, u := range units {
		if u.team {
			teamsOf[u.employer] = append(teamsOf[u.employer], u)
		}
	}

	ref := ds.Ref
	unitStaff := map[string][]string{}
	verzuimID, verloopID := 5000, 90000
	type person struct {
		nr   string
		vals map[string]string
	}
	var people []person
	for i := 0; i < employees; i++ {
		mw := strconv.Itoa(100001 + i)
		// Every 50th record is a second employee record of an earlier person, at the other employer.
		var vals map[string]string
		secondRecord := i%50 == 49 && len(people) > 0
		if secondRecord {
			p := people[r.IntN(len(people))]
			vals = make(map[string]string, len(p.vals))
			for k, v := range p.vals {
				vals[k] = v
			}
		} else {
			vals = newPerson(r, i, domains)
			people = append(people, person{nr: mw, vals: vals})
		}
		vals[c.FMedewerker] = mw
		vals[c.FGewijzigd] = day(ref.AddDate(0, 0, -r.IntN(900)))
		emp.add(vals)

		employer := ds.Employers[0]
		if r.IntN(3) == 0 || secondRecord {
			employer = ds.Employers[1]
		}
		myTeams := teamsOf[employer]
		team := myTeams[r.IntN(len(myTeams))]
		job := pick(r, jobs)
		hours := pick(r, []string{"16", "20", "24", "28", "32", "36", "30.5"})
		h, _ := values.ParseDec(hours)
		pt := afas.Dec(int64(h) * 100 / 36) // exact to six digits
		salary := fmt.Sprintf("%d.%02d", 2400+r.IntN(4100), r.IntN(100))
		base := map[string]string{
			c.FMedewerker: mw, c.FWerkgever: employer, c.FAfdeling: team.code,
			c.FFunctieCode: job.code, c.FFunctie: job.title, c.FUren: hours, c.FParttime: roundDec(pt),
			c.FTypeContract: pick(r, []string{"Onbepaalde tijd", "Onbepaalde tijd", "Bepaalde tijd"}),
			c.FGewijzigd:    day(ref.AddDate(0, 0, -r.IntN(400))), SalaryColumn: salary,
		}
		if r.IntN(30) == 0 {
			base[SalaryColumn] = ""
		}
		start := ref.AddDate(0, 0, -30-r.IntN(5000))
		emps := []map[string]string{}
		left := false
		switch roll := r.IntN(100); {
		case roll < 10: // changed jobs: an ended employment, then the current one
			first := copyMap(base)
			end := start.AddDate(0, r.IntN(30)+3, 0)
			if !end.Before(ref) {
				end = ref.AddDate(0, -2, 0)
			}
			first[c.FBegin], first[c.FEinde] = day(start.AddDate(-1, 0, 0)), day(end)
			second := copyMap(base)
			second[c.FBegin] = day(end.AddDate(0, 0, 1))
			emps = append(emps, first, second)
		case roll < 15: // left years ago: not delivered with a recent date-from
			old := copyMap(base)
			old[c.FBegin] = day(time.Date(2012+r.IntN(6), time.Month(1+r.IntN(12)), 1, 0, 0, 0, 0, time.UTC))
			old[c.FEinde] = day(time.Date(2019+r.IntN(3), time.Month(1+r.IntN(12)), 28, 0, 0, 0, 0, time.UTC))
			emps = append(emps, old)
			left = true
		case roll < 17: // starts next month or so
			fut := copyMap(base)
			fut[c.FBegin] = day(ref.AddDate(0, 0, 10+r.IntN(60)))
			emps = append(emps, fut)
		default:
			cur := copyMap(base)
			cur[c.FBegin] = day(start)
			if r.IntN(8) == 0 {
				cur[c.FEinde] = day(ref.AddDate(0, r.IntN(12), 0))
				cur[c.FTypeContract] = "Bepaalde tijd"
			}
			emps = append(emps, cur)
		}
		if r.IntN(5) == 0 {
			emps[len(emps)-1][c.FLeidinggevende] = strconv.Itoa(100001 + r.IntN(i+1))
		}
		switch i {
		case 7: // end before start
			emps[0][c.FEinde] = day(parseDay(emps[0][c.FBegin]).AddDate(0, 0, -3))
		case 11: // department that is not in Koppel_Organisatie
			emps[0][c.FAfdeling] = "X0404"
		case 13: // a negative amount in the salary column
			emps[0][SalaryColumn] = "-150.00"
		}
		for n, e := range emps {
			e[c.FDienstverband] = strconv.Itoa(n + 1)
			dv.add(e)
			if e[c.FEinde] == "" {
				unitStaff[e[c.FAfdeling]] = append(unitStaff[e[c.FAfdeling]], mw)
			}
		}
		if i == 17 { // the same employment twice
			dv.add(copyMap(emps[0]))
		}

		// Absences over the last three years.
		if !left && r.IntN(100) < 35 {
			for a := 0; a < 1+r.IntN(3); a++ {
				verzuimID++
				first := ref.AddDate(0, 0, -r.IntN(1100))
				cl := pick(r, classifications)
				if r.IntN(60) == 0 {
					cl = struct{ code, desc string }{"ZO", "Ziek (oude regeling)"}
				}
				recovered := ""
				duration := 1 + r.IntN(60)
				if r.IntN(10) == 0 {
					duration = 60 + r.IntN(500)
				}
				if rec := first.AddDate(0, 0, duration); rec.Before(ref) {
					recovered = day(rec)
				}
				expected := ""
				if r.IntN(2) == 0 {
					expected = day(first.AddDate(0, 0, 7+r.IntN(30)))
				}
				vangnet := r.IntN(20) == 0
				steps := 1 + r.IntN(3)
				pct := []string{"0", "50", "75", "20.5"}
				for s := 0; s < steps; s++ {
					verloopID++
					p := pct[min(s, len(pct)-1)]
					if s == 0 {
						p = "0"
					}
					if i == 19 && a == 0 && s == 0 {
						p = "120" // impossible presence percentage
					}
					vz.add(map[string]string{
						c.FVerzuimID: strconv.Itoa(verzuimID), c.FVerloopID: strconv.Itoa(verloopID),
						c.FMedewerker: mw, c.FWerkgever: employer,
						c.FEersteDag: day(first), c.FZiekmelding: day(first.AddDate(0, 0, r.IntN(2))),
						c.FVerwachtHerstel: expected, c.FHersteld: recovered,
						c.FTypeVerzuim: cl.code, c.FTypeVerzuimOms: cl.desc,
						c.FVerloopDatum: day(first.AddDate(0, 0, s*7)), c.FAanwezig: p,
						c.FVangnet: boolText(vangnet), c.FGewijzigd: day(first.AddDate(0, 0, s*7)),
					})
				}
			}
		}
	}

	// Managers: most units are led by someone working in them; the e-mail of one manager is too
	// long to be a login name.
	for ri, row := range org.Rows {
		staff := unitStaff[row[org.Col(c.FOrgEenheid)]]
		if ri < 2 || len(staff) == 0 || r.IntN(6) == 0 {
			if ri < 2 && employees > 0 {
				row[org.Col(c.FLeidinggevende)] = "100001"
			}
			continue
		}
		row[org.Col(c.FLeidinggevende)] = staff[0]
	}
	if len(emp.Rows) > 23 {
		emp.Rows[23][emp.Col(c.FEmail)] = "annemiek.van.der.heijden-hoogendoorn@zbv.example"
		if len(org.Rows) > 6 {
			org.Rows[6][org.Col(c.FLeidinggevende)] = emp.Rows[23][emp.Col(c.FMedewerker)]
		}
	}
	return ds
}

func newPerson(r *rand.Rand, i int, domains map[string]string) map[string]string {
	g := pick(r, []string{"M", "V", "M", "V", "M", "V", "M", "V", "M", "V", "M", "V", "X", "O"})
	var first string
	switch g {
	case "M":
		first = pick(r, firstNamesM)
	case "V":
		first = pick(r, firstNamesV)
	default:
		first = pick(r, firstNamesX)
	}
	sn := pick(r, surnames)
	vals := map[string]string{
		c.FPersoonsnummer: fmt.Sprintf("P%06d", i+1),
		c.FVoornaam:       first, c.FRoepnaam: first, c.FVoorletters: string(first[0]) + ".",
		c.FVoorvoegsel: sn.prefix, c.FGeboortenaam: sn.name, c.FGeslacht: g,
		c.FGeboortedatum: day(time.Date(1960+r.IntN(45), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)),
		c.FNaamgebruik:   "0",
	}
	if r.IntN(3) == 0 {
		vals[c.FVoornaam] = first + " " + pick(r, append(firstNamesM, firstNamesV...))
		vals[c.FVoorletters] = string(first[0]) + "." + string(vals[c.FVoornaam][len(first)+1]) + "."
	}
	if roll := r.IntN(10); roll < 3 {
		vals[c.FNaamgebruik] = strconv.Itoa(1 + roll)
		p := pick(r, surnames)
		if r.IntN(20) > 0 { // now and then the partner's name is missing: koppel falls back to own name
			vals[c.FVoorvoegselPart], vals[c.FGeboortenaamPar] = p.prefix, p.name
		}
	}
	vals[c.FBSN] = bsn(r)
	switch roll := r.IntN(100); {
	case roll < 3:
		vals[c.FBSN] = invalidBSN(r)
	case roll < 6:
		vals[c.FBSN] = ""
	case roll < 8:
		// A number that starts with zero, as AFAS sometimes stores it: eight digits.
		for !strings.HasPrefix(vals[c.FBSN], "0") {
			vals[c.FBSN] = bsn(r)
		}
		vals[c.FBSN] = vals[c.FBSN][1:]
	}
	domain := domains["ZBV"]
	local := strings.ToLower(string(first[0]) + "." + strings.ReplaceAll(sn.prefix+sn.name, " ", ""))
	local = strings.ReplaceAll(local, "'", "")
	if len(local) > 18 {
		local = local[:18]
	}
	vals[c.FEmail] = fmt.Sprintf("%s%d@%s", local, i%100, domain)
	if r.IntN(10) > 0 {
		vals[c.FTelefoon] = fmt.Sprintf("030-%07d", r.IntN(10000000))
	}
	if r.IntN(2) == 0 {
		vals[c.FMobiel] = fmt.Sprintf("06-%08d", r.IntN(100000000))
	}
	return vals
}

// bsn returns a synthetic number that passes the eleven-test.
func bsn(r *rand.Rand) string {
	for {
		d := make([]int, 9)
		sum := 0
		for k := 0; k < 8; k++ {
			d[k] = r.IntN(10)
			sum += (9 - k) * d[k]
		}
		d[8] = sum % 11
		if d[8] == 10 || d[0] == 0 && d[1] == 0 {
			continue
		}
		var b strings.Builder
		for _, x := range d {
			b.WriteByte(byte('0' + x))
		}
		return b.String()
	}
}

func invalidBSN(r *rand.Rand) string {
	s := []byte(bsn(r))
	s[8] = '0' + (s[8]-'0'+1)%10
	return string(s)
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func parseDay(s string) time.Time {
	t, _ := values.ParseDate(s)
	return t
}

func roundDec(d afas.Dec) string {
	// Two decimals, as AFAS shows percentages.
	n := (int64(d) + 5000) / 10000 * 10000
	return afas.Dec(n).String()
}
