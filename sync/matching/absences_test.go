package matching

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
)

func withAbsence(id, first string) func(*Employee) {
	return func(e *Employee) {
		e.Absences = append(e.Absences, Absence{VerzuimID: id, EersteVerzuimdag: date(first)})
	}
}

func xsAbs(pn, id, first string) XSAbsence {
	return XSAbsence{WerkgeverCode: "ACME", Personeelsnummer: pn, VerzuimID: id, EersteVerzuimdag: date(first)}
}

// absOutcomes renders the absence records: "afas:1/A1=gekoppeld/datum>X1/V1 …".
func absOutcomes(res *Result) string {
	var parts []string
	for _, a := range res.Absences {
		s := string(a.Bron) + ":" + a.Employee.Personeelsnummer + "/" + a.VerzuimID + "=" + string(a.Uitkomst) + "/" + string(a.Methode)
		var ps []string
		for _, p := range a.Ander {
			ps = append(ps, p.Employee.Personeelsnummer+"/"+p.VerzuimID)
		}
		if len(ps) > 0 {
			s += ">" + strings.Join(ps, ",")
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestAbsences(t *testing.T) {
	tests := []struct {
		name  string
		afas  []Employee
		xs    []XSEmployee
		abs   []XSAbsence
		opt   Options
		want  string
		codes map[string]string // log key → code of its Waarschuwing
	}{
		{"same first day, employees matched on sleutel",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=gekoppeld/datum>1/V1 xs:1/V1=gekoppeld/datum>1/A1", nil},
		{"same first day, employees matched on bsn",
			[]Employee{emp("1", withBSN(bsn(1)), withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("X1", xsBSN(bsn(1)), xsName("Bos"))},
			[]XSAbsence{xsAbs("X1", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=gekoppeld/datum>X1/V1 xs:X1/V1=gekoppeld/datum>1/A1", nil},
		{"another first day",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-05")}, Options{},
			"afas:1/A1=alleen-afas/ xs:1/V1=alleen-xs/", map[string]string{"ACME/1/V1": LogXSAbsenceOnly}},
		{"no first day in XS",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1")},
			[]XSAbsence{{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V1"}}, Options{},
			"afas:1/A1=alleen-afas/ xs:1/V1=alleen-xs/", map[string]string{"ACME/1/V1": LogXSAbsenceOnly}},
		{"no first day on either side",
			[]Employee{func() Employee { e := emp("1"); e.Absences = []Absence{{VerzuimID: "A1"}}; return e }()}, []XSEmployee{xs("1")},
			[]XSAbsence{{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V1"}}, Options{},
			"afas:1/A1=alleen-afas/ xs:1/V1=alleen-xs/", map[string]string{"ACME/1/V1": LogXSAbsenceOnly}},
		{"same day at another matched employee",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04")), emp("2", afasName("Bos"))}, []XSEmployee{xs("1"), xs("2", xsName("Bos"))},
			[]XSAbsence{xsAbs("2", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=alleen-afas/ xs:2/V1=alleen-xs/", map[string]string{"ACME/2/V1": LogXSAbsenceOnly}},
		{"two AFAS absences on one day",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"), withAbsence("A2", "2024-03-04"), withAbsence("A3", "2024-05-01"))}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-04"), xsAbs("1", "V3", "2024-05-01")}, Options{},
			"afas:1/A1=dubbelzinnig/datum>1/V1 afas:1/A2=dubbelzinnig/datum>1/V1 afas:1/A3=gekoppeld/datum>1/V3 xs:1/V1=dubbelzinnig/datum>1/A1,1/A2 xs:1/V3=gekoppeld/datum>1/A3",
			map[string]string{"ACME/1/A1": LogAbsenceAmbiguous, "ACME/1/A2": LogAbsenceAmbiguous, "ACME/1/V1": LogAbsenceAmbiguous}},
		{"two XS absences on one day",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-04"), xsAbs("1", "V2", "2024-03-04")}, Options{},
			"afas:1/A1=dubbelzinnig/datum>1/V1,1/V2 xs:1/V1=dubbelzinnig/datum>1/A1 xs:1/V2=dubbelzinnig/datum>1/A1",
			map[string]string{"ACME/1/A1": LogAbsenceAmbiguous, "ACME/1/V1": LogAbsenceAmbiguous, "ACME/1/V2": LogAbsenceAmbiguous}},
		{"employees only candidates",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("X1")},
			[]XSAbsence{xsAbs("X1", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=alleen-afas/ xs:X1/V1=alleen-xs/", map[string]string{"ACME/X1/V1": LogXSAbsenceUnmatched}},
		{"candidates accepted",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("X1")},
			[]XSAbsence{xsAbs("X1", "V1", "2024-03-04")}, Options{AcceptCandidates: true},
			"afas:1/A1=gekoppeld/datum>X1/V1 xs:X1/V1=gekoppeld/datum>1/A1", nil},
		{"employees matched by decision",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("X1")},
			[]XSAbsence{xsAbs("X1", "V1", "2024-03-04")}, Options{Decisions: []Decision{dec("X1", "1")}},
			"afas:1/A1=gekoppeld/datum>X1/V1 xs:X1/V1=gekoppeld/datum>1/A1", nil},
		{"employee in a conflict",
			[]Employee{emp("1", withBSN(bsn(1)), withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1", xsBSN(bsn(2)))},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=alleen-afas/ xs:1/V1=alleen-xs/", map[string]string{"ACME/1/V1": LogXSAbsenceUnmatched}},
		{"employee not in the employee export",
			[]Employee{emp("1")}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("9", "V1", "2024-03-04")}, Options{},
			"xs:9/V1=alleen-xs/", map[string]string{"ACME/9/V1": LogXSAbsenceUnknown}},
		{"repeated rows of one absence merge",
			[]Employee{emp("1", withAbsence("A1", "2024-03-04"), withAbsence("A1", "2024-03-04"))}, []XSEmployee{xs("1")},
			[]XSAbsence{xsAbs("1", "V1", "2024-03-04"), xsAbs("1", "V1", "2024-03-04")}, Options{},
			"afas:1/A1=gekoppeld/datum>1/V1 xs:1/V1=gekoppeld/datum>1/A1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, Input{AFAS: tt.afas, XS: tt.xs, WithAbsences: true, XSAbsences: tt.abs}, tt.opt)
			if got := absOutcomes(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			got := map[string]string{}
			for _, l := range res.Logs {
				if l.Entity == "absences" {
					if l.Level != runlog.Waarschuwing {
						t.Errorf("absence log %v is not a Waarschuwing", l)
					}
					got[l.Key] = l.Code
				}
			}
			if len(got) != len(tt.codes) || (len(got) > 0 && !reflect.DeepEqual(got, tt.codes)) {
				t.Errorf("absence logs %v, want %v", got, tt.codes)
			}
		})
	}
}

func TestAbsenceKoppeltabel(t *testing.T) {
	res := mustMatch(t, Input{
		AFAS:         []Employee{emp("1", withAbsence("A1", "2024-03-04")), emp("2", withBSN(bsn(2)), afasName("Bos"), withAbsence("A2", "2024-01-02"))},
		XS:           []XSEmployee{xs("1"), xs("X2", xsBSN(bsn(2)), xsName("Wit"))},
		WithAbsences: true,
		XSAbsences:   []XSAbsence{xsAbs("X2", "V2", "2024-01-02"), xsAbs("1", "V1", "2024-03-04")},
	}, Options{})
	want := []KoppelRow{
		{Entiteit: "medewerker", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "X2", WerkgeverCode: "ACME", Personeelsnummer: "2", Methode: BSN},
		{Entiteit: "verzuim", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "1", VerzuimIdXS: "V1", WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimId: "A1", Methode: Datum},
		{Entiteit: "verzuim", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "X2", VerzuimIdXS: "V2", WerkgeverCode: "ACME", Personeelsnummer: "2", VerzuimId: "A2", Methode: Datum},
	}
	if got := res.Koppeltabel(); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	v := res.Summary.Verzuim
	if v == nil || v.Gekoppeld != 2 || v.PerMethode[Datum] != 2 || v.AlleenAFAS+v.AlleenXS+v.Dubbelzinnig != 0 {
		t.Errorf("absence summary %+v", v)
	}
}

// Absences are matched only when the absence export is given.
func TestWithoutAbsences(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("1", withAbsence("A1", "2024-03-04"))}, XS: []XSEmployee{xs("1")},
		XSAbsences: []XSAbsence{xsAbs("1", "V1", "2024-03-04")}}, Options{})
	if len(res.Absences) != 0 || res.Summary.Verzuim != nil {
		t.Errorf("absences matched without the export: %v", res.Absences)
	}
}

// Absences are sorted by Bron, employee and id, whatever the input order.
func TestAbsenceOrder(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("2", afasName("Bos"), withAbsence("B", "2024-01-01"), withAbsence("A", "2024-01-02")), emp("1")},
		XS: []XSEmployee{xs("2", xsName("Bos")), xs("1")}, WithAbsences: true,
		XSAbsences: []XSAbsence{xsAbs("2", "V", "2023-01-01"), xsAbs("1", "W", "2023-01-01"), {WerkgeverCode: "A", Personeelsnummer: "2", VerzuimID: "Z"}}}, Options{})
	var got []string
	for _, a := range res.Absences {
		got = append(got, string(a.Bron)+":"+a.Employee.String()+"/"+a.VerzuimID)
	}
	want := []string{"afas:ACME/2/A", "afas:ACME/2/B", "xs:A/2/Z", "xs:ACME/1/W", "xs:ACME/2/V"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestAbsenceInputErrors(t *testing.T) {
	tests := []struct {
		name string
		afas Employee
		abs  []XSAbsence
		want string
	}{
		{"AFAS absence without id", emp("1", func(e *Employee) { e.Absences = []Absence{{EersteVerzuimdag: time.Now()}} }), nil, "absence without VerzuimId"},
		{"AFAS absence with two first days", emp("1", withAbsence("A1", "2024-01-01"), withAbsence("A1", "2024-01-02")), nil,
			"absence A1 with two first days (2024-01-01 and 2024-01-02)"},
		{"XS absence without id", emp("1"), []XSAbsence{{WerkgeverCode: "ACME", Personeelsnummer: "1", Line: 3}}, "line 3: every row needs WerkgeverCode, Personeelsnummer and VerzuimId"},
		{"XS absence without employer", emp("1"), []XSAbsence{{Personeelsnummer: "1", VerzuimID: "V", Line: 3}}, "line 3: every row needs"},
		{"XS absence without Personeelsnummer", emp("1"), []XSAbsence{{WerkgeverCode: "ACME", VerzuimID: "V", Line: 3}}, "line 3: every row needs"},
		{"XS absence with two first days", emp("1"), []XSAbsence{
			{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V", EersteVerzuimdag: date("2024-01-01"), Line: 2},
			{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V", EersteVerzuimdag: date("2024-01-02"), Line: 4}},
			"line 4: absence V of employee ACME/1 has another EersteVerzuimdag than on line 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Match(Input{AFAS: []Employee{tt.afas}, WithAbsences: true, XSAbsences: tt.abs}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
