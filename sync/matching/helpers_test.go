package matching

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// bsn returns a synthetic nine-digit BSN that passes the eleven-test; different n give
// different numbers (for the n the tests use).
func bsn(n int) string {
	for base := 10000000 + 97*n; ; base++ {
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

// bsn8 returns a valid BSN with a leading zero, written with eight digits as exports do.
func bsn8(n int) string {
	for base := 1000000 + 89*n; ; base++ {
		d := fmt.Sprintf("0%07d", base)
		sum := 0
		for i := 0; i < 8; i++ {
			sum += (9 - i) * int(d[i]-'0')
		}
		if c := sum % 11; c < 10 {
			return d[1:] + string(rune('0'+c))
		}
	}
}

func TestBSNHelpersAreValid(t *testing.T) {
	for n := 0; n < 50; n++ {
		for _, b := range []string{bsn(n), "0" + bsn8(n)} {
			if len(b) != 9 || !elevenTest(b) {
				t.Fatalf("helper BSN %d is not valid", n)
			}
		}
	}
	if bsn(1) == bsn(2) {
		t.Fatal("helper BSNs collide")
	}
}

func elevenTest(d string) bool {
	sum := 0
	for i := 0; i < 8; i++ {
		sum += (9 - i) * int(d[i]-'0')
	}
	return (sum-int(d[8]-'0'))%11 == 0
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// emp is an AFAS employee of employer ACME named Anna de Vries, born 1980-02-01.
func emp(pn string, mods ...func(*Employee)) Employee {
	e := Employee{WerkgeverCode: "ACME", Personeelsnummer: pn, Persoonsnummer: "P" + pn, Voorletters: "A.", Voornaam: "Anna",
		Roepnaam: "Anna", Voorvoegsel: "de", Geboortenaam: "Vries", Geboortedatum: date("1980-02-01")}
	for _, m := range mods {
		m(&e)
	}
	return e
}

// xs is an Xpert Suite employee of ACME, "de Vries", "A.", born 1980-02-01.
func xs(pn string, mods ...func(*XSEmployee)) XSEmployee {
	x := XSEmployee{WerkgeverCode: "ACME", Personeelsnummer: pn, Achternaam: "de Vries", Voorletters: "A.", Geboortedatum: date("1980-02-01")}
	for _, m := range mods {
		m(&x)
	}
	return x
}

func withBSN(b string) func(*Employee)  { return func(e *Employee) { e.BSN = b } }
func xsBSN(b string) func(*XSEmployee)  { return func(x *XSEmployee) { x.BSN = b } }
func xsName(n string) func(*XSEmployee) { return func(x *XSEmployee) { x.Achternaam = n } }
func afasName(n string) func(*Employee) {
	return func(e *Employee) { e.Voorvoegsel, e.Geboortenaam = "", n }
}
func xsBorn(s string) func(*XSEmployee)     { return func(x *XSEmployee) { x.Geboortedatum = date(s) } }
func xsInitials(s string) func(*XSEmployee) { return func(x *XSEmployee) { x.Voorletters = s } }

func mustMatch(t *testing.T, in Input, opt Options) *Result {
	t.Helper()
	res, err := Match(in, opt)
	if err != nil {
		t.Fatalf("Match: %v", err)
	}
	return res
}

// outcome renders a record's outcome as "uitkomst/methode>partner,partner" for comparisons.
func outcome(res *Result, bron Source, pn string) string {
	for _, r := range res.Employees {
		if r.Bron == bron && r.Key.Personeelsnummer == pn {
			var ps []string
			for _, k := range r.Ander {
				ps = append(ps, k.Personeelsnummer)
			}
			s := string(r.Uitkomst) + "/" + string(r.Methode)
			if len(ps) > 0 {
				s += ">" + strings.Join(ps, ",")
			}
			return s
		}
	}
	return "missing"
}

// outcomes renders every record: "afas:1=gekoppeld/sleutel>1 xs:1=…".
func outcomes(res *Result) string {
	var parts []string
	for _, r := range res.Employees {
		parts = append(parts, string(r.Bron)+":"+r.Key.Personeelsnummer+"="+outcome(res, r.Bron, r.Key.Personeelsnummer))
	}
	return strings.Join(parts, " ")
}

func hasLog(res *Result, l runlog.Level, code, key string) bool {
	for _, g := range res.Logs {
		if g.Level == l && g.Code == code && g.Key == key {
			return true
		}
	}
	return false
}
