package matching

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The reference scenario: one pair of each kind.
func scenario(t *testing.T, opt Options) *Result {
	t.Helper()
	return mustMatch(t, Input{
		AFAS: []Employee{
			emp("1"), // sleutel
			emp("2", withBSN(bsn(2)), afasName("Bos")),   // bsn with X2
			emp("3", afasName("Wit")),                    // naam candidate with X3
			emp("4", withBSN(bsn(4)), afasName("Groen")), // conflict with 4
			emp("5", withBSN(bsn(5)), afasName("Rood")),  // ambiguous with X5a, X5b
			emp("6", afasName("Zwart")),                  // AFAS only
		},
		XS: []XSEmployee{
			xs("1", xsName("Anders")),
			xs("X2", xsBSN(bsn(2)), xsName("Anders")),
			xs("X3", xsName("Wit")),
			xs("4", xsBSN(bsn(40)), xsName("Groen")),
			xs("X5a", xsBSN(bsn(5)), xsName("Rood")),
			xs("X5b", xsBSN(bsn(5)), xsName("Rood")),
			xs("X7", xsName("Blauw")), // XS only
		},
	}, opt)
}

func TestRapport(t *testing.T) {
	res := scenario(t, Options{})
	var buf bytes.Buffer
	if err := WriteRapport(&buf, res.Rapport()); err != nil {
		t.Fatal(err)
	}
	want := "Bron;WerkgeverCode;Personeelsnummer;Uitkomst;Methode;WerkgeverCodeAnder;PersoneelsnummerAnder\r\n" +
		"afas;ACME;1;gekoppeld;sleutel;ACME;1\r\n" +
		"afas;ACME;2;gekoppeld;bsn;ACME;X2\r\n" +
		"afas;ACME;3;kandidaat;naam;ACME;X3\r\n" +
		"afas;ACME;4;conflict;sleutel;ACME;4\r\n" +
		"afas;ACME;5;dubbelzinnig;bsn;ACME;X5a\r\n" +
		"afas;ACME;5;dubbelzinnig;bsn;ACME;X5b\r\n" +
		"afas;ACME;6;alleen-afas;;;\r\n" +
		"xs;ACME;1;gekoppeld;sleutel;ACME;1\r\n" +
		"xs;ACME;4;conflict;sleutel;ACME;4\r\n" +
		"xs;ACME;X2;gekoppeld;bsn;ACME;2\r\n" +
		"xs;ACME;X3;kandidaat;naam;ACME;3\r\n" +
		"xs;ACME;X5a;dubbelzinnig;bsn;ACME;5\r\n" +
		"xs;ACME;X5b;dubbelzinnig;bsn;ACME;5\r\n" +
		"xs;ACME;X7;alleen-xs;;;\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestSummary(t *testing.T) {
	res := scenario(t, Options{})
	m := res.Summary.Medewerkers
	want := Counts{Gekoppeld: 2, PerMethode: map[Method]int{Sleutel: 1, BSN: 1, Naam: 0, Besluit: 0}, Kandidaat: 1, Conflict: 1,
		Dubbelzinnig: 3, DubbelzinnigPerMethode: map[Method]int{BSN: 3}, AlleenAFAS: 1, AlleenXS: 1}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
	if !res.Pending() {
		t.Error("candidates, conflicts and ambiguous records wait")
	}
	res = scenario(t, Options{AcceptCandidates: true, Decisions: []Decision{dec("4", "4"), dec("X5a", "5"), dec("X5b", "")}})
	m = res.Summary.Medewerkers
	want = Counts{Gekoppeld: 5, PerMethode: map[Method]int{Sleutel: 1, BSN: 1, Naam: 1, Besluit: 2}, DubbelzinnigPerMethode: map[Method]int{},
		AlleenAFAS: 1, AlleenXS: 2}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got  %+v\nwant %+v", m, want)
	}
	if res.Pending() {
		t.Error("nothing waits")
	}
}

func TestPendingPerOutcome(t *testing.T) {
	for _, c := range []Counts{{Kandidaat: 1}, {Conflict: 1}, {Dubbelzinnig: 2}} {
		if !(Summary{Medewerkers: c}).Pending() {
			t.Errorf("%+v: not pending", c)
		}
	}
	if (Summary{Medewerkers: Counts{Gekoppeld: 3, AlleenAFAS: 1, AlleenXS: 1}}).Pending() {
		t.Error("pending without open records")
	}
}

func TestKoppeltabelWriter(t *testing.T) {
	rows := []KoppelRow{
		{Entiteit: "verzuim", WerkgeverCodeXS: "A", PersoneelsnummerXS: "1", VerzuimIdXS: "V2", WerkgeverCode: "A", Personeelsnummer: "1", VerzuimId: "9", Methode: Datum},
		{Entiteit: "verzuim", WerkgeverCodeXS: "A", PersoneelsnummerXS: "1", VerzuimIdXS: "V1", WerkgeverCode: "A", Personeelsnummer: "1", VerzuimId: "8", Methode: Datum},
		{Entiteit: "medewerker", WerkgeverCodeXS: "B", PersoneelsnummerXS: "x;y", WerkgeverCode: "B", Personeelsnummer: "1", Methode: BSN},
		{Entiteit: "medewerker", WerkgeverCodeXS: "A", PersoneelsnummerXS: "2", WerkgeverCode: "A", Personeelsnummer: "\"3\"", Methode: Besluit},
	}
	orig := append([]KoppelRow(nil), rows...)
	var buf bytes.Buffer
	if err := WriteKoppeltabel(&buf, rows); err != nil {
		t.Fatal(err)
	}
	want := "Entiteit;WerkgeverCodeXS;PersoneelsnummerXS;VerzuimIdXS;WerkgeverCode;Personeelsnummer;VerzuimId;Methode\r\n" +
		"medewerker;A;2;;A;\"\"\"3\"\"\";;besluit\r\n" +
		"medewerker;B;\"x;y\";;B;1;;bsn\r\n" +
		"verzuim;A;1;V1;A;1;8;datum\r\n" +
		"verzuim;A;1;V2;A;1;9;datum\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !reflect.DeepEqual(rows, orig) {
		t.Error("the writer reordered the caller's rows")
	}
}

func TestRapportWriterSorts(t *testing.T) {
	rows := []RapportRow{
		{Bron: FromXS, WerkgeverCode: "A", Personeelsnummer: "1", Uitkomst: AlleenXS},
		{Bron: FromAFAS, WerkgeverCode: "B", Personeelsnummer: "1", Uitkomst: Dubbelzinnig, Methode: Naam, WerkgeverCodeAnder: "B", PersoneelsnummerAnder: "y"},
		{Bron: FromAFAS, WerkgeverCode: "B", Personeelsnummer: "1", Uitkomst: Dubbelzinnig, Methode: Naam, WerkgeverCodeAnder: "A", PersoneelsnummerAnder: "z"},
		{Bron: FromAFAS, WerkgeverCode: "A", Personeelsnummer: "2", Uitkomst: AlleenAFAS},
		{Bron: FromAFAS, WerkgeverCode: "A", Personeelsnummer: "10", Uitkomst: AlleenAFAS},
	}
	var buf bytes.Buffer
	if err := WriteRapport(&buf, rows); err != nil {
		t.Fatal(err)
	}
	want := "Bron;WerkgeverCode;Personeelsnummer;Uitkomst;Methode;WerkgeverCodeAnder;PersoneelsnummerAnder\r\n" +
		"afas;A;10;alleen-afas;;;\r\n" +
		"afas;A;2;alleen-afas;;;\r\n" +
		"afas;B;1;dubbelzinnig;naam;A;z\r\n" +
		"afas;B;1;dubbelzinnig;naam;B;y\r\n" +
		"xs;A;1;alleen-xs;;;\r\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

type failWriter struct{ after int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	// csv.Writer buffers 4 KiB: a write error shows when it flushes.
	many := make([]RapportRow, 200)
	for i := range many {
		many[i] = RapportRow{Bron: FromAFAS, WerkgeverCode: "ACME", Personeelsnummer: strings.Repeat("9", 30), Uitkomst: AlleenAFAS}
	}
	for _, after := range []int{0, 1} {
		err := WriteRapport(&failWriter{after: after}, many)
		if err == nil || !strings.Contains(err.Error(), "write matchrapport.csv: disk full") {
			t.Errorf("after %d writes: error %v", after, err)
		}
	}
	if err := WriteKoppeltabel(&failWriter{}, nil); err == nil || !strings.Contains(err.Error(), "write koppeltabel.csv") {
		t.Errorf("error %v", err)
	}
	if err := WriteRapport(&failWriter{}, nil); err == nil {
		t.Error("no error for a header that cannot be written")
	}
}

func TestColumns(t *testing.T) {
	if got := strings.Join(KoppeltabelColumns(), ";"); got != "Entiteit;WerkgeverCodeXS;PersoneelsnummerXS;VerzuimIdXS;WerkgeverCode;Personeelsnummer;VerzuimId;Methode" {
		t.Errorf("koppeltabel header %s", got)
	}
	if got := strings.Join(RapportColumns(), ";"); got != "Bron;WerkgeverCode;Personeelsnummer;Uitkomst;Methode;WerkgeverCodeAnder;PersoneelsnummerAnder" {
		t.Errorf("rapport header %s", got)
	}
	if KoppeltabelFile != "koppeltabel.csv" || RapportFile != "matchrapport.csv" {
		t.Error("file names")
	}
}
