package matching

import (
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// Method sleutel: same key, unless both valid BSNs differ (conflict).
func TestSleutel(t *testing.T) {
	tests := []struct {
		name      string
		afasBSN   string
		xsBSN     string
		want      string
		wantFirst string // XS record
	}{
		{"no BSNs", "", "", "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"same BSN", bsn(1), bsn(1), "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"same BSN, eight digits in XS", "0" + bsn8(1), bsn8(1), "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"different valid BSNs", bsn(1), bsn(2), "conflict/sleutel>1", "conflict/sleutel>1"},
		{"XS BSN fails the eleven-test", bsn(1), "123456789", "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"AFAS BSN fails the eleven-test", "111222334", bsn(2), "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"AFAS BSN empty", "", bsn(2), "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
		{"XS BSN empty", bsn(1), "", "gekoppeld/sleutel>1", "gekoppeld/sleutel>1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Names differ, so only the key can pair them.
			res := mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN(tt.afasBSN))}, XS: []XSEmployee{xs("1", xsBSN(tt.xsBSN), xsName("Pietersen"))}}, Options{})
			if got := outcome(res, FromAFAS, "1"); got != tt.want {
				t.Errorf("AFAS record: %s, want %s", got, tt.want)
			}
			if got := outcome(res, FromXS, "1"); got != tt.wantFirst {
				t.Errorf("XS record: %s, want %s", got, tt.wantFirst)
			}
			if rows := res.Koppeltabel(); len(rows) != 0 {
				t.Errorf("a sleutel pair has nothing to renumber, got koppeltabel %v", rows)
			}
		})
	}
}

// The key is both parts: same Personeelsnummer at another employer is no sleutel pair.
func TestSleutelNeedsBothParts(t *testing.T) {
	other := xs("1", xsName("Pietersen"))
	other.WerkgeverCode = "OTHER"
	res := mustMatch(t, Input{AFAS: []Employee{emp("1")}, XS: []XSEmployee{other}}, Options{})
	if got := outcomes(res); got != "afas:1=alleen-afas/ xs:1=alleen-xs/" {
		t.Errorf("got %s", got)
	}
	// Key parts are not concatenated: AB+C differs from A+BC.
	a := emp("C", afasName("Een"))
	a.WerkgeverCode = "AB"
	x := xs("BC", xsName("Twee"))
	x.WerkgeverCode = "A"
	res = mustMatch(t, Input{AFAS: []Employee{a}, XS: []XSEmployee{x}}, Options{})
	if got := outcomes(res); got != "afas:C=alleen-afas/ xs:BC=alleen-xs/" {
		t.Errorf("got %s", got)
	}
}

// Method bsn: same valid BSN, other keys.
func TestBSNMethod(t *testing.T) {
	tests := []struct {
		name          string
		afasBSN, xBSN string
		want          string
	}{
		{"same valid BSN", bsn(3), bsn(3), "gekoppeld/bsn>X1"},
		{"leading zero dropped in XS", "0" + bsn8(3), bsn8(3), "gekoppeld/bsn>X1"},
		{"leading zero dropped in AFAS", bsn8(3), "0" + bsn8(3), "gekoppeld/bsn>X1"},
		{"punctuation in the number", bsn(3)[:4] + "." + bsn(3)[4:], " " + bsn(3), "gekoppeld/bsn>X1"},
		{"same number failing the eleven-test", "123456789", "123456789", "alleen-afas/"},
		{"zeros", "000000000", "000000000", "alleen-afas/"},
		{"different BSNs", bsn(3), bsn(4), "alleen-afas/"},
		{"no BSN on either side", "", "", "alleen-afas/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN(tt.afasBSN))}, XS: []XSEmployee{xs("X1", xsBSN(tt.xBSN), xsName("Pietersen"))}}, Options{})
			if got := outcome(res, FromAFAS, "1"); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			rows := res.Koppeltabel()
			if matched := strings.HasPrefix(tt.want, "gekoppeld"); matched {
				want := KoppelRow{Entiteit: "medewerker", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "X1", WerkgeverCode: "ACME", Personeelsnummer: "1", Methode: BSN}
				if len(rows) != 1 || rows[0] != want {
					t.Errorf("koppeltabel %+v, want %+v", rows, want)
				}
			} else if len(rows) != 0 {
				t.Errorf("koppeltabel %+v, want none", rows)
			}
		})
	}
}

// Method naam: birth date, first initial and normalised surname, either AFAS surname form.
func TestNaam(t *testing.T) {
	partner := func(ng int64, pp, pn string) func(*Employee) {
		return func(e *Employee) { e.Naamgebruik, e.VoorvoegselPartner, e.GeboortenaamPartner = ng, pp, pn }
	}
	tests := []struct {
		name string
		afas []func(*Employee)
		xs   []func(*XSEmployee)
		want bool
	}{
		{"same", nil, nil, true},
		{"prefix written in Achternaam only in XS", nil, []func(*XSEmployee){xsName("Vries")}, true},
		{"case and reversed prefix", nil, []func(*XSEmployee){xsName("VRIES, DE")}, true},
		{"diacritics", []func(*Employee){afasName("Brügge")}, []func(*XSEmployee){xsName("Brugge")}, true},
		{"decomposed diacritics", []func(*Employee){afasName("Bru\u0308gge")}, []func(*XSEmployee){xsName("Brügge")}, true},
		{"punctuation", []func(*Employee){afasName("Van 't Hart")}, []func(*XSEmployee){xsName("Hart")}, true},
		{"other surname", nil, []func(*XSEmployee){xsName("de Wit")}, false},
		{"other birth date", nil, []func(*XSEmployee){xsBorn("1980-02-02")}, false},
		{"no birth date in XS", nil, []func(*XSEmployee){func(x *XSEmployee) { x.Geboortedatum = date("0001-01-01") }}, false},
		{"no birth date on either side", []func(*Employee){func(e *Employee) { e.Geboortedatum = date("0001-01-01") }},
			[]func(*XSEmployee){func(x *XSEmployee) { x.Geboortedatum = date("0001-01-01") }}, false},
		{"other first initial", nil, []func(*XSEmployee){xsInitials("B.A.")}, false},
		{"same first initial, other second", nil, []func(*XSEmployee){xsInitials("a.b.")}, true},
		{"first initial with diacritic", []func(*Employee){func(e *Employee) { e.Voorletters = "É." }}, []func(*XSEmployee){xsInitials("E")}, true},
		{"no initials on either side", []func(*Employee){func(e *Employee) { e.Voorletters = "" }}, []func(*XSEmployee){xsInitials("")}, false},
		{"no surname on either side", []func(*Employee){afasName("")}, []func(*XSEmployee){xsName("")}, false},
		{"Naamgebruik 1, XS has the delivered form", []func(*Employee){partner(1, "", "Jansen")}, []func(*XSEmployee){xsName("Jansen-de Vries")}, true},
		{"Naamgebruik 1, XS has the birth name", []func(*Employee){partner(1, "", "Jansen")}, []func(*XSEmployee){xsName("de Vries")}, true},
		{"Naamgebruik 2, XS has the partner's name", []func(*Employee){partner(2, "van", "Dam")}, []func(*XSEmployee){xsName("van Dam")}, true},
		{"Naamgebruik 2, XS has the birth name", []func(*Employee){partner(2, "van", "Dam")}, []func(*XSEmployee){xsName("Vries")}, true},
		{"Naamgebruik 3, XS has the delivered form", []func(*Employee){partner(3, "van der", "Berg")}, []func(*XSEmployee){xsName("de Vries - v.d. Berg")}, true},
		{"Naamgebruik 0 ignores the partner's name", []func(*Employee){partner(0, "van", "Dam")}, []func(*XSEmployee){xsName("van Dam")}, false},
		{"partner-first form is not own-first", []func(*Employee){partner(1, "", "Jansen")}, []func(*XSEmployee){xsName("de Vries-Jansen")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, Input{AFAS: []Employee{emp("1", tt.afas...)}, XS: []XSEmployee{xs("X1", tt.xs...)}}, Options{})
			want := "alleen-afas/"
			if tt.want {
				want = "kandidaat/naam>X1"
			}
			if got := outcome(res, FromAFAS, "1"); got != want {
				t.Errorf("AFAS record: %s, want %s", got, want)
			}
			if tt.want && outcome(res, FromXS, "X1") != "kandidaat/naam>1" {
				t.Errorf("XS record: %s", outcome(res, FromXS, "X1"))
			}
			if rows := res.Koppeltabel(); len(rows) != 0 {
				t.Errorf("a candidate is not matched until confirmed: koppeltabel %v", rows)
			}
		})
	}
}

func TestAcceptCandidates(t *testing.T) {
	in := Input{AFAS: []Employee{emp("1")}, XS: []XSEmployee{xs("X1")}}
	res := mustMatch(t, in, Options{AcceptCandidates: true})
	if got := outcomes(res); got != "afas:1=gekoppeld/naam>X1 xs:X1=gekoppeld/naam>1" {
		t.Errorf("got %s", got)
	}
	want := KoppelRow{Entiteit: "medewerker", WerkgeverCodeXS: "ACME", PersoneelsnummerXS: "X1", WerkgeverCode: "ACME", Personeelsnummer: "1", Methode: Naam}
	if rows := res.Koppeltabel(); len(rows) != 1 || rows[0] != want {
		t.Errorf("koppeltabel %+v", rows)
	}
	if len(res.Accepted) != 1 || res.Accepted[0] != (Decision{XS: Key{"ACME", "X1"}, AFAS: Key{"ACME", "1"}}) {
		t.Errorf("Accepted %v", res.Accepted)
	}
	if res.Pending() {
		t.Error("an accepted candidate waits for nothing")
	}
	// Accepting candidates does not accept ambiguous groups.
	res = mustMatch(t, Input{AFAS: []Employee{emp("1"), emp("2")}, XS: []XSEmployee{xs("X1")}}, Options{AcceptCandidates: true})
	if got := outcomes(res); got != "afas:1=dubbelzinnig/naam>X1 afas:2=dubbelzinnig/naam>X1 xs:X1=dubbelzinnig/naam>1,2" {
		t.Errorf("got %s", got)
	}
	if len(res.Accepted) != 0 {
		t.Errorf("Accepted %v", res.Accepted)
	}
}

// A candidate whose two valid BSNs differ is still a candidate, with a Waarschuwing.
func TestCandidateWithOtherBSN(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN(bsn(5)))}, XS: []XSEmployee{xs("X1", xsBSN(bsn(6)))}}, Options{})
	if got := outcome(res, FromXS, "X1"); got != "kandidaat/naam>1" {
		t.Errorf("got %s", got)
	}
	if !hasLog(res, runlog.Waarschuwing, LogCandidateBSNDiffers, "ACME/X1") {
		t.Errorf("no Waarschuwing for differing BSNs: %v", res.Logs)
	}
	for _, pair := range [][2]string{{bsn(5), ""}, {"", bsn(6)}} {
		res = mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN(pair[0]))}, XS: []XSEmployee{xs("X1", xsBSN(pair[1]))}}, Options{})
		if hasLog(res, runlog.Waarschuwing, LogCandidateBSNDiffers, "ACME/X1") {
			t.Errorf("Waarschuwing while one side has no BSN")
		}
	}
}

// A record with more than one possible partner makes its whole group ambiguous.
func TestAmbiguous(t *testing.T) {
	tests := []struct {
		name string
		afas []Employee
		xs   []XSEmployee
		want string
	}{
		{"two AFAS employees with one BSN (flex)",
			[]Employee{emp("1", withBSN(bsn(7)), afasName("Een")), emp("2", withBSN(bsn(7)), afasName("Twee"))},
			[]XSEmployee{xs("X1", xsBSN(bsn(7)), xsName("Drie"))},
			"afas:1=dubbelzinnig/bsn>X1 afas:2=dubbelzinnig/bsn>X1 xs:X1=dubbelzinnig/bsn>1,2"},
		{"two XS employees with one BSN",
			[]Employee{emp("1", withBSN(bsn(7)), afasName("Een"))},
			[]XSEmployee{xs("X1", xsBSN(bsn(7)), xsName("Twee")), xs("X2", xsBSN(bsn(7)), xsName("Drie"))},
			"afas:1=dubbelzinnig/bsn>X1,X2 xs:X1=dubbelzinnig/bsn>1 xs:X2=dubbelzinnig/bsn>1"},
		{"a chain of naam pairs is one group",
			// X1 fits 1 and 2 (same name, born the same day); X2 fits 2 only (birth name form).
			[]Employee{emp("1"), emp("2", func(e *Employee) { e.Naamgebruik, e.GeboortenaamPartner = 2, "Bos" })},
			[]XSEmployee{xs("X1"), xs("X2", xsName("Bos"))},
			"afas:1=dubbelzinnig/naam>X1 afas:2=dubbelzinnig/naam>X1,X2 xs:X1=dubbelzinnig/naam>1,2 xs:X2=dubbelzinnig/naam>2"},
		{"a separate group is not affected",
			[]Employee{emp("1"), emp("2"), emp("3", afasName("Bos"))},
			[]XSEmployee{xs("X1"), xs("X3", xsName("Bos"))},
			"afas:1=dubbelzinnig/naam>X1 afas:2=dubbelzinnig/naam>X1 afas:3=kandidaat/naam>X3 xs:X1=dubbelzinnig/naam>1,2 xs:X3=kandidaat/naam>3"},
		{"both surname forms of one employee are one partner",
			[]Employee{emp("1", func(e *Employee) { e.Naamgebruik, e.GeboortenaamPartner = 2, "Vries" })},
			[]XSEmployee{xs("X1")},
			"afas:1=kandidaat/naam>X1 xs:X1=kandidaat/naam>1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, Input{AFAS: tt.afas, XS: tt.xs}, Options{})
			if got := outcomes(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// The methods apply in order, each on what is left; conflicts and ambiguous records take no
// part in later methods.
func TestMethodOrder(t *testing.T) {
	tests := []struct {
		name string
		afas []Employee
		xs   []XSEmployee
		want string
	}{
		{"sleutel before bsn",
			[]Employee{emp("1", withBSN(bsn(8)))},
			[]XSEmployee{xs("1", xsName("Een")), xs("X2", xsBSN(bsn(8)), xsName("Twee"))},
			"afas:1=gekoppeld/sleutel>1 xs:1=gekoppeld/sleutel>1 xs:X2=alleen-xs/"},
		{"bsn before naam",
			[]Employee{emp("1", withBSN(bsn(8)), afasName("Een")), emp("2")},
			[]XSEmployee{xs("X1", xsBSN(bsn(8)))},
			"afas:1=gekoppeld/bsn>X1 afas:2=alleen-afas/ xs:X1=gekoppeld/bsn>1"},
		{"a conflict takes no part in bsn",
			[]Employee{emp("1", withBSN(bsn(8)), afasName("Een"))},
			[]XSEmployee{xs("1", xsBSN(bsn(9)), xsName("Twee")), xs("X2", xsBSN(bsn(8)), xsName("Drie"))},
			"afas:1=conflict/sleutel>1 xs:1=conflict/sleutel>1 xs:X2=alleen-xs/"},
		{"a conflict takes no part in naam",
			[]Employee{emp("1", withBSN(bsn(8)))},
			[]XSEmployee{xs("1", xsBSN(bsn(9)), xsName("Twee")), xs("X2")},
			"afas:1=conflict/sleutel>1 xs:1=conflict/sleutel>1 xs:X2=alleen-xs/"},
		{"ambiguous under bsn takes no part in naam",
			[]Employee{emp("1", withBSN(bsn(8))), emp("2", withBSN(bsn(8)), afasName("Twee"))},
			[]XSEmployee{xs("X1", xsBSN(bsn(8)), xsName("Drie")), xs("X2")},
			"afas:1=dubbelzinnig/bsn>X1 afas:2=dubbelzinnig/bsn>X1 xs:X1=dubbelzinnig/bsn>1,2 xs:X2=alleen-xs/"},
		{"a bsn pair removes a rival from naam",
			// X1 fits 1 by BSN and 2 by name; 2 then pairs with X2 by name alone.
			[]Employee{emp("1", withBSN(bsn(8)), afasName("Een")), emp("2")},
			[]XSEmployee{xs("X1", xsBSN(bsn(8))), xs("X2")},
			"afas:1=gekoppeld/bsn>X1 afas:2=kandidaat/naam>X2 xs:X1=gekoppeld/bsn>1 xs:X2=kandidaat/naam>2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustMatch(t, Input{AFAS: tt.afas, XS: tt.xs}, Options{})
			if got := outcomes(res); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestXSOnlyWarning(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("1")}, XS: []XSEmployee{xs("1"), xs("X2", xsName("Bos"))}}, Options{})
	if !hasLog(res, runlog.Waarschuwing, LogXSOnly, "ACME/X2") {
		t.Errorf("no Waarschuwing for the XS-only employee: %v", res.Logs)
	}
	if hasLog(res, runlog.Waarschuwing, LogXSOnly, "ACME/1") {
		t.Error("Waarschuwing for a matched employee")
	}
	if res.Summary.Medewerkers.AlleenXS != 1 {
		t.Errorf("summary %+v", res.Summary.Medewerkers)
	}
}

func TestInvalidBSNMelding(t *testing.T) {
	res := mustMatch(t, Input{AFAS: []Employee{emp("1", withBSN("123456789")), emp("2", withBSN(bsn(1)), afasName("Bos"))},
		XS: []XSEmployee{xs("X1", xsBSN("111222334")), xs("X2", xsBSN(bsn(2)), xsName("Bos"))}}, Options{})
	for _, k := range []string{"ACME/1", "ACME/X1"} {
		if !hasLog(res, runlog.Melding, LogBSNInvalid, k) {
			t.Errorf("no Melding for the invalid BSN of %s", k)
		}
	}
	for _, k := range []string{"ACME/2", "ACME/X2"} {
		if hasLog(res, runlog.Melding, LogBSNInvalid, k) {
			t.Errorf("Melding for the valid BSN of %s", k)
		}
	}
}

func TestInputErrors(t *testing.T) {
	noKey := emp("")
	noEmployer := xs("1")
	noEmployer.WerkgeverCode = ""
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"AFAS key twice", Input{AFAS: []Employee{emp("1"), emp("1")}}, "AFAS employee key ACME/1 occurs twice"},
		{"AFAS key empty", Input{AFAS: []Employee{emp("1"), noKey, emp("3")}}, `AFAS employee 2 of 3 has key "ACME/": it needs both WerkgeverCode and Personeelsnummer`},
		{"AFAS employer empty", Input{AFAS: []Employee{func() Employee { e := emp("1"); e.WerkgeverCode = ""; return e }()}}, "needs both WerkgeverCode and Personeelsnummer"},
		{"XS key twice", Input{XS: []XSEmployee{xs("1", func(x *XSEmployee) { x.Line = 2 }), xs("1", func(x *XSEmployee) { x.Line = 5 })}}, "line 5: employee ACME/1 occurs again (first on line 2)"},
		{"XS key empty", Input{XS: []XSEmployee{noEmployer}}, "every employee row needs WerkgeverCode and Personeelsnummer"},
		{"XS Personeelsnummer empty", Input{XS: []XSEmployee{xs("")}}, "every employee row needs WerkgeverCode and Personeelsnummer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Match(tt.in, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
