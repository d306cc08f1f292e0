package mapping

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// One table per rule of flex.md. The input: person P1 with records 101 and 102 (102 started
// last: primary), P2 with 201 and 202 (same start: the higher number is primary; they disagree
// on the birth date), record 301 without a person number, P4 whose only employment ended before
// date-from.

func flexConfig() Config {
	cfg := baseConfig()
	cfg.Flex, cfg.FlexEmployer = true, "UZB"
	return cfg
}

const bsnA, bsnB = "111222333", "123456782"

func flexInput() Input {
	return Input{
		Units: []Unit{
			{Code: "ROOT", Name: "Uitzend", Employer: "ACME", Manager: "102"},
			{Code: "KLANT", Name: "Klant", Parent: "ROOT", Employer: "ACME"},
			{Code: "BOUW", Name: "Bouw", Parent: "ROOT", Employer: "ACME", Manager: "101"},
			{Code: "HAL", Name: "Hal", Parent: "BOUW", Employer: "ACME"},
			{Code: "LOOS", Name: "Loos", Parent: "ROOT", Employer: "ACME", Manager: "301"},
		},
		Employees: []Employee{
			{Medewerker: "101", Persoonsnummer: "P1", BSN: bsnA, Voornaam: "Jan", Geboortenaam: "Oud", Email: "jan.oud@x.example", Geboortedatum: d("1980-05-01")},
			{Medewerker: "102", Persoonsnummer: "P1", BSN: bsnA, Voornaam: "Jan", Geboortenaam: "Nieuw", Email: "Jan.Nieuw@x.example", Telefoon: "030-2", Geboortedatum: d("1980-05-01")},
			{Medewerker: "201", Persoonsnummer: "P2", Voornaam: "Anna", Geboortenaam: "Een", Geboortedatum: d("1990-01-01")},
			{Medewerker: "202", Persoonsnummer: "P2", Voornaam: "Anna", Geboortenaam: "Twee", Geboortedatum: d("1990-01-02")},
			{Medewerker: "301", Voornaam: "Geen", Geboortenaam: "Nummer", Email: "geen@x.example"},
			{Medewerker: "401", Persoonsnummer: "P4", Voornaam: "Weg", Geboortenaam: "Gegaan"},
		},
		Employments: []Employment{
			{Medewerker: "101", Dienstverband: 1, Employer: "ACME", Begin: d("2015-01-01"), Afdeling: "BOUW"},
			{Medewerker: "102", Dienstverband: 1, Employer: "LABEL", Begin: d("2021-06-01"), Afdeling: "KLANT"},
			{Medewerker: "201", Dienstverband: 1, Employer: "ACME", Begin: d("2018-01-01"), Afdeling: "HAL"},
			{Medewerker: "202", Dienstverband: 2, Employer: "ACME", Begin: d("2018-01-01"), Afdeling: "LOOS"},
			{Medewerker: "301", Dienstverband: 1, Employer: "ACME", Begin: d("2019-01-01"), Afdeling: "ROOT"},
			{Medewerker: "401", Dienstverband: 1, Employer: "ACME", Begin: d("2010-01-01"), Einde: d("2021-12-31"), Afdeling: "ROOT"},
		},
		Absences: []Absence{
			{VerzuimID: 10, VerloopID: 1, Medewerker: "101", Employer: "ACME", EersteDag: d("2023-03-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")},
			{VerzuimID: 11, VerloopID: 1, Medewerker: "102", Employer: "LABEL", EersteDag: d("2023-04-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")},
			{VerzuimID: 12, VerloopID: 1, Medewerker: "301", Employer: "ACME", EersteDag: d("2023-03-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")},
			{VerzuimID: 13, VerloopID: 1, Medewerker: "401", Employer: "ACME", EersteDag: d("2023-03-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")},
		},
		Placements: []Placement{
			{Plaatsing: 1, Medewerker: "101", Client: "K1", ClientName: "Klant Een", Begin: d("2022-03-01"), Functie: "Lasser", Uren: dec("32")},
			{Plaatsing: 2, Medewerker: "102", Client: "K2", ClientName: "Klant Twee", Begin: d("2021-06-01"), Einde: d("2022-01-30")},
			{Plaatsing: 3, Medewerker: "102", Client: "K2", Begin: d("2022-06-01"), Einde: d("2022-01-31")},
			{Plaatsing: 4, Medewerker: "201", Client: "K3", Begin: d("2022-01-01"), Einde: d("2022-01-31")},
			{Plaatsing: 5, Medewerker: "201", Client: "K3", Begin: d("2022-05-01"), Einde: d("2022-04-01")},
			{Plaatsing: 6, Medewerker: "999", Client: "K1", Begin: d("2022-05-01")},
			{Plaatsing: 7, Medewerker: "301", Client: "K1", Begin: d("2022-05-01")},
			{Plaatsing: 8, Medewerker: "401", Client: "K1", Begin: d("2022-05-01")},
			{Plaatsing: 1, Medewerker: "202", Client: "K9", Begin: d("2022-05-01")},
		},
	}
}

func logsOf(res *Result, code string) []runlog.Log {
	var out []runlog.Log
	for _, l := range res.Logs {
		if l.Code == code {
			out = append(out, l)
		}
	}
	return out
}

// Every row of a person: WerkgeverCode = flex.employer, Personeelsnummer = the Persoonsnummer
// (both with their affixes), Dienstverband = <Medewerker>-<Dienstverband>.
func TestFlexDeliveredKeys(t *testing.T) {
	cfg := flexConfig()
	cfg.EmployerAffix, cfg.EmployeeAffix = [2]string{"W-", ""}, [2]string{"", "-p"}
	res := Map(cfg, flexInput())
	tests := []struct{ entity, key, column, want string }{
		{Employments, "W-UZB/P1-p/101-1", "WerkgeverCode", "W-UZB"},
		{Employments, "W-UZB/P1-p/101-1", "Personeelsnummer", "P1-p"},
		{Employments, "W-UZB/P1-p/101-1", "Dienstverband", "101-1"},
		{Employments, "W-UZB/P1-p/102-1", "Dienstverband", "102-1"},
		{Employments, "W-UZB/P2-p/202-2", "Personeelsnummer", "P2-p"},
		{Absences, "10/1", "WerkgeverCode", "W-UZB"},
		{Absences, "10/1", "Personeelsnummer", "P1-p"},
		{Absences, "11/1", "Personeelsnummer", "P1-p"},
		{Placements, "1", "WerkgeverCode", "W-UZB"},
		{Placements, "1", "Personeelsnummer", "P1-p"},
		{Users, "jan.nieuw@x.example", "WerkgeverCode", "W-UZB"},
		{Users, "jan.nieuw@x.example", "Personeelsnummer", "P1-p"},
	}
	for _, tt := range tests {
		if got := get(t, res, tt.entity, tt.key, tt.column); got != tt.want {
			t.Errorf("%s %s %s = %q, want %q", tt.entity, tt.key, tt.column, got, tt.want)
		}
	}
	if n := len(res.Records[Employments]); n != 4 {
		t.Errorf("%d employment rows, want 4 (two per person)", n)
	}
	groups := map[string]bool{}
	for _, r := range res.Records[Employments] {
		groups[r.Group] = true
	}
	if len(groups) != 2 {
		t.Errorf("employment rows in %d employee groups, want 2 persons: %v", len(groups), groups)
	}
	// Standard mode is unchanged: the record is the employee.
	std := Map(baseConfig(), flexInput())
	if get(t, std, Employments, "ACME/101/1", "Personeelsnummer") != "101" || get(t, std, Absences, "10/1", "Personeelsnummer") != "101" {
		t.Error("standard mode delivers records as employees")
	}
}

// The person fields come from the primary record: the included employment that started last;
// on a tie, the highest Medewerker number (as a number).
func TestFlexPrimaryRecord(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(in *Input)
		key   string
		want  string // Achternaam on every row of the person
		email string
	}{
		{"latest start", func(*Input) {}, "P1", "Nieuw", "Jan.Nieuw@x.example"},
		{"latest start wins over a higher number", func(in *Input) {
			in.Employments[0].Begin, in.Employments[1].Begin = d("2022-01-01"), d("2021-01-01")
		}, "P1", "Oud", "jan.oud@x.example"},
		{"tie: highest number", func(*Input) {}, "P2", "Twee", ""},
		{"tie: numbers compare as numbers", func(in *Input) {
			in.Employees[2].Medewerker, in.Employments[2].Medewerker = "1000", "1000"
		}, "P2", "Een", ""},
		{"ended employment does not count", func(in *Input) {
			in.Employments[1].Einde = d("2022-01-30")
		}, "P1", "Oud", "jan.oud@x.example"},
		{"rejected employment does not count", func(in *Input) {
			in.Employments[1].Afdeling = "NERGENS"
		}, "P1", "Oud", "jan.oud@x.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := flexInput()
			tt.edit(&in)
			res := Map(flexConfig(), in)
			n := 0
			for _, r := range res.Records[Employments] {
				if r.Values[col(Employments, "Personeelsnummer")] != tt.key {
					continue
				}
				n++
				if got := r.Values[col(Employments, "Achternaam")]; got != tt.want {
					t.Errorf("%s: Achternaam %q, want %q", DisplayKey(r.Key), got, tt.want)
				}
				if got := r.Values[col(Employments, "Emailadres")]; got != tt.email {
					t.Errorf("%s: Emailadres %q, want %q", DisplayKey(r.Key), got, tt.email)
				}
			}
			if n == 0 {
				t.Fatalf("no rows of %s", tt.key)
			}
		})
	}
}

// Records that disagree on a valid BSN or on the birth date: a Waarschuwing naming the person,
// never the BSN.
func TestFlexDisagreement(t *testing.T) {
	tests := []struct {
		name string
		edit func(in *Input)
		code string
		want []string // persons warned
	}{
		{"birth dates differ", func(*Input) {}, "emp.flex_birth_differs", []string{"P2"}},
		{"same birth dates", func(in *Input) { in.Employees[3].Geboortedatum = d("1990-01-01") }, "emp.flex_birth_differs", nil},
		{"an empty birth date does not disagree", func(in *Input) {
			in.Employees[3].Geboortedatum = d("1990-01-01")
			in.Employees[1].Geboortedatum = time.Time{}
		}, "emp.flex_birth_differs", nil},
		{"valid BSNs differ", func(in *Input) { in.Employees[1].BSN = bsnB }, "emp.flex_bsn_differs", []string{"P1"}},
		{"same BSN", func(*Input) {}, "emp.flex_bsn_differs", nil},
		{"an invalid BSN does not disagree", func(in *Input) { in.Employees[1].BSN = "123456789" }, "emp.flex_bsn_differs", nil},
		{"an empty BSN does not disagree", func(in *Input) { in.Employees[1].BSN = "" }, "emp.flex_bsn_differs", nil},
		{"a person not delivered is not reported", func(in *Input) {
			in.Employees = append(in.Employees, Employee{Medewerker: "402", Persoonsnummer: "P4", Geboortedatum: d("1970-01-01")})
			in.Employees[5].Geboortedatum = d("1971-01-01")
		}, "emp.flex_birth_differs", []string{"P2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := flexInput()
			tt.edit(&in)
			res := Map(flexConfig(), in)
			var got []string
			for _, l := range logsOf(res, tt.code) {
				if l.Level != runlog.Waarschuwing || l.Entity != Employees {
					t.Errorf("logged %+v", l)
				}
				got = append(got, l.Key)
				for _, a := range append(l.Args, l.Key) {
					if strings.Contains(a, bsnA) || strings.Contains(a, bsnB) {
						t.Errorf("the log shows a BSN: %+v", l)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warned %v, want %v", got, tt.want)
			}
		})
	}
}

// LeidinggevendePersoneelsnummer: the manager's Medewerker number picked as before (comparing
// Medewerker numbers), then translated to its Persoonsnummer; without one, empty and warned.
func TestFlexManagers(t *testing.T) {
	cfg := flexConfig()
	cfg.EmployeeAffix = [2]string{"E", ""}
	res := Map(cfg, flexInput())
	tests := []struct{ key, want string }{
		{"UZB/EP1/101-1", "EP1"}, // BOUW's manager 101 is the record itself: ROOT's 102, the same person
		{"UZB/EP1/102-1", ""},    // KLANT has none, ROOT's 102 is the record itself: none
		{"UZB/EP2/201-1", "EP1"}, // HAL → BOUW's 101 → P1
		{"UZB/EP2/202-2", ""},    // LOOS's 301 has no person number
	}
	for _, tt := range tests {
		if got := get(t, res, Employments, tt.key, "LeidinggevendePersoneelsnummer"); got != tt.want {
			t.Errorf("%s: manager %q, want %q", tt.key, got, tt.want)
		}
	}
	warned := logsOf(res, "dv.flex_manager_no_person")
	if len(warned) != 1 || warned[0].Level != runlog.Waarschuwing || warned[0].Key != "UZB/EP2/202-2" || warned[0].Args[0] != "301" {
		t.Errorf("manager without person number: %+v", warned)
	}
	// Departments are unchanged: their manager stays the Medewerker number.
	if got := get(t, res, Departments, "ACME/ROOT", "LeidinggevendePersoneelsnummer"); got != "E102" {
		t.Errorf("department manager %q", got)
	}
}

// Manager accounts per person: one account when any record qualifies, Afdelingen the union over
// its records, names, e-mail and phone from the primary record.
func TestFlexManagerAccounts(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(in *Input)
		logins []string
		depts  string // of P1's account
		phone  string
	}{
		{"union over records, primary's e-mail", func(*Input) {}, []string{"jan.nieuw@x.example"}, "BOUW,HAL,KLANT,LOOS,ROOT", "030-2"},
		{"one record qualifies", func(in *Input) { in.Units[0].Manager = "" }, []string{"jan.nieuw@x.example"}, "BOUW,HAL", "030-2"},
		{"primary's e-mail even when another record manages", func(in *Input) { in.Units[0].Manager = ""; in.Employees[0].Email = "" }, []string{"jan.nieuw@x.example"}, "BOUW,HAL", "030-2"},
		{"person not delivered: no account", func(in *Input) { in.Units[4].Manager = "401" }, []string{"jan.nieuw@x.example"}, "BOUW,HAL,KLANT,LOOS,ROOT", "030-2"},
		{"a second person", func(in *Input) { in.Units[4].Manager = "201"; in.Employees[3].Email = "anna@x.example" }, []string{"anna@x.example", "jan.nieuw@x.example"}, "BOUW,HAL,KLANT,LOOS,ROOT", "030-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := flexInput()
			tt.edit(&in)
			res := Map(flexConfig(), in)
			var logins []string
			for _, r := range res.Records[Users] {
				logins = append(logins, r.Key)
			}
			if !slices.Equal(logins, tt.logins) {
				t.Fatalf("accounts %v, want %v; log %v", logins, tt.logins, res.Logs)
			}
			if got := get(t, res, Users, "jan.nieuw@x.example", "Afdelingen"); got != tt.depts {
				t.Errorf("Afdelingen %q, want %q", got, tt.depts)
			}
			if got := get(t, res, Users, "jan.nieuw@x.example", "Achternaam"); got != "Nieuw" {
				t.Errorf("Achternaam %q: not the primary record's", got)
			}
			if got := get(t, res, Users, "jan.nieuw@x.example", "Telefoonnummer"); got != tt.phone {
				t.Errorf("Telefoonnummer %q, want %q", got, tt.phone)
			}
			if got := res.Counts[Users].Fetched; got != len(tt.logins) {
				t.Errorf("users fetched %d, want %d", got, len(tt.logins))
			}
		})
	}
}

// Placements: included when running or ended on/after date-from; end before start, a second
// row of one Plaatsing, and a placement of a person not delivered are Uitval.
func TestFlexPlacements(t *testing.T) {
	res := Map(flexConfig(), flexInput())
	var keys []string
	for _, r := range res.Records[Placements] {
		keys = append(keys, DisplayKey(r.Key))
	}
	if want := []string{"1", "4"}; !slices.Equal(keys, want) {
		t.Errorf("placements %v, want %v; log %v", keys, want, res.Logs)
	}
	want := []string{"UZB", "P1", "1", "K1", "Klant Een", "2022-03-01", "", "Lasser", "32"}
	if got := find(t, res, Placements, "1"); !slices.Equal(got, want) {
		t.Errorf("placement 1 %v, want %v", got, want)
	}
	uitval := map[string]string{}
	for _, l := range res.Logs {
		if l.Entity == Placements && l.Level == runlog.Uitval {
			uitval[l.Key] = l.Code
		}
	}
	wantUitval := map[string]string{"3": "plc.end_before_start", "5": "plc.end_before_start", "6": "plc.employee_missing", "7": "plc.no_person", "8": "plc.person_not_delivered", "1": "plc.duplicate"}
	if len(uitval) != len(wantUitval) {
		t.Errorf("Uitval %v, want %v", uitval, wantUitval)
	}
	for k, code := range wantUitval {
		if uitval[k] != code {
			t.Errorf("placement %s: %q, want %q", k, uitval[k], code)
		}
	}
	if got := *res.Counts[Placements]; got != (Counts{Fetched: 9, Rejected: 6}) {
		t.Errorf("counts %+v", got)
	}
	// Placement 2 ended the day before date-from: left out, not Uitval; on date-from: delivered.
	in := flexInput()
	in.Placements[1].Einde = d("2022-01-31")
	if find(t, Map(flexConfig(), in), Placements, "2") == nil {
		t.Error("a placement that ends on date-from is not delivered")
	}
	// A placement with a field in a wrong form is Uitval.
	in = flexInput()
	in.Placements[0].Errs = []values.FieldError{{Field: "Uren_per_week", Err: errors.New("not a number")}}
	if find(t, Map(flexConfig(), in), Placements, "1") != nil {
		t.Error("a placement with a bad field is delivered")
	}
	// Without flex, no placements.
	if _, ok := Map(baseConfig(), flexInput()).Records[Placements]; ok {
		t.Error("placements delivered outside flex mode")
	}
}

// Absences are delivered under their person, whatever record they are on, when the person is
// delivered; a record without a person number: Uitval.
func TestFlexAbsences(t *testing.T) {
	in := flexInput()
	// 103 is a record of P1 without any employment: its absence belongs to the delivered person.
	in.Employees = append(in.Employees, Employee{Medewerker: "103", Persoonsnummer: "P1"})
	in.Absences = append(in.Absences, Absence{VerzuimID: 14, VerloopID: 1, Medewerker: "103", Employer: "ACME", EersteDag: d("2023-05-01"), TypeOmschrijving: "Ziek", Aanwezig: dec("0")})
	res := Map(flexConfig(), in)
	for _, k := range []string{"10/1", "11/1", "14/1"} {
		if got := get(t, res, Absences, k, "Personeelsnummer"); got != "P1" {
			t.Errorf("absence %s under %q, want P1", k, got)
		}
	}
	codes := map[string]string{}
	for _, l := range res.Logs {
		if l.Entity == Absences && l.Level == runlog.Uitval {
			codes[l.Key] = l.Code
		}
	}
	if codes["12/1"] != "abs.flex_no_person" || codes["13/1"] != "abs.employee_not_delivered" || len(codes) != 2 {
		t.Errorf("absence Uitval %v", codes)
	}
	m := indexedMapper(flexConfig(), in)
	a, b := m.Info(in.Absences[0]), m.Info(in.Absences[1])
	if a.Holder != "UZB"+KeySep+"P1" || a.Holder != b.Holder {
		t.Errorf("holders %q and %q: one person is one holder", a.Holder, b.Holder)
	}
	old := in.Absences[1]
	old.Herstel = d("2021-01-01")
	if info, ok := m.History(old); !ok || info.Holder != a.Holder {
		t.Errorf("history of a person's record: %+v %v", info, ok)
	}
	noPerson := in.Absences[2]
	noPerson.Herstel = d("2021-01-01")
	if _, ok := m.History(noPerson); ok {
		t.Error("history of a record without person number")
	}
}

// An employee record without Persoonsnummer: its employments are Uitval; it is counted as a
// rejected employee.
func TestFlexNoPersonNumber(t *testing.T) {
	res := Map(flexConfig(), flexInput())
	var got []string
	for _, l := range logsOf(res, "dv.flex_no_person") {
		got = append(got, l.Key+" "+l.Level.String()+" "+strings.Join(l.Args, ","))
	}
	if want := []string{"UZB//301-1 " + runlog.Uitval.String() + " 301"}; !slices.Equal(got, want) {
		t.Errorf("logged %v, want %v", got, want)
	}
	if find(t, res, Employments, "UZB//301-1") != nil {
		t.Error("an employment without a person is delivered")
	}
	if got := *res.Counts[Employments]; got != (Counts{Fetched: 6, Rejected: 1}) {
		t.Errorf("employments %+v", got)
	}
	if got := *res.Counts[Employees]; got != (Counts{Fetched: 6, Rejected: 1}) {
		t.Errorf("employees %+v", got)
	}
	// In a verzuim-only run nothing is logged about it, but its absence is still Uitval.
	cfg := flexConfig()
	cfg.Werknemer = false
	vo := Map(cfg, flexInput())
	if len(logsOf(vo, "dv.flex_no_person")) != 0 || len(logsOf(vo, "emp.flex_birth_differs")) != 0 || len(logsOf(vo, "abs.flex_no_person")) != 1 {
		t.Errorf("verzuim-only log %v", vo.Logs)
	}
}

// Medewerker numbers compare as numbers when both are, else as text; only flex mode holds
// employment rows back for FillPerson.
func TestFlexCompareNumbersAndFill(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"99", "100", -1}, {"100", "99", 1}, {"7", "7", 0}, {"A9", "A10", 1}, {"10", "A1", -1}, {"007", "7", -1}, {"7", "007", 1}}
	for _, tt := range tests {
		if got := compareNumbers(tt.a, tt.b); got != tt.want {
			t.Errorf("compareNumbers(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	if NewMapper(baseConfig(), nil).NeedsFill() || !NewMapper(flexConfig(), nil).NeedsFill() {
		t.Error("NeedsFill: only in flex mode")
	}
	rec := Record{Values: []string{"UZB", "P1"}} // too short to be an employment row: left alone
	NewMapper(flexConfig(), nil).FillPerson(&rec)
	if len(rec.Values) != 2 {
		t.Errorf("short record changed: %v", rec.Values)
	}
	// A row just long enough for the person fields gets them from the primary record (102).
	m := indexedMapper(flexConfig(), flexInput())
	rec = Record{Values: make([]string, 2+personFields)}
	rec.Values[2] = "P1"
	m.FillPerson(&rec)
	if got := rec.Values[2+pGeboortenaam]; got != "Nieuw" {
		t.Errorf("filled record: Geboortenaam %q, want Nieuw (%v)", got, rec.Values)
	}
}

func TestReadyOnceTheEmployeeIsIndexed(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want bool
	}{{baseConfig(), true}, {flexConfig(), false}} {
		m := NewMapper(tt.cfg, nil)
		if m.Ready("1") {
			t.Errorf("flex %v: ready before the employee is read", tt.cfg.Flex)
		}
		m.Employee(Employee{Medewerker: "1", Persoonsnummer: "P1"})
		if got := m.Ready("1"); got != tt.want {
			t.Errorf("flex %v: ready %v once the employee is read, want %v", tt.cfg.Flex, got, tt.want)
		}
		if m.Ready("2") {
			t.Errorf("flex %v: ready for another employee", tt.cfg.Flex)
		}
	}
}

// Employment takes the employee Ready found for the row, and its own employee for any other row:
// the one Ready found last is no answer for a row of another employee, nor for a row without one.
func TestEmploymentAfterReadyTakesItsOwnEmployee(t *testing.T) {
	in := baseInput()
	m := NewMapper(baseConfig(), nil)
	m.Units(in.Units)
	if _, ok := m.Employment(Employment{Dienstverband: 9, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "ROOT"}); ok {
		t.Error("a row without Medewerker was delivered before any employee was read")
	}
	for _, e := range in.Employees {
		m.Employee(e)
	}
	for _, tt := range []struct {
		ready string
		dv    Employment
		want  string
	}{{"1", in.Employments[0], "Jansen"}, {"1", in.Employments[1], "Vries"}, {"3", in.Employments[2], "Bos"}} {
		if !m.Ready(tt.ready) {
			t.Fatalf("employee %s not ready", tt.ready)
		}
		rec, ok := m.Employment(tt.dv)
		if got := rec.Values[col(Employments, "Achternaam")]; !ok || got != tt.want {
			t.Errorf("row of %s after Ready(%s): Achternaam %q (delivered %v), want %q", tt.dv.Medewerker, tt.ready, got, ok, tt.want)
		}
	}
	if _, ok := m.Employment(Employment{Dienstverband: 9, Employer: "ACME", Begin: d("2010-01-01"), Afdeling: "ROOT"}); ok {
		t.Error("a row without Medewerker was delivered")
	}
}
