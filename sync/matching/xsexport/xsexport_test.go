package xsexport

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/koppel-nl/koppel/sync/matching"
)

// validBSN is a synthetic BSN that passes the eleven-test.
func validBSN(n int) string {
	for base := 20000000 + 101*n; ; base++ {
		d := fmt.Sprintf("%08d", base)
		sum := 0
		for i := 0; i < 8; i++ {
			sum += (9 - i) * int(d[i]-'0')
		}
		if c := sum % 11; c < 10 {
			return d + string(rune('0'+c))
		}
	}
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func problemTexts(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	return out
}

func TestReadEmployees(t *testing.T) {
	b1, b2 := validBSN(1), validBSN(2)
	tests := []struct {
		name  string
		in    string
		want  []matching.XSEmployee
		probs []string
	}{
		{"semicolons, all columns",
			"WerkgeverCode;Personeelsnummer;BSN;Achternaam;Voorletters;Geboortedatum\n" +
				"ACME;1;" + b1 + ";de Vries;A.;01-02-1980\n" +
				"ACME;2;;Bos;B.;1975-12-31\n",
			[]matching.XSEmployee{
				{WerkgeverCode: "ACME", Personeelsnummer: "1", BSN: b1, Achternaam: "de Vries", Voorletters: "A.", Geboortedatum: date("1980-02-01"), Line: 2},
				{WerkgeverCode: "ACME", Personeelsnummer: "2", Achternaam: "Bos", Voorletters: "B.", Geboortedatum: date("1975-12-31"), Line: 3},
			}, nil},
		{"commas, BOM, quoted value with a comma, CRLF, columns in another order and spelling",
			"\uFEFFgeboorte_datum,ACHTERNAAM,Werkgever Code,personeels_nummer,Voorletters,bsn,Extra\r\n" +
				"1-2-1980,\"Vries, de\",ACME,1,A.," + b2 + ",x\r\n",
			[]matching.XSEmployee{{WerkgeverCode: "ACME", Personeelsnummer: "1", BSN: b2, Achternaam: "Vries, de", Voorletters: "A.", Geboortedatum: date("1980-02-01"), Line: 2}},
			nil},
		{"spaces around values are trimmed",
			"WerkgeverCode;Personeelsnummer;Achternaam\n ACME ; 7 ;  Bos \n",
			[]matching.XSEmployee{{WerkgeverCode: "ACME", Personeelsnummer: "7", Achternaam: "Bos", Line: 2}},
			[]string{"x.csv line 1: no column BSN: the rows are read without it",
				"x.csv line 1: no column Voorletters: the rows are read without it",
				"x.csv line 1: no column Geboortedatum: the rows are read without it"}},
		{"unreadable rows are skipped with their line",
			"WerkgeverCode;Personeelsnummer;Geboortedatum\n" +
				"ACME;1;31-02-1980\n" +
				";2;01-01-1990\n" +
				"ACME;;01-01-1990\n" +
				"ACME;3\n" +
				"ACME;4;01/01/1990\n" +
				";;\n" +
				"\n" +
				"ACME;5;1990-01-01\n" +
				"ACME;5;1990-01-01\n" +
				"ACME;6;" + b1 + "\n",
			[]matching.XSEmployee{{WerkgeverCode: "ACME", Personeelsnummer: "5", Geboortedatum: date("1990-01-01"), Line: 9}},
			[]string{
				"x.csv line 1: no column BSN: the rows are read without it",
				"x.csv line 1: no column Achternaam: the rows are read without it",
				"x.csv line 1: no column Voorletters: the rows are read without it",
				`x.csv line 2, column 3 (Geboortedatum): "31-02-1980" is not a date; expected DD-MM-YYYY or YYYY-MM-DD; row skipped`,
				"x.csv line 3, column 1 (WerkgeverCode): empty; every row needs WerkgeverCode and Personeelsnummer (the key); row skipped",
				"x.csv line 4, column 2 (Personeelsnummer): empty; every row needs WerkgeverCode and Personeelsnummer (the key); row skipped",
				`x.csv line 5: 2 fields, the header row has 3; check the separator (';') and the quotes in this row; row skipped`,
				`x.csv line 6, column 3 (Geboortedatum): "01/01/1990" is not a date; expected DD-MM-YYYY or YYYY-MM-DD; row skipped`,
				"x.csv line 10: a second row for employee ACME/5 (first on line 9); row skipped",
				"x.csv line 11, column 3 (Geboortedatum): the value (not shown: it may be a BSN) is not a date; expected DD-MM-YYYY or YYYY-MM-DD; row skipped",
			}},
		{"a broken quote skips its row only",
			"WerkgeverCode;Personeelsnummer;Achternaam;BSN;Voorletters;Geboortedatum\n" +
				"ACME;1;O\"Brien;;;\n" +
				"ACME;2;Bos;;;\n",
			[]matching.XSEmployee{{WerkgeverCode: "ACME", Personeelsnummer: "2", Achternaam: "Bos", Line: 3}},
			[]string{`x.csv line 2: cannot be read as CSV (bare " in non-quoted-field); check the quotes in this row; row skipped`}},
		{"a value over two lines keeps the line numbers right",
			"WerkgeverCode;Personeelsnummer;Achternaam;BSN;Voorletters;Geboortedatum\n" +
				"ACME;1;\"Bos\nBos\";;;\n" +
				"ACME;2;Bos;;;xx\n",
			[]matching.XSEmployee{{WerkgeverCode: "ACME", Personeelsnummer: "1", Achternaam: "Bos\nBos", Line: 2}},
			[]string{`x.csv line 4, column 6 (Geboortedatum): "xx" is not a date; expected DD-MM-YYYY or YYYY-MM-DD; row skipped`}},
		{"header only", "WerkgeverCode;Personeelsnummer;BSN;Achternaam;Voorletters;Geboortedatum", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, probs, err := ReadEmployees(strings.NewReader(tt.in), "x.csv")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", fmt.Sprint(got), fmt.Sprint(tt.want))
				for i := range got {
					t.Logf("%d: %+v", i, []any{got[i].WerkgeverCode, got[i].Personeelsnummer, got[i].Achternaam, got[i].Voorletters, got[i].Geboortedatum, got[i].Line, got[i].BSN == ""})
				}
			}
			if texts := problemTexts(probs); !reflect.DeepEqual(texts, tt.probs) {
				t.Errorf("problems\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(tt.probs, "\n"))
			}
		})
	}
}

func TestMissingColumns(t *testing.T) {
	tests := []struct {
		name, in string
		read     func(string) error
		missing  []string
		msg      string
	}{
		{"employees without the key", "Achternaam;BSN\nBos;1\n", employees, []string{"WerkgeverCode", "Personeelsnummer"},
			"x.csv: missing column(s) WerkgeverCode, Personeelsnummer in the header row (names are matched ignoring case, spaces and _; found: Achternaam, BSN)"},
		{"employees without Personeelsnummer", "WerkgeverCode,Medewerker\n", employees, []string{"Personeelsnummer"}, ""},
		{"an empty file", "", employees, []string{"WerkgeverCode", "Personeelsnummer"},
			"x.csv: missing column(s) WerkgeverCode, Personeelsnummer in the header row (names are matched ignoring case, spaces and _; no header row)"},
		{"absences without the first day", "WerkgeverCode;Personeelsnummer;VerzuimId\n", absences, []string{"EersteVerzuimdag"}, ""},
		{"absences without VerzuimId", "WerkgeverCode;Personeelsnummer;Eerste_verzuimdag\n", absences, []string{"VerzuimId"}, ""},
		{"absences: an empty file", "", absences, []string{"WerkgeverCode", "Personeelsnummer", "VerzuimId", "EersteVerzuimdag"}, ""},
		{"decisions without the AFAS key", "PersoneelsnummerXS;WerkgeverCodeXS\n", decisions, []string{"Personeelsnummer", "WerkgeverCode"}, ""},
		{"decisions without a header", "12;ACME;12;ACME\n", decisions, []string{"PersoneelsnummerXS", "WerkgeverCodeXS", "Personeelsnummer", "WerkgeverCode"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.read(tt.in)
			var mc *MissingColumnsError
			if !errors.As(err, &mc) {
				t.Fatalf("error %v, want *MissingColumnsError", err)
			}
			if mc.File != "x.csv" || !reflect.DeepEqual(mc.Columns, tt.missing) {
				t.Errorf("got %+v, want columns %v", mc, tt.missing)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message %q\nwant    %q", err.Error(), tt.msg)
			}
		})
	}
}

func employees(s string) error {
	_, _, err := ReadEmployees(strings.NewReader(s), "x.csv")
	return err
}

func absences(s string) error {
	_, _, err := ReadAbsences(strings.NewReader(s), "x.csv")
	return err
}

func decisions(s string) error {
	_, _, err := ReadDecisions(strings.NewReader(s), "x.csv")
	return err
}

func TestHeaderErrors(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"WerkgeverCode;Personeelsnummer;werkgever_code\n", "x.csv: column WerkgeverCode occurs 2 times in the header row (columns [1 3]); keep one"},
		{"WerkgeverCode;Personeelsnummer;BSN;B S N\n", "x.csv: column BSN occurs 2 times in the header row (columns [3 4]); keep one"},
		{"WerkgeverCode;\"Personeelsnummer\n", "x.csv: the header row cannot be read"},
	} {
		err := employees(tt.in)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.in, err, tt.want)
		}
	}
	// A read error is an error, not a problem.
	_, _, err := ReadEmployees(iotest.ErrReader(errors.New("disk gone")), "x.csv")
	if err == nil || !strings.Contains(err.Error(), "read x.csv: disk gone") {
		t.Errorf("error %v", err)
	}
	r := io.MultiReader(strings.NewReader("WerkgeverCode;Personeelsnummer\nACME;1\n"), iotest.ErrReader(errors.New("connection lost")))
	_, _, err = ReadEmployees(r, "x.csv")
	if err == nil || !strings.Contains(err.Error(), "read x.csv: connection lost") {
		t.Errorf("error %v", err)
	}
}

func TestSeparator(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   rune
	}{
		{"a;b;c", ';'}, {"a,b,c", ','}, {"a;b,c", ';'}, {"a", ';'}, {"\"a;b\",c", ','}, {"\"x,y\";b", ';'}, {"a,b;c,d", ','},
	} {
		if got := detectSeparator(tt.header); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.header, got, tt.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" zero, "!" error
	}{
		{"1980-02-01", "1980-02-01"}, {"01-02-1980", "1980-02-01"}, {"1-2-1980", "1980-02-01"}, {"1980-2-1", "1980-02-01"},
		{" 31-12-1999 ", "1999-12-31"}, {"", ""}, {"  ", ""},
		{"29-02-2023", "!"}, {"2023-02-29", "!"}, {"01-02-80", "!"}, {"1980/02/01", "!"}, {"01.02.1980", "!"},
		{"1980-02-01T00:00:00", "!"}, {"1980", "!"}, {"1980-", "!"}, {"1-1", "!"}, {"19800201", "!"}, {"morgen", "!"}, {"12345-1-1", "!"},
	} {
		got, err := ParseDate(tt.in)
		switch {
		case tt.want == "!":
			if err == nil || !strings.Contains(err.Error(), "expected DD-MM-YYYY or YYYY-MM-DD") {
				t.Errorf("%q: %v, %v; want an error naming the forms", tt.in, got, err)
			}
		case tt.want == "":
			if err != nil || !got.IsZero() {
				t.Errorf("%q: %v, %v; want the zero time", tt.in, got, err)
			}
		default:
			if err != nil || got.Format("2006-01-02") != tt.want {
				t.Errorf("%q: %v, %v; want %s", tt.in, got, err, tt.want)
			}
		}
	}
}

func TestShownHidesBSNs(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"xx", `"xx"`}, {"1234567", `"1234567"`}, {"12345678", "the value (not shown: it may be a BSN)"},
		{validBSN(3), "the value (not shown: it may be a BSN)"}, {"12.34.56.789", "the value (not shown: it may be a BSN)"},
		{"1234 5678", "the value (not shown: it may be a BSN)"}, {"31-02-1980", `"31-02-1980"`}, {"1234-5678", `"1234-5678"`}, {"1234567x1", `"1234567x1"`},
	} {
		if got := shown(tt.in); got != tt.want {
			t.Errorf("shown(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestReadAbsences(t *testing.T) {
	in := "WerkgeverCode;Personeelsnummer;VerzuimId;EersteVerzuimdag\n" +
		"ACME;1;V1;04-03-2024\n" +
		"ACME;1;V1;2024-03-04\n" + // a second progress row of V1: merged
		"ACME;1;V2;\n" + // no first day: kept, it never matches
		"ACME;1;V1;05-03-2024\n" + // V1 with another first day
		"ACME;2;;04-03-2024\n" +
		"ACME;2;V3;4 maart\n" +
		"ACME;2;V1;04-03-2024\n" // V1 of another employee
	got, probs, err := ReadAbsences(strings.NewReader(in), "v.csv")
	if err != nil {
		t.Fatal(err)
	}
	want := []matching.XSAbsence{
		{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V1", EersteVerzuimdag: date("2024-03-04"), Line: 2},
		{WerkgeverCode: "ACME", Personeelsnummer: "1", VerzuimID: "V2", Line: 4},
		{WerkgeverCode: "ACME", Personeelsnummer: "2", VerzuimID: "V1", EersteVerzuimdag: date("2024-03-04"), Line: 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	wantProbs := []string{
		"v.csv line 5, column 4 (EersteVerzuimdag): absence V1 of employee ACME/1 has another first day on line 2; row skipped",
		"v.csv line 6, column 3 (VerzuimId): empty; every row needs WerkgeverCode and Personeelsnummer and VerzuimId (the key); row skipped",
		`v.csv line 7, column 4 (EersteVerzuimdag): "4 maart" is not a date; expected DD-MM-YYYY or YYYY-MM-DD; row skipped`,
	}
	if texts := problemTexts(probs); !reflect.DeepEqual(texts, wantProbs) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(wantProbs, "\n"))
	}
}

func TestReadDecisions(t *testing.T) {
	in := "\uFEFFPersoneelsnummerXS;WerkgeverCodeXS;Personeelsnummer;WerkgeverCode\n" +
		"0012;ACME;12;ACME\n" +
		"0077;ACME;;\n" +
		"0012;ACME;12;ACME\n" + // repeated: fine
		"0033;ACME;33;\n" +
		"0034;ACME;;ACME\n" +
		";ACME;1;ACME\n" +
		"0040;ACME;40;ACME\n" +
		"0040;ACME;;\n" + // contradicts line 8: both skipped
		"0041;ACME;41;ACME\n"
	got, probs, err := ReadDecisions(strings.NewReader(in), "d.csv")
	if err != nil {
		t.Fatal(err)
	}
	key := func(w, p string) matching.Key { return matching.Key{WerkgeverCode: w, Personeelsnummer: p} }
	want := []matching.Decision{
		{XS: key("ACME", "0012"), AFAS: key("ACME", "12")},
		{XS: key("ACME", "0077")},
		{XS: key("ACME", "0041"), AFAS: key("ACME", "41")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	wantProbs := []string{
		"d.csv line 5, column 4 (WerkgeverCode): empty while Personeelsnummer is set; give both AFAS columns to match, or leave both empty to leave XS employee ACME/0033 unmatched; row skipped",
		"d.csv line 6, column 3 (Personeelsnummer): empty while WerkgeverCode is set; give both AFAS columns to match, or leave both empty to leave XS employee ACME/0034 unmatched; row skipped",
		"d.csv line 7, column 1 (PersoneelsnummerXS): empty; every row needs WerkgeverCodeXS and PersoneelsnummerXS (the key); row skipped",
		"d.csv line 9: XS employee ACME/0040 has another decision on line 8; both rows skipped, keep one",
	}
	if texts := problemTexts(probs); !reflect.DeepEqual(texts, wantProbs) {
		t.Errorf("problems\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(wantProbs, "\n"))
	}
	// Comma-separated works too; an XS employer is required.
	got, probs, err = ReadDecisions(strings.NewReader("werkgevercodexs,personeelsnummerxs,werkgevercode,personeelsnummer\nACME,1,ACME,2\n,3,ACME,2\n"), "d.csv")
	if err != nil || len(got) != 1 || got[0] != (matching.Decision{XS: key("ACME", "1"), AFAS: key("ACME", "2")}) {
		t.Errorf("got %v, %v", got, err)
	}
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "line 3, column 1 (WerkgeverCodeXS): empty") {
		t.Errorf("problems %v", probs)
	}
}

func TestReadersFailOnBrokenHeader(t *testing.T) {
	for name, read := range map[string]func(string) error{"absences": absences, "decisions": decisions} {
		if err := read("a;\"b\n"); err == nil || !strings.Contains(err.Error(), "the header row cannot be read") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Problems never show a BSN, whatever column it ends up in.
func TestProblemsHideBSNs(t *testing.T) {
	b := validBSN(9)
	in := "WerkgeverCode;Personeelsnummer;BSN;Geboortedatum\nACME;1;" + b + ";" + b + "\nACME;;" + b + ";\nACME;2;" + b + "\n"
	_, probs, err := ReadEmployees(strings.NewReader(in), "x.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(probs) != 5 {
		t.Fatalf("problems %v", probs)
	}
	for _, p := range probs {
		if strings.Contains(p.Error(), b) || strings.Contains(p.String(), b) || strings.Contains(fmt.Sprintf("%v %+v", p, p), b) {
			t.Errorf("problem shows the BSN: %v", p)
		}
	}
}
