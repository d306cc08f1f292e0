package tui

import (
	"context"
	"crypto/sha256"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// files hashes every file under dir: the store, its folder and the outbox.
func files(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		out[path] = sha256.Sum256(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// firstEmployment is the employee of the first employment the run changed, as the changes tab
// lists them with its entity filter on Dienstverbanden.
func firstEmployment(t *testing.T, st *store.Store, run string) string {
	t.Helper()
	changes, err := st.RunChanges(run)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Entity == mapping.Employments {
			return employeeOfChange(c)
		}
	}
	t.Fatal("no employment changed")
	return ""
}

func TestExplainFromARunsChanges(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 30})
	f.addProfile("acme")
	res, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	nr := firstEmployment(t, f.st, res.Run.ID)
	before := files(t, f.dir)

	tm := f.start("")
	press(tm, "h", "enter", "tab", "e", "e")
	waitFor(t, tm, "Dienstverbanden ·")
	press(tm, "x")
	waitFor(t, tm, "Medewerker "+nr+" — profiel acme", "Gelezen uit AFAS:")
	press(tm, "G") // the end: the changes against the last delivery
	waitFor(t, tm, "Ten opzichte van de vorige levering:")
	a := quit(t, tm)
	s, ok := a.top().(*explainScreen)
	if !ok {
		t.Fatalf("x opened %T", a.top())
	}
	view := a.View()
	golden(t, "explain-end", view)
	for _, want := range []string{"Ongewijzigd", "Dienstverbanden ZBV/" + nr + "/", "regels "} {
		if !strings.Contains(view, want) {
			t.Errorf("the end of the explanation lacks %q:\n%s", want, view)
		}
	}
	s.vp.GotoTop()
	top := a.View()
	golden(t, "explain-top", top)
	for _, want := range []string{"Beoordeeld zoals op 2026-11-24", "Gelezen uit AFAS:", "Koppel_Medewerkers: ", "BSN=******"} {
		if !strings.Contains(top, want) {
			t.Errorf("the top of the explanation lacks %q:\n%s", want, top)
		}
	}
	// The decisions and the lines, as the command line shows them.
	content := strings.Join(strings.Fields(s.content()), " ") // unwrapped
	for _, want := range []string{"geleverd: dienstverband loopt op of na date_from", "leidinggevende", "medewerkers.csv (", "ZBV;" + nr + ";", "op 2026-11-24 in dienst"} {
		if !strings.Contains(content, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, content)
		}
	}
	if regexp.MustCompile(`BSN=\d{9}|;\d{9};`).MatchString(content) {
		t.Errorf("a BSN in full:\n%s", content)
	}
	if after := files(t, f.dir); !maps.Equal(before, after) {
		t.Errorf("explaining wrote to disk:\nbefore %v\nafter  %v", before, after)
	}
}

func TestExplainFromDetailsByName(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 30})
	f.addProfile("acme")
	var nr, first, surname string
	f.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Medewerkers"]
		r := tb.Rows[6]
		nr, first, surname = r[tb.Col("Medewerker")], r[tb.Col("Roepnaam")], r[tb.Col("Geboortenaam")]
	})
	tm := f.start("")
	press(tm, "enter", "x")
	waitFor(t, tm, "Welke medewerker?")
	// One name that fits one employee explains that employee.
	for _, r := range first + " " + surname {
		press(tm, string(r))
	}
	press(tm, "enter")
	waitFor(t, tm, "Medewerker "+nr+" — profiel acme", "Gelezen uit AFAS:")
	// Back to the question; a letter that many names hold offers a choice.
	press(tm, "esc", "ctrl+u", "e", "enter")
	waitFor(t, tm, "Kies een medewerker:")
	press(tm, "down", "enter")
	waitFor(t, tm, "Gelezen uit AFAS:")
	a := quit(t, tm)
	if s, ok := a.top().(*explainScreen); !ok || s.x == nil || s.x.Medewerker == "" {
		t.Fatalf("no explanation after the choice: %T", a.top())
	}

	// A number AFAS does not have: the closest numbers to choose from.
	tm = f.start("")
	press(tm, "enter", "x", "9", "9", "enter")
	waitFor(t, tm, "staat niet in AFAS", "Kies een medewerker:")
	press(tm, "esc")
	waitFor(t, tm, "Welke medewerker?")
	press(tm, "esc")
	waitFor(t, tm, "Klantaccount Zorggroep acme")
	quit(t, tm)
}

func TestExplainShowsProgressAndEscCancels(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 30, Latency: 2 * time.Second})
	f.addProfile("acme")
	before := files(t, f.dir)
	tm := f.start("")
	press(tm, "enter", "x", "1", "0", "0", "0", "0", "3", "enter")
	waitFor(t, tm, "100003: lezen uit AFAS…")
	waitFor(t, tm, "Koppel_Organisatie", "1 pagina") // the first page is in
	press(tm, "esc")
	waitFor(t, tm, "Welke medewerker?")
	a := quit(t, tm)
	if s := a.top().(*explainScreen); s.state != explainAsk || s.x != nil {
		t.Errorf("after esc: state %d", s.state)
	}
	if after := files(t, f.dir); !maps.Equal(before, after) {
		t.Errorf("a cancelled explanation wrote to disk")
	}
}

func TestExplainInEnglish(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 30})
	f.addProfile("acme")
	f.deps.Lang = i18n.EN
	tm := f.start("")
	press(tm, "enter", "x", "1", "0", "0", "0", "0", "2", "enter")
	waitFor(t, tm, "Employee 100002 — profile acme", "Evaluated as on 2026-11-24")
	// o: as on another day, like --date.
	press(tm, "o")
	for _, r := range "2027-02-30" {
		press(tm, string(r))
	}
	press(tm, "enter")
	waitFor(t, tm, `"2027-02-30": expected a date YYYY-MM-DD`)
	press(tm, "ctrl+u")
	for _, r := range "2027-03-01" {
		press(tm, string(r))
	}
	press(tm, "enter")
	waitFor(t, tm, "Evaluated as on 2027-03-01")
	a := quit(t, tm)
	if x := a.top().(*explainScreen).x; x == nil || x.Day != "2027-03-01" || !strings.Contains(strings.Join(strings.Fields(a.top().(*explainScreen).content()), " "), "on 2027-03-01") {
		t.Errorf("not explained as on 2027-03-01")
	}
	content := a.top().(*explainScreen).content()
	for _, want := range []string{"Read from AFAS:", "Decisions:", "A run would deliver now:", "Against the last delivery:", "New"} {
		if !strings.Contains(content, want) {
			t.Errorf("English explanation lacks %q:\n%s", want, content)
		}
	}
}

func TestExplainNeedsAnEmployeeOnTheLine(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 30})
	f.addProfile("acme")
	if _, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "h", "enter", "tab", "e", "x") // a department's change
	if _, ok := a.top().(*runDetail); !ok || !strings.Contains(view, "gaat niet over één medewerker") {
		t.Errorf("x on a department: %T\n%s", a.top(), view)
	}
	keys(t, a, "e", "x") // an employment's
	if s, ok := a.top().(*explainScreen); !ok || s.asked == "" {
		t.Errorf("x on an employment opened %T", a.top())
	}
}

func TestExplainFromALogLine(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 120})
	f.addProfile("acme")
	if _, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	keys(t, a, "h", "enter")
	d := a.top().(*runDetail)
	for i := 0; d.logEntity != mapping.Employments && i < len(runEntities)+1; i++ {
		keys(t, a, "e")
	}
	if len(d.logShown) == 0 {
		t.Fatal("no log line about an employment")
	}
	l := d.logs[d.logShown[0]]
	keys(t, a, "x")
	s, ok := a.top().(*explainScreen)
	if !ok {
		t.Fatalf("x on %+v opened %T (%s)", l, a.top(), d.err)
	}
	if !strings.Contains(l.Key, "/"+s.asked+"/") && l.Key != s.asked {
		t.Errorf("x on %q explains %q", l.Key, s.asked)
	}
}

func TestEmployeeOfALine(t *testing.T) {
	p := &profile.Profile{Rewrite: profile.Rewrite{Employee: profile.Affix{Prefix: "A-", Suffix: "x"}}}
	changes := []store.Change{{Entity: mapping.Absences, Key: "#0000000000000005001\x1f#0000000000000090001", After: []string{"ZBV", "A-100003x", "5001"}}}
	for _, c := range []struct {
		l    runlog.Log
		want string
	}{
		{runlog.Log{Entity: mapping.Employments, Key: "ZBV/A-100003x/2"}, "100003"},
		{runlog.Log{Entity: mapping.Employments, Key: "A-100007x", Code: "emp.bsn_invalid"}, "100007"},
		{runlog.Log{Entity: mapping.Employees, Key: "A-100004x"}, "100004"},
		{runlog.Log{Entity: mapping.Users, Key: "A-100005x"}, "100005"},
		{runlog.Log{Entity: mapping.Absences, Key: "5001/90001"}, "100003"},
		{runlog.Log{Entity: mapping.Absences, Key: "5009/90009", Code: "abs.employee_not_delivered", Args: []string{"A-100006x"}}, "100006"},
		{runlog.Log{Entity: mapping.Absences, Key: "5009/90009"}, ""},
		{runlog.Log{Entity: mapping.Departments, Key: "ZBV/Z0001"}, ""},
	} {
		pn := employeeOfLog(c.l, changes)
		if got := medewerkerOf(p, pn); pn != "" && got != c.want || pn == "" && c.want != "" {
			t.Errorf("%s %s: %q → %q, want %q", c.l.Entity, c.l.Key, pn, got, c.want)
		}
	}
	if got := employeeOfChange(store.Change{Entity: mapping.Users, Before: []string{"L", "a@b", "A-7x"}}); got != "A-7x" {
		t.Errorf("a deleted account's employee: %q", got)
	}
	if got := medewerkerOf(p, "100008"); got != "100008" {
		t.Errorf("a number without the affixes: %q", got)
	}
}
