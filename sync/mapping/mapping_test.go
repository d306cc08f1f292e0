package mapping

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// The tests below are one table per rule of delivery.md. Each builds a small input, maps it and
// asserts on the delivered columns and the log.

func d(s string) time.Time {
	t, err := values.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return t
}

func dec(s string) values.Value {
	v, err := values.ParseValue(values.Decimal, s)
	if err != nil {
		panic(err)
	}
	return v
}

func baseConfig() Config {
	return Config{DefaultEmployer: "ACME", DateFrom: d("2022-01-31"), Werknemer: true, Verzuim: true, Managers: true, UserGroup: "Leidinggevenden"}
}

// indexedMapper is a mapper (logging nowhere) that has read in's units, employees and
// employments: ready for the absences, placements and documents.
func indexedMapper(cfg Config, in Input) *Mapper {
	m := NewMapper(cfg, nil)
	m.Units(in.Units)
	for _, e := range in.Employees {
		m.Employee(e)
	}
	for _, dv := range in.Employments {
		m.Employment(dv)
	}
	m.EmploymentsDone()
	return m
}

// employeesMapper is a mapper that has read in's units and employees, not its employments.
func employeesMapper(cfg Config, in Input, log func(runlog.Log)) *Mapper {
	m := NewMapper(cfg, log)
	m.Units(in.Units)
	for _, e := range in.Employees {
		m.Employee(e)
	}
	return m
}

func baseInput() Input {
	return Input{
		Units: []Unit{
			{Code: "ROOT", Name: "Acme", Employer: "ACME", Manager: "1"},
			{Code: "ZORG", Name: "Zorg", Parent: "ROOT", Employer: "ACME", Manager: "2"},
			{Code: "TEAM", Name: "Team", Parent: "ZORG", Employer: "ACME"},
		},
		Employees: []Employee{
			{Medewerker: "1", Persoonsnummer: "P1", Voornaam: "Jan", Roepnaam: "Jan", Voorletters: "J.", Geboortenaam: "Jansen", Geslacht: "M", Email: "J.Jansen@acme.example", Telefoon: "030-1"},
			{Medewerker: "2", Persoonsnummer: "P2", Voornaam: "Anna", Roepnaam: "Anna", Voorletters: "A.", Voorvoegsel: "de", Geboortenaam: "Vries", Geslacht: "V", Email: "a.devries@acme.example", Mobiel: "06-2"},
			{Medewerker: "3", Persoonsnummer: "P3", Voornaam: "Sam", Geboortenaam: "Bos", Geslacht: "X", Email: "s.bos@acme.example"},
		},
		Employments: []Employment{
			{Medewerker: "1", Dienstverband: 1, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "ROOT"},
			{Medewerker: "2", Dienstverband: 1, Employer: "ACME", Begin: d("2015-01-01"), Afdeling: "ZORG"},
			{Medewerker: "3", Dienstverband: 1, Employer: "ACME", Begin: d("2020-01-01"), Afdeling: "TEAM"},
		},
		Absences: []Absence{
			{VerzuimID: 10, VerloopID: 1, Medewerker: "3", Employer: "ACME", EersteDag: d("2023-03-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")},
		},
	}
}

func col(entity, name string) int {
	i := slices.Index(Columns(entity), name)
	if i < 0 {
		panic("no column " + name)
	}
	return i
}

func find(t *testing.T, res *Result, entity, key string) []string {
	t.Helper()
	for _, r := range res.Records[entity] {
		if DisplayKey(r.Key) == key {
			return r.Values
		}
	}
	return nil
}

func get(t *testing.T, res *Result, entity, key, column string) string {
	t.Helper()
	v := find(t, res, entity, key)
	if v == nil {
		t.Fatalf("%s %s not delivered; log: %v", entity, key, res.Logs)
	}
	return v[col(entity, column)]
}

func hasLog(res *Result, level runlog.Level, code string) bool {
	for _, l := range res.Logs {
		if l.Level == level && l.Code == code {
			return true
		}
	}
	return false
}

func TestColumnsAreTheSpecsColumns(t *testing.T) {
	want := map[string]string{
		Departments: "WerkgeverCode;AfdelingCode;Naam;BovenliggendeAfdelingCode;LeidinggevendePersoneelsnummer;Status",
		Employments: "WerkgeverCode;Personeelsnummer;Persoonsnummer;BSN;Voorletters;Voornaam;Roepnaam;Tussenvoegsels;Achternaam;Geboortenaam;Geslacht;Geboortedatum;Emailadres;TelefoonWerk;MobielWerk;Dienstverband;DatumInDienst;DatumUitDienst;AfdelingCode;FunctieCode;Functie;UrenPerWeek;Parttimepercentage;SoortContract;LeidinggevendePersoneelsnummer;Salaris;SalarisSoort",
		Absences:    "WerkgeverCode;Personeelsnummer;VerzuimId;VerloopId;EersteVerzuimdag;DatumZiekmelding;VerwachteHersteldatum;DatumHersteld;Classificatie;VerloopDatum;PercentageArbeidsongeschikt;Vangnet;ZiekteperiodeId;EersteDagZiekteperiode;EindeWachttijd",
		Users:       "Gebruikersgroep;Inlognaam;Personeelsnummer;Achternaam;Tussenvoegsels;Voorletters;Roepnaam;Geslacht;Emailadres;Telefoonnummer;WerkgeverCode;Afdelingen;Status",
	}
	for e, w := range want {
		if got := strings.Join(Columns(e), ";"); got != w {
			t.Errorf("%s columns\n got %s\nwant %s", e, got, w)
		}
	}
	res := Map(baseConfig(), baseInput())
	for e, recs := range res.Records {
		for _, r := range recs {
			if len(r.Values) != len(Columns(e)) {
				t.Fatalf("%s row %s has %d values for %d columns", e, r.Key, len(r.Values), len(Columns(e)))
			}
		}
	}
}

func TestIdentityAndRewrite(t *testing.T) {
	tests := []struct {
		name           string
		empAffix       [2]string
		employerAffix  [2]string
		unitEmployer   string
		wantDeptKey    string
		wantEmployment string
	}{
		{"plain", [2]string{}, [2]string{}, "ACME", "ACME/ROOT", "ACME/1/1"},
		{"default employer for a unit without one", [2]string{}, [2]string{}, "", "DEF/ROOT", "ACME/1/1"},
		{"prefix and suffix", [2]string{"X", "-a"}, [2]string{"W", ""}, "ACME", "WACME/ROOT", "WACME/X1-a/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.DefaultEmployer = "DEF"
			cfg.EmployeeAffix, cfg.EmployerAffix = tt.empAffix, tt.employerAffix
			in := baseInput()
			in.Units[0].Employer = tt.unitEmployer
			res := Map(cfg, in)
			if find(t, res, Departments, tt.wantDeptKey) == nil {
				t.Fatalf("department %s not delivered: %v", tt.wantDeptKey, res.Records[Departments])
			}
			if got := get(t, res, Employments, tt.wantEmployment, "Personeelsnummer"); got != affix(tt.empAffix, "1") {
				t.Errorf("Personeelsnummer = %q", got)
			}
			if got := get(t, res, Employments, tt.wantEmployment, "WerkgeverCode"); got != affix(tt.employerAffix, "ACME") {
				t.Errorf("WerkgeverCode = %q", got)
			}
		})
	}
}

func TestEmploymentDateFrom(t *testing.T) {
	tests := []struct {
		name    string
		begin   string
		end     string
		include bool
	}{
		{"open-ended", "2010-01-01", "", true},
		{"ends on date-from", "2010-01-01", "2022-01-31", true},
		{"ends the day before date-from", "2010-01-01", "2022-01-30", false},
		{"ends after date-from", "2010-01-01", "2023-06-30", true},
		{"future-dated", "2030-01-01", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			in.Employments[2].Begin = d(tt.begin)
			if tt.end != "" {
				in.Employments[2].Einde = d(tt.end)
			}
			res := Map(baseConfig(), in)
			got := find(t, res, Employments, "ACME/3/1") != nil
			if got != tt.include {
				t.Fatalf("included = %v, want %v", got, tt.include)
			}
			// An employee without an included employment is not delivered, and so its absences are Uitval.
			if !tt.include && !hasLog(res, runlog.Uitval, "abs.employee_not_delivered") {
				t.Errorf("absence of an undelivered employee not rejected")
			}
		})
	}
}

func TestEmployeeOnEveryEmployment(t *testing.T) {
	in := baseInput()
	in.Employments = append(in.Employments, Employment{Medewerker: "3", Dienstverband: 2, Employer: "ACME", Begin: d("2024-01-01"), Afdeling: "ZORG"})
	res := Map(baseConfig(), in)
	for _, key := range []string{"ACME/3/1", "ACME/3/2"} {
		if got := get(t, res, Employments, key, "Voornaam"); got != "Sam" {
			t.Errorf("%s Voornaam = %q", key, got)
		}
	}
}

func TestAbsenceDateFrom(t *testing.T) {
	tests := []struct {
		name    string
		herstel string
		include bool
	}{
		{"still absent", "", true},
		{"recovered on date-from", "2022-01-31", true},
		{"recovered before date-from", "2022-01-30", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			a := in.Absences[0]
			if tt.herstel != "" {
				a.Herstel = d(tt.herstel)
			}
			b := a
			b.VerloopID = 2
			b.Aanwezig = dec("50")
			in.Absences = []Absence{a, b}
			res := Map(baseConfig(), in)
			n := len(res.Records[Absences])
			if tt.include && n != 2 || !tt.include && n != 0 {
				t.Fatalf("delivered %d progress entries, include=%v", n, tt.include)
			}
		})
	}
}

func TestDepartmentStatus(t *testing.T) {
	in := baseInput()
	in.Units[2].Vervallen = true
	res := Map(baseConfig(), in)
	if got := get(t, res, Departments, "ACME/TEAM", "Status"); got != StatusGearchiveerd {
		t.Errorf("Vervallen unit Status = %q", got)
	}
	if got := get(t, res, Departments, "ACME/ZORG", "Status"); got != StatusActief {
		t.Errorf("unit in use Status = %q", got)
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		ng                         int64
		prefix, name, pPrefix, pNm string
		tussen, achter             string
		melding                    bool
	}{
		{0, "de", "Vries", "van", "Dijk", "de", "Vries", false},
		{1, "de", "Vries", "van", "Dijk", "van", "Dijk-de Vries", false},
		{1, "", "Jansen", "", "Bakker", "", "Bakker-Jansen", false},
		{2, "de", "Vries", "van", "Dijk", "van", "Dijk", false},
		{3, "de", "Vries", "van", "Dijk", "de", "Vries-van Dijk", false},
		{3, "", "Jansen", "", "Bakker", "", "Jansen-Bakker", false},
		{1, "de", "Vries", "", "", "de", "Vries", true},
		{2, "", "Jansen", "van", "", "", "Jansen", true},
		{3, "de", "Vries", "", " ", "de", "Vries", true},
	}
	for _, tt := range tests {
		in := baseInput()
		e := &in.Employees[2]
		e.Naamgebruik, e.Voorvoegsel, e.Geboortenaam, e.VoorvoegselPartner, e.GeboortenaamPartner = tt.ng, tt.prefix, tt.name, tt.pPrefix, tt.pNm
		res := Map(baseConfig(), in)
		tussen := get(t, res, Employments, "ACME/3/1", "Tussenvoegsels")
		achter := get(t, res, Employments, "ACME/3/1", "Achternaam")
		geboorte := get(t, res, Employments, "ACME/3/1", "Geboortenaam")
		if tussen != tt.tussen || achter != tt.achter || geboorte != tt.name {
			t.Errorf("Naamgebruik %d (%q %q / %q %q): got %q %q %q, want %q %q %q", tt.ng, tt.prefix, tt.name, tt.pPrefix, tt.pNm, tussen, achter, geboorte, tt.tussen, tt.achter, tt.name)
		}
		if hasLog(res, runlog.Melding, "emp.partner_missing") != tt.melding {
			t.Errorf("Naamgebruik %d partner %q: runlog.Melding = %v, want %v", tt.ng, tt.pNm, !tt.melding, tt.melding)
		}
	}
}

func TestGeslacht(t *testing.T) {
	for code, want := range map[string]string{"M": "Man", "V": "Vrouw", "X": "Non-binair", "O": "Onbekend", "": "Onbekend", "Q": "Onbekend", "m": "Man"} {
		in := baseInput()
		in.Employees[2].Geslacht = code
		res := Map(baseConfig(), in)
		if got := get(t, res, Employments, "ACME/3/1", "Geslacht"); got != want {
			t.Errorf("Geslacht %q = %q, want %q", code, got, want)
		}
	}
}

func TestBSN(t *testing.T) {
	tests := []struct {
		in, want string
		warn     bool
	}{
		{"111222333", "111222333", false},
		{"1112.22.333", "111222333", false},
		{"12345672", "012345672", false}, // eight digits: leading zero restored
		{"111222334", "", true},          // fails the eleven-test
		{"1234", "", true},
		{"1112223330", "", true}, // ten digits
		{"", "", false},
	}
	for _, tt := range tests {
		in := baseInput()
		in.Employees[2].BSN = tt.in
		res := Map(baseConfig(), in)
		if got := get(t, res, Employments, "ACME/3/1", "BSN"); got != tt.want {
			t.Errorf("BSN %q = %q, want %q", tt.in, got, tt.want)
		}
		if hasLog(res, runlog.Waarschuwing, "emp.bsn_invalid") != tt.warn {
			t.Errorf("BSN %q: runlog.Waarschuwing = %v, want %v", tt.in, !tt.warn, tt.warn)
		}
		for _, l := range res.Logs {
			for _, a := range append([]string{l.Key}, l.Args...) {
				if tt.in != "" && strings.Contains(a, tt.in) {
					t.Errorf("log shows the BSN: %+v", l)
				}
			}
		}
	}
}

func TestContactFields(t *testing.T) {
	in := baseInput()
	in.Employees[0].Mobiel = "06-1"
	res := Map(baseConfig(), in)
	for column, want := range map[string]string{"Emailadres": "J.Jansen@acme.example", "TelefoonWerk": "030-1", "MobielWerk": "06-1"} {
		if got := get(t, res, Employments, "ACME/1/1", column); got != want {
			t.Errorf("%s = %q, want %q", column, got, want)
		}
	}
}

func TestManagerOfEmployment(t *testing.T) {
	tests := []struct {
		name     string
		explicit string
		emp      string // employee whose employment is checked
		mutate   func(*Input)
		want     string
	}{
		{"explicit manager wins", "9", "3", nil, "9"},
		{"own department's manager", "", "3", func(in *Input) { in.Units[2].Manager = "1" }, "1"},
		{"up through the parents", "", "3", nil, "2"},
		{"skips the employee as own manager", "", "2", nil, "1"},
		{"none up the tree", "", "1", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			for i := range in.Employments {
				if in.Employments[i].Medewerker == tt.emp {
					in.Employments[i].Manager = tt.explicit
				}
			}
			if tt.mutate != nil {
				tt.mutate(&in)
			}
			res := Map(baseConfig(), in)
			if got := get(t, res, Employments, "ACME/"+tt.emp+"/1", "LeidinggevendePersoneelsnummer"); got != tt.want {
				t.Errorf("LeidinggevendePersoneelsnummer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSalary(t *testing.T) {
	tests := []struct {
		name         string
		column       string
		value        values.Value
		bad          string
		salary, kind string
		warn         bool
	}{
		{"not mapped", "", dec("3000"), "", "", "", false},
		{"amount", "Bruto_maandloon", dec("3150.50"), "", "3150.5", "Bruto maandloon", false},
		{"old decimal form", "Bruto_maandloon", dec(".5"), "", "0.5", "Bruto maandloon", false},
		{"empty", "Bruto_maandloon", values.Value{Kind: values.Decimal, Null: true}, "", "", "", false},
		{"negative", "Bruto_maandloon", dec("-10"), "", "", "", true},
		{"not numeric", "Bruto_maandloon", values.Value{Kind: values.Decimal, Null: true}, `"drie" is not a decimal number`, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig()
			cfg.SalaryColumn, cfg.SalaryKind = tt.column, ""
			if tt.column != "" {
				cfg.SalaryKind = "Bruto maandloon"
			}
			in := baseInput()
			in.Employments[2].Salary, in.Employments[2].SalaryBad = tt.value, tt.bad
			res := Map(cfg, in)
			if got := get(t, res, Employments, "ACME/3/1", "Salaris"); got != tt.salary {
				t.Errorf("Salaris = %q, want %q", got, tt.salary)
			}
			if got := get(t, res, Employments, "ACME/3/1", "SalarisSoort"); got != tt.kind {
				t.Errorf("SalarisSoort = %q, want %q", got, tt.kind)
			}
			warned := hasLog(res, runlog.Waarschuwing, "dv.salary_negative") || hasLog(res, runlog.Waarschuwing, "dv.salary_invalid")
			if warned != tt.warn {
				t.Errorf("runlog.Waarschuwing = %v, want %v", warned, tt.warn)
			}
		})
	}
}

func TestEmploymentUitval(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Input)
		code   string
	}{
		{"end before start", func(in *Input) { in.Employments[2].Begin, in.Employments[2].Einde = d("2025-01-01"), d("2024-12-31") }, "dv.end_before_start"},
		{"unknown department", func(in *Input) { in.Employments[2].Afdeling = "NOPE" }, "dv.dept_missing"},
		{"same key twice", func(in *Input) { in.Employments = append(in.Employments, in.Employments[2]) }, "dv.duplicate"},
		{"unknown employee", func(in *Input) { in.Employees = in.Employees[:2] }, "dv.employee_missing"},
		{"value in a wrong form", func(in *Input) {
			in.Employments[2].Errs = []values.FieldError{{Field: "Uren_per_week", Err: errors.New(`"36,0" is not a decimal number`)}}
		}, "field.invalid"},
		{"employee value in a wrong form", func(in *Input) {
			in.Employees[2].Errs = []values.FieldError{{Field: "Geboortedatum", Err: errors.New(`"31-01-1980" is not a date`)}}
		}, "field.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := baseInput()
			tt.mutate(&in)
			res := Map(baseConfig(), in)
			var found bool
			for _, l := range res.Logs {
				if l.Level == runlog.Uitval && l.Code == tt.code && l.Key == "ACME/3/1" {
					found = true
				}
			}
			if !found {
				t.Fatalf("no runlog.Uitval %s naming ACME/3/1: %+v", tt.code, res.Logs)
			}
			if res.Counts[Employments].Rejected != 1 {
				t.Errorf("rejected = %d, want 1", res.Counts[Employments].Rejected)
			}
			n := 0
			for _, r := range res.Records[Employments] {
				if DisplayKey(r.Key) == "ACME/3/1" {
					n++
				}
			}
			want := 0
			if tt.code == "dv.duplicate" {
				want = 1 // the first row is delivered, the second is not
			}
			if n != want {
				t.Errorf("ACME/3/1 delivered %d times, want %d", n, want)
			}
		})
	}
}

func TestDepartmentTree(t *testing.T) {
	in := baseInput()
	in.Units = append(in.Units,
		Unit{Code: "SELF", Parent: "SELF", Employer: "ACME"},
		Unit{Code: "A", Parent: "B", Employer: "ACME"},
		Unit{Code: "B", Parent: "A", Employer: "ACME"},
		Unit{Code: "BELOW", Parent: "A", Employer: "ACME"},
		Unit{Code: "ORPHAN", Parent: "GONE", Employer: "ACME"},
		Unit{Code: "C1", Parent: "C2", Employer: "ACME", Manager: "3"},
		Unit{Code: "C2", Parent: "C1", Employer: "ACME"},
		Unit{Code: "UNDER", Parent: "C1", Employer: "ACME"},
	)
	// The managers above a unit below a cycle: the walk up ends, with none but the employee.
	in.Employments = append(in.Employments,
		Employment{Medewerker: "1", Dienstverband: 2, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "BELOW"},
		Employment{Medewerker: "3", Dienstverband: 2, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "UNDER"},
		Employment{Medewerker: "2", Dienstverband: 2, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "UNDER"},
	)
	res := Map(baseConfig(), in)
	for key, want := range map[string]string{"ACME/1/2": "", "ACME/3/2": "", "ACME/2/2": "3"} {
		if got := get(t, res, Employments, key, "LeidinggevendePersoneelsnummer"); got != want {
			t.Errorf("%s: manager %q, want %q", key, got, want)
		}
	}
	for _, code := range []string{"SELF", "A", "B"} {
		if find(t, res, Departments, "ACME/"+code) != nil {
			t.Errorf("%s delivered, want Uitval", code)
		}
	}
	if !hasLog(res, runlog.Uitval, "dept.self_parent") || !hasLog(res, runlog.Uitval, "dept.cycle") {
		t.Errorf("missing runlog.Uitval for self-parent or cycle: %+v", res.Logs)
	}
	if find(t, res, Departments, "ACME/BELOW") == nil {
		t.Errorf("a unit below a cycle is not itself on it and is delivered")
	}
	if got := get(t, res, Departments, "ACME/ORPHAN", "BovenliggendeAfdelingCode"); got != "" {
		t.Errorf("missing parent delivered as %q, want empty", got)
	}
	if !hasLog(res, runlog.Waarschuwing, "dept.parent_missing") {
		t.Errorf("missing parent without Waarschuwing")
	}
	if res.Counts[Departments].Rejected != 5 {
		t.Errorf("rejected = %d, want 5", res.Counts[Departments].Rejected)
	}
}

func TestClassification(t *testing.T) {
	tests := []struct {
		code, desc string
		table      map[string]string
		want       string
		warn       bool
	}{
		{"ZK", "Ziek", nil, "Ziek (AFAS)", false},
		{"x", "  bedrijfsongeval ", nil, "Bedrijfsongeval (AFAS)", false},
		{"x", "Ziek agv Zwangerschap of bevalling", nil, "Ziek agv Zwangerschap of bevalling (AFAS)", false},
		{"PZ2", "Pleegzorg oud", map[string]string{"PZ2": "Pleegzorg"}, "Pleegzorg (AFAS)", false},
		{"Q", "Iets anders", nil, "Onbekend (AFAS)", true},
	}
	for _, name := range []string{"Arbeidsongeschikt door derde", "Vangnetindicatie", "Onbekend", "Overig ongeval"} {
		tests = append(tests, struct {
			code, desc string
			table      map[string]string
			want       string
			warn       bool
		}{"c", name, nil, name + " (AFAS)", false})
	}
	for _, tt := range tests {
		cfg := baseConfig()
		cfg.Classifications = tt.table
		in := baseInput()
		in.Absences[0].Type, in.Absences[0].TypeOmschrijving = tt.code, tt.desc
		res := Map(cfg, in)
		if got := get(t, res, Absences, "10/1", "Classificatie"); got != tt.want {
			t.Errorf("%q/%q = %q, want %q", tt.code, tt.desc, got, tt.want)
		}
		if hasLog(res, runlog.Waarschuwing, "abs.classification_unknown") != tt.warn {
			t.Errorf("%q/%q: runlog.Waarschuwing = %v, want %v", tt.code, tt.desc, !tt.warn, tt.warn)
		}
	}
}

func TestPercentage(t *testing.T) {
	tests := []struct {
		aanwezig string
		want     string
		uitval   bool
	}{
		{"0", "100", false}, {"100", "0", false}, {"37.5", "62.5", false}, {".5", "99.5", false},
		{"-1", "", true}, {"100.01", "", true},
	}
	for _, tt := range tests {
		in := baseInput()
		in.Absences[0].Aanwezig = dec(tt.aanwezig)
		res := Map(baseConfig(), in)
		v := find(t, res, Absences, "10/1")
		if tt.uitval {
			if v != nil || !hasLog(res, runlog.Uitval, "abs.percentage_range") {
				t.Errorf("aanwezig %s: want Uitval", tt.aanwezig)
			}
			continue
		}
		if got := get(t, res, Absences, "10/1", "PercentageArbeidsongeschikt"); got != tt.want {
			t.Errorf("aanwezig %s: PercentageArbeidsongeschikt = %q, want %q", tt.aanwezig, got, tt.want)
		}
	}
}

func TestAbsenceValues(t *testing.T) {
	in := baseInput()
	a := &in.Absences[0]
	a.Ziekmelding, a.VerwachtHerstel, a.VerloopDatum, a.Vangnet = d("2023-03-02"), d("2023-04-01"), d("2023-03-01"), true
	res := Map(baseConfig(), in)
	want := "ACME;3;10;1;2023-03-01;2023-03-02;2023-04-01;;Ziek (AFAS);2023-03-01;100;Ja;;;" // the period columns are the engine's
	if got := strings.Join(find(t, res, Absences, "10/1"), ";"); got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}
}

func TestVerzuimOnlyReportsNothingAboutEmployees(t *testing.T) {
	cfg := baseConfig()
	cfg.Werknemer, cfg.Managers = false, false
	in := baseInput()
	in.Employees[2].BSN = "123"
	res := Map(cfg, in)
	if len(res.Records[Absences]) != 1 || res.Records[Employments] != nil || res.Records[Departments] != nil {
		t.Errorf("verzuim only delivers absences: %v", res.Records)
	}
	for _, l := range res.Logs {
		if l.Entity != Absences {
			t.Errorf("verzuim-only run logs about %s: %+v", l.Entity, l)
		}
	}
}

func TestManagerAccounts(t *testing.T) {
	in := baseInput()
	in.Units = append(in.Units, Unit{Code: "OLD", Parent: "ZORG", Employer: "ACME", Vervallen: true}, Unit{Code: "UNDER", Parent: "OLD", Employer: "ACME"},
		Unit{Code: "GONE", Employer: "ACME", Vervallen: true, Manager: "3"})
	in.Employments = append(in.Employments, Employment{Medewerker: "2", Dienstverband: 2, Employer: "ZUS", Begin: d("2021-01-01"), Afdeling: "ZORG"})
	res := Map(baseConfig(), in)
	users := res.Records[Users]
	if len(users) != 2 {
		t.Fatalf("accounts: %d, want 2 (managers of units in use only): %+v", len(users), users)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "Afdelingen"); got != "TEAM,UNDER,ZORG" {
		t.Errorf("Afdelingen = %q, want managed and non-Vervallen descendants, sorted", got)
	}
	if got := get(t, res, Users, "j.jansen@acme.example", "Inlognaam"); got != "j.jansen@acme.example" {
		t.Errorf("Inlognaam = %q, want the e-mail in lower case", got)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "Telefoonnummer"); got != "06-2" {
		t.Errorf("Telefoonnummer = %q, want MobielWerk when TelefoonWerk is empty", got)
	}
	if got := get(t, res, Users, "j.jansen@acme.example", "Telefoonnummer"); got != "030-1" {
		t.Errorf("Telefoonnummer = %q, want TelefoonWerk", got)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "WerkgeverCode"); got != "ZUS" {
		t.Errorf("WerkgeverCode = %q, want the employer of the latest-starting employment", got)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "Achternaam"); got != "Vries" {
		t.Errorf("Achternaam = %q", got)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "Gebruikersgroep"); got != "Leidinggevenden" {
		t.Errorf("Gebruikersgroep = %q", got)
	}
	if got := get(t, res, Users, "a.devries@acme.example", "Status"); got != StatusActief {
		t.Errorf("Status = %q", got)
	}
}

func TestManagerAccountUitval(t *testing.T) {
	tests := []struct {
		name  string
		email string
		code  string
	}{
		{"no e-mail", "", "user.login_missing"},
		{"longer than 32", "jan.van.den.bergh-jansen@acme.example", "user.login_too_long"},
	}
	for _, tt := range tests {
		in := baseInput()
		in.Employees[0].Email = tt.email
		res := Map(baseConfig(), in)
		if !hasLog(res, runlog.Uitval, tt.code) || res.Counts[Users].Rejected != 1 || len(res.Records[Users]) != 1 {
			t.Errorf("%s: want runlog.Uitval %s and one account left, got %+v %+v", tt.name, tt.code, res.Logs, res.Records[Users])
		}
	}
	// A manager who is not delivered gets no account.
	in := baseInput()
	in.Employments[0].Einde = d("2020-01-01")
	res := Map(baseConfig(), in)
	if find(t, res, Users, "j.jansen@acme.example") != nil {
		t.Errorf("account for a manager who is not delivered")
	}
}

func TestRecordsSortedOnKey(t *testing.T) {
	in := baseInput()
	in.Employments = append(in.Employments, Employment{Medewerker: "3", Dienstverband: 10, Employer: "ACME", Begin: d("2024-01-01"), Afdeling: "TEAM"},
		Employment{Medewerker: "3", Dienstverband: 2, Employer: "ACME", Begin: d("2023-01-01"), Afdeling: "TEAM"})
	in.Absences = append(in.Absences, Absence{VerzuimID: 9, VerloopID: 100, Medewerker: "3", Employer: "ACME", Aanwezig: dec("0")},
		Absence{VerzuimID: 10, VerloopID: 0, Medewerker: "3", Employer: "ACME", Aanwezig: dec("0")})
	res := Map(baseConfig(), in)
	var keys []string
	for _, r := range res.Records[Employments] {
		keys = append(keys, DisplayKey(r.Key))
	}
	if got := strings.Join(keys, " "); got != "ACME/1/1 ACME/2/1 ACME/3/1 ACME/3/2 ACME/3/10" {
		t.Errorf("employment order: %s", got)
	}
	keys = nil
	for _, r := range res.Records[Absences] {
		keys = append(keys, DisplayKey(r.Key))
	}
	if got := strings.Join(keys, " "); got != "9/100 10/0 10/1" {
		t.Errorf("absence order: %s", got)
	}
}

// Expect sizes a set of keys before its rows: once rows are seen it leaves the set, so a key
// seen before it is still a duplicate after it.
func TestExpectKeepsTheKeysSeen(t *testing.T) {
	in := baseInput()
	var logs []runlog.Log
	m := employeesMapper(baseConfig(), in, func(l runlog.Log) { logs = append(logs, l) })
	if _, ok := m.Employment(in.Employments[2]); !ok {
		t.Fatal("the employment is not delivered")
	}
	m.Expect(Employments, 1000)
	if _, ok := m.Employment(in.Employments[2]); ok {
		t.Error("the same employment again, after Expect, is delivered")
	}
	found := false
	for _, l := range logs {
		found = found || l.Code == "dv.duplicate"
	}
	if !found {
		t.Errorf("no dv.duplicate logged: %+v", logs)
	}
}

// Expect sizes the sets for the rows to come: adding them allocates next to nothing, where a
// set not sized grows as they come.
func TestExpectSizesTheSets(t *testing.T) {
	keys := make([]string, 5000)
	for i := range keys {
		keys[i] = fmt.Sprint("k", i)
	}
	mallocs := func(set keySet) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for _, k := range keys {
			set.add(k)
		}
		runtime.ReadMemStats(&after)
		return after.Mallocs - before.Mallocs
	}
	unsized := mallocs(newKeySet())
	if unsized < 8 {
		t.Fatalf("a set not sized grows with %d allocations: the test measures nothing", unsized)
	}
	m := NewMapper(baseConfig(), func(runlog.Log) {})
	m.Expect(Employments, len(keys))
	m.Expect(Absences, len(keys))
	for _, set := range []keySet{m.seenDV, m.seenAbs} {
		// The process's count: a stray allocation elsewhere may fall in the window.
		if n := mallocs(set); n*4 > unsized {
			t.Errorf("%d allocations adding %d keys to a sized set (%d unsized), want next to none", n, len(keys), unsized)
		}
	}
}

// Only the employments' keys start with a part AFAS's order leaves out (the employer: AFAS sorts
// them on the employee); a file written as it streams in depends on it.
func TestKeyGroupParts(t *testing.T) {
	for _, ent := range []string{Departments, Employments, Users, Absences, Placements, Documents} {
		want := 0
		if ent == Employments {
			want = 1
		}
		if got := KeyGroupParts(ent); got != want {
			t.Errorf("KeyGroupParts(%s) = %d, want %d", ent, got, want)
		}
	}
	if KeyColumns(Employments)[0] != "WerkgeverCode" {
		t.Errorf("an employment's key does not start with its employer: %v", KeyColumns(Employments))
	}
}
