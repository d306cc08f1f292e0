package tui

import (
	"context"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
)

// The consultant resolves every open case of the simulator's export on the screen and writes
// the link table; it is exactly what the simulator knows to be true, and no BSN is ever shown.
func TestMatchScreenResolvesEveryOpenCase(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 250})
	f.addProfile("acme")
	ex, err := f.sim.WriteXSExport(filepath.Join(f.dir, "xs"))
	if err != nil {
		t.Fatal(err)
	}
	// A first match from the command line leaves open cases: the home screen marks the profile.
	if _, _, err := engine.New(f.st).Match(context.Background(), "acme", engine.MatchOptions{Files: engine.MatchFiles{Employees: ex.Employees}}, nil); err != nil {
		t.Fatal(err)
	}
	tm := f.start("acme")
	waitFor(t, tm, "koppelen…", "wacht op 12 besluit(en)")

	press(tm, "enter", "m")
	waitFor(t, tm, "Koppelen met Xpert Suite — acme", "Medewerkerexport", "Verzuimexport")
	tm.Type(ex.Employees)
	press(tm, "tab")
	tm.Type(ex.Absences)
	press(tm, "enter")
	waitFor(t, tm, "kandidaat 4", "conflict 2", "dubbelzinnig 6", "12 record(s) wachten")

	press(tm, "t")
	waitFor(t, tm, "Toon: wacht op besluit")
	// Last first: the twin that is not in AFAS is left alone before its twin is accepted (once
	// the other twin is matched, it has no partner left to decide about).
	ds := readDecisions(t, ex.Decisions)
	slices.Reverse(ds)
	for _, d := range ds {
		xs, afas := d[0], d[2]
		press(tm, "/")
		tm.Type(xs)
		press(tm, "enter")
		waitFor(t, tm, "/"+xs)
		if afas == "" {
			press(tm, "x")
			waitFor(t, tm, "besluit: XS "+d[1]+"/"+xs+" wordt niet gekoppeld")
		} else {
			press(tm, "a")
			waitFor(t, tm, "besluit: XS "+d[1]+"/"+xs+" = AFAS "+d[3]+"/"+afas)
		}
		press(tm, "/", "esc")
	}
	press(tm, "w") // what still waits is checked in the store below

	waitFor(t, tm, "koppeltabel geschreven")
	press(tm, "esc", "esc")
	waitFor(t, tm, "klantaccounts")
	quit(t, tm)
	out, _ := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(time.Second)))

	st, err := f.st.MatchStatusOf("acme")
	if err != nil || st == nil || st.Waiting() {
		t.Fatalf("the match still waits after the screen decided everything: %+v %v", st, err)
	}
	runs, _ := f.st.Runs("acme")
	folder := runs[0].Delivery
	data, err := os.ReadFile(filepath.Join(folder, "koppeltabel.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(data), "\r", "")), "\n")
	if want := wantKoppeltabel(ex); !slices.Equal(got, want) {
		t.Errorf("koppeltabel.csv:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The screens never showed a BSN, and the decisions are the store's now.
	for _, b := range exportBSNs(t, ex.Employees) {
		if strings.Contains(string(out), b) {
			t.Fatalf("the screen showed a BSN")
		}
	}
	if ds, _ := f.st.MatchDecisions("acme"); len(ds) != len(readDecisions(t, ex.Decisions)) {
		t.Errorf("stored decisions: %d", len(ds))
	}
}

func readDecisions(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

func exportBSNs(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n")[1:] {
		if f := strings.Split(l, ";"); len(f) > 2 && len(f[2]) == 9 {
			out = append(out, f[2])
		}
	}
	if len(out) < 100 {
		t.Fatalf("only %d BSNs", len(out))
	}
	return out
}

// wantKoppeltabel is the link table once every open case is decided as the simulator knows.
func wantKoppeltabel(ex *afassim.XSExport) []string {
	var body []string
	for _, p := range ex.Pairs {
		if p.XS == p.AFAS {
			continue
		}
		m := "besluit"
		if p.Case == afassim.XSRenumbered {
			m = "bsn"
		}
		xw, xp, _ := strings.Cut(p.XS, "/")
		aw, ap, _ := strings.Cut(p.AFAS, "/")
		body = append(body, strings.Join([]string{"medewerker", xw, xp, "", aw, ap, "", m}, ";"))
	}
	for _, a := range ex.AbsencePairs {
		xw, xp, _ := strings.Cut(a.XSEmployee, "/")
		aw, ap, _ := strings.Cut(a.AFASEmployee, "/")
		body = append(body, strings.Join([]string{"verzuim", xw, xp, a.XSVerzuimID, aw, ap, a.AFASVerzuimID, "datum"}, ";"))
	}
	slices.Sort(body)
	return append([]string{"Entiteit;WerkgeverCodeXS;PersoneelsnummerXS;VerzuimIdXS;WerkgeverCode;Personeelsnummer;VerzuimId;Methode"}, body...)
}

// The wizard asks a new account whether Xpert Suite already holds the customer; when it does,
// saving opens the match screen.
func TestWizardOpensTheMatchForAnExistingCustomer(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 7, Employees: 80})
	no := func(code string) string { return stepNo(t, f, "", code) }
	tm := f.start("")
	waitFor(t, tm, "Nog geen klantaccounts")
	press(tm, "n")
	waitFor(t, tm, no("account"))
	tm.Type("acme")
	press(tm, "enter")
	tm.Type("Acme Zorg BV")
	press(tm, "enter")
	tm.Type("12345")
	press(tm, "enter", "right", "enter")
	tm.Type(f.url)
	press(tm, "enter")
	waitFor(t, tm, no("token"))
	tm.Type(f.sim.Token())
	press(tm, "enter")
	waitFor(t, tm, no("connectors"), "token geaccepteerd")
	press(tm, "enter")
	waitFor(t, tm, no("match"), "Bestaande klant?") // right after the connector check
	press(tm, "space", "enter")
	waitFor(t, tm, no("couplings"))
	press(tm, "enter", "enter", "enter", "enter")
	waitFor(t, tm, no("salary"))
	press(tm, "right") // the salary column AFAS offers: otherwise its field is beyond the whitelist
	waitFor(t, tm, "Voorbeeld uit AFAS")
	press(tm, "enter", "enter")
	waitFor(t, tm, no("date"))
	tm.Type("2024-01-31")
	press(tm, "enter")
	waitFor(t, tm, "beëindigde dienstverbanden")
	press(tm, "enter")
	waitFor(t, tm, no("delivery"), "(codes uit AFAS)")
	press(tm, "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	walkPast(t, tm, f, "", "delivery", "summary")
	press(tm, "enter")
	waitFor(t, tm, "Koppelen met Xpert Suite — acme", "Medewerkerexport")
	quit(t, tm)
	if p, err := f.st.Profile("acme"); err != nil || p.Draft {
		t.Fatalf("not saved: %+v %v", p, err)
	}
}
