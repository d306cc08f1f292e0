package xsexport

import (
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/i18n"
)

// Every problem is said in the catalog's terms too, so a Dutch screen never shows English, and
// its arguments never hold a value that may be a BSN.
func TestEveryProblemHasACatalogCode(t *testing.T) {
	bsn := validBSN(3)
	emps := "\uFEFFWerkgeverCode;Personeelsnummer;BSN;Geboortedatum\n" +
		"ACME;;" + bsn + ";1980-01-01\n" + // empty key
		"ACME;2;;" + bsn + "\n" + // a BSN where a date belongs
		"ACME;3;;31-02-1980\n" + // not a date
		"ACME;4\n" + // too few fields
		"ACME;6;;1980-01-01\nACME;6;;1980-01-01\n" + // twice
		"ACME;5;\"x;1980-01-01\n" // unbalanced quote
	_, probs, err := ReadEmployees(strings.NewReader(emps), "e.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, dprobs, err := ReadDecisions(strings.NewReader("PersoneelsnummerXS;WerkgeverCodeXS;Personeelsnummer;WerkgeverCode\n1;ACME;1;\n2;ACME;2;ACME\n2;ACME;3;ACME\n"), "d.csv")
	if err != nil {
		t.Fatal(err)
	}
	_, aprobs, err := ReadAbsences(strings.NewReader("WerkgeverCode;Personeelsnummer;VerzuimId;EersteVerzuimdag\nACME;1;9;2024-01-01\nACME;1;9;2024-02-01\n"), "a.csv")
	if err != nil {
		t.Fatal(err)
	}
	all := append(append(probs, dprobs...), aprobs...)
	codes := map[string]bool{}
	for _, p := range all {
		if p.Code == "" || !i18n.Has(p.Code) {
			t.Errorf("problem %q has no catalog code (%q)", p.Msg, p.Code)
		}
		codes[p.Code] = true
		for _, a := range p.Args {
			if strings.Contains(a, bsn) {
				t.Errorf("%s: an argument holds a BSN", p.Code)
			}
		}
		if strings.Contains(i18n.NL.T(p.Code, p.Args...), "row skipped") {
			t.Errorf("%s: English in Dutch", p.Code)
		}
	}
	for _, c := range []string{"xs.key_empty", "xs.date", "xs.fields", "xs.second_row", "xs.no_column", "xs.decision_half", "xs.decision_twice", "xs.absence_first_day"} {
		if !codes[c] {
			t.Errorf("no problem with code %s: %v", c, all)
		}
	}
}
