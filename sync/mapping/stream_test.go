package mapping

import (
	"reflect"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Tests of what the streamed run and koppel explain take from the rules: counts per row, the
// composite-period facts, the file helpers and the explain trail.

func TestCountsPerRow(t *testing.T) {
	in := baseInput()
	in.Employees = append(in.Employees, Employee{Medewerker: "1"}) // a duplicate record
	in.Employments = append(in.Employments,
		Employment{Medewerker: "2", Dienstverband: 9, Employer: "ACME", Begin: d("2000-01-01"), Einde: d("2001-01-01"), Afdeling: "ZORG"}, // ended before date-from
		Employment{Medewerker: "4", Dienstverband: 1, Employer: "ACME", Begin: d("2020-01-01"), Afdeling: "ZORG"},                         // no employee
	)
	in.Absences = append(in.Absences, Absence{VerzuimID: 11, VerloopID: 1, Medewerker: "1", Herstel: d("2020-01-01"), Aanwezig: dec("0")})
	res := Map(baseConfig(), in)
	for ent, want := range map[string]Counts{
		Departments: {Fetched: 3}, Employees: {Fetched: 4, Rejected: 2}, Employments: {Fetched: 5, Rejected: 1}, // the second record of 1; 4 without a record
		Absences: {Fetched: 2}, Users: {Fetched: 2},
	} {
		if got := *res.Counts[ent]; got != want {
			t.Errorf("%s: %+v, want %+v", ent, got, want)
		}
	}
}

func TestAbsenceInfoAndHistory(t *testing.T) {
	cfg := baseConfig()
	cfg.EmployerAffix = [2]string{"X", ""}
	cfg.EmployeeAffix = [2]string{"", "-a"}
	in := baseInput()
	m := indexedMapper(cfg, in)
	old := Absence{VerzuimID: 7, VerloopID: 3, Medewerker: "3", Employer: "ACME", EersteDag: d("2021-01-04"), Herstel: d("2022-01-30"), Aanwezig: dec("0")}
	if !m.IsHistory(old) {
		t.Error("recovered the day before date-from: history")
	}
	if m.IsHistory(Absence{Herstel: d("2022-01-31")}) || m.IsHistory(Absence{}) {
		t.Error("recovered on date-from, or open: delivered, not history")
	}
	info, ok := m.History(old)
	want := AbsenceInfo{Holder: "XACME" + KeySep + "3-a", VerzuimID: 7, VerloopID: 3, FirstDay: d("2021-01-04"), Recovered: d("2022-01-30")}
	if !ok || info != want {
		t.Errorf("history %+v %v, want %+v", info, ok, want)
	}
	for name, a := range map[string]Absence{
		"employee not delivered": {Medewerker: "9", Aanwezig: dec("0")},
		"no percentage":          {Medewerker: "3", Aanwezig: values.Value{Kind: values.Decimal, Null: true}},
		"percentage below 0":     {Medewerker: "3", Aanwezig: dec("-1")},
		"percentage above 100":   {Medewerker: "3", Aanwezig: dec("100.01")},
		"bad field":              {Medewerker: "3", Aanwezig: dec("0"), Errs: []values.FieldError{{Field: "Eerste_verzuimdag"}}},
	} {
		if _, ok := m.History(a); ok {
			t.Errorf("%s: read for the periods", name)
		}
	}
	for _, edge := range []string{"0", "100"} {
		if _, ok := m.History(Absence{Medewerker: "3", Aanwezig: dec(edge)}); !ok {
			t.Errorf("percentage %s refused", edge)
		}
	}
	// Only the delivered absence is counted.
	m.Absence(Absence{VerzuimID: 8, VerloopID: 1, Medewerker: "3", Employer: "ACME", Aanwezig: dec("0")})
	if c := m.Counts()[Absences]; c.Fetched != 1 {
		t.Errorf("absences fetched %d", c.Fetched)
	}
}

func TestFileHelpers(t *testing.T) {
	for file, ent := range map[string]string{"afdelingen": Departments, "medewerkers.csv": Employments, "verzuim": Absences, "gebruikers": Users} {
		if got, ok := EntityOfFile(file); !ok || got != ent {
			t.Errorf("%s: %s %v", file, got, ok)
		}
		for _, k := range KeyColumns(ent) {
			if !slicesContains(Columns(ent), k) {
				t.Errorf("%s: key %s not a column", ent, k)
			}
		}
	}
	if _, ok := EntityOfFile("salarissen"); ok {
		t.Error("an unknown file")
	}
	if KeyColumns("nothing") != nil {
		t.Error("keys of nothing")
	}
	if !reflect.DeepEqual(KeyColumns(Employments), []string{"WerkgeverCode", "Personeelsnummer", "Dienstverband"}) || !reflect.DeepEqual(KeyColumns(Absences), []string{"VerzuimId", "VerloopId"}) ||
		!reflect.DeepEqual(KeyColumns(Users), []string{"Inlognaam"}) || !reflect.DeepEqual(KeyColumns(Departments), []string{"WerkgeverCode", "AfdelingCode"}) {
		t.Error("key columns")
	}
	cols := Columns(Absences)
	if got := strings.Join(cols[len(cols)-AbsencePeriodCols:], ";"); got != "ZiekteperiodeId;EersteDagZiekteperiode;EindeWachttijd" {
		t.Errorf("period columns %s", got)
	}
}

func slicesContains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestMaskBSN(t *testing.T) {
	for in, want := range map[string]string{"": "", "123456782": "******782", "12": "***", "123": "***", "1234": "*234"} {
		if got := MaskBSN(in); got != want {
			t.Errorf("MaskBSN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExplainTrail(t *testing.T) {
	cfg := baseConfig()
	cfg.Explain = true
	in := baseInput()
	in.Employments = append(in.Employments,
		Employment{Medewerker: "3", Dienstverband: 2, Employer: "ACME", Begin: d("2000-01-01"), Einde: d("2001-01-01"), Afdeling: "TEAM"},
		Employment{Medewerker: "1", Dienstverband: 2, Employer: "ACME", Begin: d("2020-01-01"), Afdeling: "TEAM", Manager: "3"},
	)
	in.Units = append(in.Units, Unit{Code: "LOS", Name: "Los", Employer: "ACME"})
	in.Employments = append(in.Employments, Employment{Medewerker: "2", Dienstverband: 2, Employer: "ACME", Begin: d("2020-01-01"), Afdeling: "LOS"})
	in.Absences = append(in.Absences, Absence{VerzuimID: 12, VerloopID: 4, Medewerker: "3", Herstel: d("2021-01-01")})
	var logs []runlog.Log
	m := NewMapper(cfg, func(l runlog.Log) { logs = append(logs, l) })
	m.Units(in.Units)
	for _, e := range in.Employees {
		m.Employee(e)
	}
	for _, dv := range in.Employments {
		m.Employment(dv)
	}
	m.IsHistory(in.Absences[1])
	// The own department's manager.
	m.Employment(Employment{Medewerker: "3", Dienstverband: 3, Employer: "ACME", Begin: d("2020-01-01"), Afdeling: "ZORG"})
	got := map[string][]string{}
	for _, l := range logs {
		if strings.HasPrefix(l.Code, "explain.") {
			got[l.Key+" "+l.Code] = l.Args
		}
	}
	want := map[string][]string{
		"ACME/1/1 explain.manager_none":   {"ROOT"}, // 1 manages ROOT, the root, itself
		"ACME/1/1 explain.dv_included":    {"ROOT"},
		"ACME/2/1 explain.manager_parent": {"1", "ROOT", "ZORG"},
		"ACME/2/1 explain.dv_included":    {"ZORG"},
		"ACME/3/1 explain.manager_parent": {"2", "ZORG", "TEAM"}, // TEAM has no manager
		"ACME/3/1 explain.dv_included":    {"TEAM"},
		"ACME/3/2 explain.dv_ended":       {"2001-01-01", "2022-01-31"},
		"ACME/1/2 explain.manager_own":    {"3"},
		"ACME/1/2 explain.dv_included":    {"TEAM"},
		"ACME/2/2 explain.manager_none":   {"LOS"},
		"ACME/2/2 explain.dv_included":    {"LOS"},
		"12/4 explain.abs_history":        {"2021-01-01", "2022-01-31"},
		"ACME/3/3 explain.manager_dept":   {"2", "ZORG"},
		"ACME/3/3 explain.dv_included":    {"ZORG"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("trail:\n got %v\nwant %v", got, want)
	}
	// A run keeps none of it.
	logs = nil
	m2 := NewMapper(baseConfig(), func(l runlog.Log) { logs = append(logs, l) })
	m2.Units(in.Units)
	for _, l := range logs {
		if strings.HasPrefix(l.Code, "explain.") {
			t.Errorf("a run logs %s", l.Code)
		}
	}
}

func TestInputAdd(t *testing.T) {
	var in Input
	in.Add([]any{Unit{Code: "A"}, Employee{Medewerker: "1"}, Employment{Medewerker: "1"}, Absence{VerzuimID: 1}, "ignored"})
	if len(in.Units) != 1 || len(in.Employees) != 1 || len(in.Employments) != 1 || len(in.Absences) != 1 {
		t.Errorf("%+v", in)
	}
}

func TestCleanedFieldsAreReported(t *testing.T) {
	in := baseInput()
	in.Units[1].Cleaned = []string{"Omschrijving"}
	in.Employees[2].Cleaned = []string{"Voornaam"}
	in.Employments[2].Cleaned = []string{"Functie_omschrijving"}
	in.Absences[0].Cleaned = []string{"Type_verzuim_omschrijving"}
	res := Map(baseConfig(), in)
	var got []string
	for _, l := range res.Logs {
		if l.Code == "field.cleaned" && l.Level == runlog.Melding {
			got = append(got, l.Key+" "+l.Args[0])
		}
	}
	want := []string{"ACME/ZORG Omschrijving", "3 Voornaam", "ACME/3/1 Functie_omschrijving", "10/1 Type_verzuim_omschrijving"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cleaned: %v, want %v", got, want)
	}
}

func TestBSNKeepsOnlyDigits(t *testing.T) {
	// Separators go, every digit stays: 0 and 9 are the edges, a 0 inside too.
	for in, want := range map[string]string{"1234/5678/2": "123456782", "12345678:2": "123456782", "123 456 782": "123456782", "099452741": "099452741", "99452741": "099452741", "100000009": "100000009"} {
		got, _ := NormalizeBSN(in)
		if got != want {
			t.Errorf("NormalizeBSN(%q) = %q, want %q", in, got, want)
		}
	}
	if _, ok := NormalizeBSN("111222333"); !ok {
		t.Error("111222333 passes the eleven-test")
	}
	if _, ok := NormalizeBSN("111222334"); ok {
		t.Error("111222334 fails the eleven-test")
	}
}

func TestLongCyclePathIsCut(t *testing.T) {
	var units []Unit
	for i := 0; i < 30; i++ {
		units = append(units, Unit{Code: "U" + string(rune('A'+i)), Parent: "U" + string(rune('A'+(i+1)%30)), Employer: "ACME"})
	}
	res := Map(baseConfig(), Input{Units: units})
	for _, l := range res.Logs {
		if l.Code == "dept.cycle" && l.Key == "ACME/UA" {
			if n := strings.Count(l.Args[1], "→"); n != 20 {
				t.Errorf("cycle path has %d steps: %s", n, l.Args[1])
			}
			return
		}
	}
	t.Error("no cycle found")
}
