package columns

import (
	"reflect"
	"strings"
	"testing"
)

var std = strings.Split("WerkgeverCode;Personeelsnummer;Roepnaam;Achternaam;Dienstverband", ";")
var keys = []string{"WerkgeverCode", "Personeelsnummer", "Dienstverband"}
var row = []string{"ZBV", "100001", "Sam", "Linden", "1"}

func TestLayouts(t *testing.T) {
	tests := []struct {
		name   string
		c      Config
		header string
		row    string
	}{
		{"none", Config{}, "WerkgeverCode;Personeelsnummer;Roepnaam;Achternaam;Dienstverband", "ZBV;100001;Sam;Linden;1"},
		{"rename", Config{Rename: map[string]string{"Personeelsnummer": "Werknemer_Personeelsnummer"}}, "WerkgeverCode;Werknemer_Personeelsnummer;Roepnaam;Achternaam;Dienstverband", "ZBV;100001;Sam;Linden;1"},
		{"omit", Config{Omit: []string{"Roepnaam"}}, "WerkgeverCode;Personeelsnummer;Achternaam;Dienstverband", "ZBV;100001;Linden;1"},
		{"add at the end", Config{Add: map[string]string{"Bron": "AFAS", "Afzender": "koppel"}}, "WerkgeverCode;Personeelsnummer;Roepnaam;Achternaam;Dienstverband;Afzender;Bron", "ZBV;100001;Sam;Linden;1;koppel;AFAS"},
		{"order the first column", Config{Order: []string{"WerkgeverCode"}}, "WerkgeverCode;Personeelsnummer;Roepnaam;Achternaam;Dienstverband", "ZBV;100001;Sam;Linden;1"},
		{"order", Config{Order: []string{"Dienstverband", "Achternaam"}}, "Dienstverband;Achternaam;WerkgeverCode;Personeelsnummer;Roepnaam", "1;Linden;ZBV;100001;Sam"},
		{"order by the new names", Config{Rename: map[string]string{"Personeelsnummer": "PN"}, Add: map[string]string{"Bron": "AFAS"}, Order: []string{"Bron", "PN"}}, "Bron;PN;WerkgeverCode;Roepnaam;Achternaam;Dienstverband", "AFAS;100001;ZBV;Sam;Linden;1"},
		{"swap two names", Config{Rename: map[string]string{"Roepnaam": "Achternaam", "Achternaam": "Roepnaam"}}, "WerkgeverCode;Personeelsnummer;Achternaam;Roepnaam;Dienstverband", "ZBV;100001;Sam;Linden;1"},
		{"rename onto an omitted name", Config{Omit: []string{"Achternaam"}, Rename: map[string]string{"Roepnaam": "Achternaam"}}, "WerkgeverCode;Personeelsnummer;Achternaam;Dienstverband", "ZBV;100001;Sam;1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ps := New(std, keys, tc.c)
			if len(ps) > 0 {
				t.Fatalf("problems %v", ps)
			}
			if got := strings.Join(l.Header(), ";"); got != tc.header {
				t.Errorf("header %s\n  want %s", got, tc.header)
			}
			if got := strings.Join(l.Row(row, nil), ";"); got != tc.row {
				t.Errorf("row %s\n  want %s", got, tc.row)
			}
			// Source fills a row as Row does.
			bySource := make([]string, l.Width())
			for i := range bySource {
				if col, fixed := l.Source(i); col < 0 {
					bySource[i] = fixed
				} else {
					bySource[i] = row[col]
				}
			}
			if got := strings.Join(bySource, ";"); got != tc.row {
				t.Errorf("row by Source %s\n  want %s", got, tc.row)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		want []Problem
	}{
		{"omit a key", Config{Omit: []string{"Personeelsnummer"}}, []Problem{{"omit", "key", "Personeelsnummer"}}},
		{"omit unknown", Config{Omit: []string{"Leeftijd"}}, []Problem{{"omit", "unknown", "Leeftijd"}}},
		{"rename unknown", Config{Rename: map[string]string{"Leeftijd": "X"}}, []Problem{{"rename.Leeftijd", "unknown", "Leeftijd"}}},
		{"rename onto an existing name", Config{Rename: map[string]string{"Roepnaam": "Achternaam"}}, []Problem{{"rename.Roepnaam", "onto", "Achternaam"}}},
		{"rename to empty", Config{Rename: map[string]string{"Roepnaam": " "}}, []Problem{{"rename.Roepnaam", "empty", " "}}},
		{"two renames to one name", Config{Rename: map[string]string{"Roepnaam": "Naam", "Achternaam": "Naam"}}, []Problem{{"", "duplicate", "Naam"}}},
		{"add an existing name", Config{Add: map[string]string{"Roepnaam": "x"}}, []Problem{{"", "duplicate", "Roepnaam"}}},
		{"add an empty name", Config{Add: map[string]string{"": "x"}}, []Problem{{"add", "empty", ""}}},
		{"order unknown", Config{Order: []string{"Leeftijd"}}, []Problem{{"order", "unknown", "Leeftijd"}}},
		{"order twice", Config{Order: []string{"Roepnaam", "Roepnaam"}}, []Problem{{"order", "duplicate", "Roepnaam"}}},
		{"order by the old name of a renamed column", Config{Rename: map[string]string{"Roepnaam": "Voornaam"}, Order: []string{"Roepnaam"}}, []Problem{{"order", "unknown", "Roepnaam"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, ps := New(std, keys, tc.c)
			if !reflect.DeepEqual(ps, tc.want) || l != nil {
				t.Errorf("problems %v, layout %v; want %v", ps, l, tc.want)
			}
		})
	}
}

func TestIndex(t *testing.T) {
	l, _ := New(std, keys, Config{Omit: []string{"Roepnaam"}, Order: []string{"Dienstverband"}})
	if l.Index(4) != 0 || l.Index(2) != -1 || l.Index(0) != 1 {
		t.Errorf("index: %d %d %d", l.Index(4), l.Index(2), l.Index(0))
	}
}
