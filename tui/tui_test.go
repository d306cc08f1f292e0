package tui

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// updating reports -update (the flag is defined by teatest's golden package): rewrite the golden
// files in testdata/tui.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// fixture is a store in a temporary folder and a simulator on loopback.
type fixture struct {
	t    testing.TB
	sim  *afassim.Server
	url  string
	st   *store.Store
	dir  string
	deps Deps
}

func newFixture(t testing.TB, o afassim.Options) *fixture {
	t.Helper()
	sim, url := afassimtest.Start(t, o)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "koppel.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, sim: sim, url: url, st: st, dir: dir}
	fixed := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	f.deps = Deps{Store: st, Lang: i18n.NL, NoColor: true, WorkDir: dir, Now: func() time.Time { return fixed }, Engine: engine.Options{RetryBase: time.Millisecond}}
	return f
}

// addProfile stores a profile pointing at the simulator.
func (f *fixture) addProfile(name string) *profile.Profile {
	f.t.Helper()
	p := &profile.Profile{
		Name:     name,
		Account:  profile.Account{Name: "Zorggroep " + name, Participant: "12345", Environment: "test", URL: f.url, Token: f.sim.Token()},
		Employer: "ZBV",
		Couplings: profile.Couplings{
			Werknemer: profile.Werknemer{Enabled: true, Managers: true, Salary: &profile.Salary{Column: afassim.SalaryColumn, Kind: "maandloon"}},
			Verzuim:   profile.Verzuim{Enabled: true},
		},
		DateFrom: "2024-01-01",
		Delivery: profile.Delivery{Outbox: filepath.Join(f.dir, "outbox"), Mode: profile.ModeCompleet},
	}
	p.Defaults()
	if err := f.st.PutProfile(p); err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) start(selected string) *teatest.TestModel {
	f.t.Helper()
	return teatest.NewTestModel(f.t, New(context.Background(), f.deps, selected), teatest.WithInitialTermSize(80, 24))
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

// waitFor waits until the screen shows every one of wants.
func waitFor(t *testing.T, tm *teatest.TestModel, wants ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range wants {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func quit(t *testing.T, tm *teatest.TestModel) *App {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*App)
}

// golden compares a screen with testdata/tui/NAME.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "tui", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from its golden file\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

// render drives a model without a program, for golden views at 80×24.
func render(t *testing.T, a *App, msgs ...tea.Msg) string {
	t.Helper()
	var m tea.Model = a
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, msg := range msgs {
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		// Follow navigation so pushed screens appear.
		for cmd != nil {
			out := cmd()
			switch out.(type) {
			case pushMsg, popMsg, savedMsg:
				m, cmd = m.Update(out)
			default:
				cmd = nil
			}
		}
	}
	return m.View()
}

func TestHomeListsProfilesFirstSelected(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 30})
	f.addProfile("acme")
	f.addProfile("zorgbv")
	view := render(t, New(context.Background(), f.deps, ""))
	golden(t, "home", view)
	lines := strings.Split(view, "\n")
	if len(lines) != 24 {
		t.Errorf("home is %d lines, want 24", len(lines))
	}
	for _, l := range lines {
		if w := visibleLen(l); w > 80 {
			t.Errorf("line wider than 80: %q", l)
		}
	}
	if !strings.Contains(view, "> acme") || strings.Contains(view, "> zorgbv") {
		t.Errorf("first profile not selected:\n%s", view)
	}
	for _, k := range []string{"n nieuw", "enter details", "e bewerken", "v controleren", "r run", "h historie", "d verwijderen", "q stoppen", "? help"} {
		if !strings.Contains(view, k) {
			t.Errorf("help bar lacks %q", k)
		}
	}
}

func TestEnglish(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 30})
	f.addProfile("acme")
	f.deps.Lang = i18n.EN
	view := render(t, New(context.Background(), f.deps, ""))
	for _, w := range []string{"customer accounts", "n new", "r run", "q quit"} {
		if !strings.Contains(view, w) {
			t.Errorf("English home lacks %q:\n%s", w, view)
		}
	}
}

func TestRunFromHome(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 2, Employees: 120})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "Klaar. Geleverd in", "Koppel_Verzuim", "Dienstverbanden", "Log (")
	a := quit(t, tm)
	if _, ok := a.top().(*runScreen); !ok {
		t.Fatalf("top screen is %T", a.top())
	}
	last, err := f.st.LastRun("acme")
	if err != nil || last == nil || last.Status != engine.StatusOK {
		t.Fatalf("run not recorded as ok: %+v %v", last, err)
	}
	if _, err := os.Stat(filepath.Join(last.Delivery, "manifest.json")); err != nil {
		t.Errorf("no delivery: %v", err)
	}
}

func TestCancelRunDeliversNothing(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 3, Employees: 300, Faults: afassim.Faults{Slow: 150 * time.Millisecond}})
	f.addProfile("acme")
	f.deps.Engine.PageSize = 10
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "rijen")
	press(tm, "esc")
	waitFor(t, tm, "Run afbreken?")
	press(tm, "j")
	waitFor(t, tm, "Afgebroken: niets geleverd")
	quit(t, tm)
	if runs, _ := f.st.Runs("acme"); len(runs) != 0 {
		t.Errorf("a cancelled run was recorded: %+v", runs[0])
	}
	entries, _ := os.ReadDir(filepath.Join(f.dir, "outbox", "acme"))
	if len(entries) != 0 {
		t.Errorf("a cancelled run left %v", entries)
	}
}

func TestBlockedRunNeedsConfirmation(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 4, Employees: 120})
	f.addProfile("acme")
	if _, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil); err != nil {
		t.Fatal(err)
	}
	f.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Verzuim"]
		tb.Rows = tb.Rows[:len(tb.Rows)/3]
	})
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "Geblokkeerd door de verwijderbeveiliging", "Verzuim:")
	press(tm, "a")
	waitFor(t, tm, "Toch leveren")
	press(tm, "j")
	waitFor(t, tm, "Klaar. Geleverd in")
	quit(t, tm)
	runs, _ := f.st.Runs("acme")
	if len(runs) != 3 || runs[0].Status != engine.StatusOK || runs[1].Status != engine.StatusBlocked {
		t.Errorf("runs: %d, statuses %v", len(runs), runs)
	}
}

func TestHistoryFiltersAndSearches(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 120})
	f.addProfile("acme")
	res, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	view := render(t, a, keyMsg("h"), keyMsg("enter"), keyMsg("4"))
	if !strings.Contains(view, "vanaf Uitval") || strings.Contains(view, "Waarschuwing ") || !strings.Contains(view, "Uitval ") {
		t.Errorf("level 4 should show only Uitval:\n%s", view)
	}
	view = render(t, a, keyMsg("1"), keyMsg("/"), keyMsg("X"), keyMsg("0"), keyMsg("4"), keyMsg("0"), keyMsg("4"), keyMsg("enter"))
	if !strings.Contains(view, "X0404") || !strings.Contains(view, ": 1 regels") {
		t.Errorf("search X0404:\n%s", view)
	}
	view = render(t, a, keyMsg("tab"))
	if !strings.Contains(view, "Wijzigingen (") || !strings.Contains(view, "Nieuw") || !strings.Contains(view, "→") {
		t.Errorf("changes with after values:\n%s", view)
	}
	if res.Run.ID == "" || !strings.Contains(render(t, a), res.Run.ID) {
		t.Errorf("run id not shown")
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 6, Employees: 10})
	f.addProfile("acme")
	a := New(context.Background(), f.deps, "")
	view := render(t, a, keyMsg("d"))
	if !strings.Contains(view, "verwijderen, met historie") {
		t.Errorf("no confirmation:\n%s", view)
	}
	render(t, a, keyMsg("n"))
	if names, _ := f.st.ProfileNames(); len(names) != 1 {
		t.Fatalf("deleted without confirmation")
	}
	view = render(t, a, keyMsg("d"), keyMsg("j"))
	if names, _ := f.st.ProfileNames(); len(names) != 0 || !strings.Contains(view, "verwijderd") {
		t.Errorf("not deleted after confirmation: %v\n%s", names, view)
	}
}

func TestEditIsPrefilled(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 9, Employees: 10})
	f.addProfile("acme")
	a := New(context.Background(), f.deps, "")
	view := render(t, a, keyMsg("e"))
	for _, want := range []string{"Klantaccount acme bewerken", "Zorggroep acme", "12345", "‹ test ›"} {
		if !strings.Contains(view, want) {
			t.Errorf("edit lacks %q:\n%s", want, view)
		}
	}
	// The profile name of an existing account cannot change.
	view = render(t, a, keyMsg("up"), keyMsg("x"))
	if !strings.Contains(view, "blijft gelijk") {
		t.Errorf("name not locked:\n%s", view)
	}
}

func TestDetailsMaskTheToken(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 10, Employees: 10})
	p := f.addProfile("acme")
	p.Account.URL = "http://127.0.0.1:1/ProfitServices/AppConnectorGet.asmx" // fixed, for the golden file
	p.Delivery.Outbox = "/srv/koppel/outbox"
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	view := render(t, New(context.Background(), f.deps, ""), keyMsg("enter"))
	golden(t, "details", view)
	if strings.Contains(view, f.sim.TokenData()[:20]) || !strings.Contains(view, "…"+f.sim.TokenData()[60:]) {
		t.Errorf("token not masked:\n%s", view)
	}
	if !strings.Contains(view, "1 januari 2024") {
		t.Errorf("date-from not read back in words:\n%s", view)
	}
}

func TestVerifyScreen(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 11, Employees: 10, Omit: []string{"Koppel_Verzuim"}, Extra: []string{"Koppel_Medewerkers.Burgerlijke_staat"}})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "v")
	waitFor(t, tm, "token geaccepteerd", "Koppel_Verzuim", "ontbreekt", "Burgerlijke_staat")
	press(tm, "s")
	waitFor(t, tm, "koppel-getconnectoren.txt")
	quit(t, tm)
	defs, err := os.ReadFile(filepath.Join(f.dir, "koppel-getconnectoren.txt"))
	if err != nil || !strings.Contains(string(defs), "Koppel_Verzuim") || !strings.Contains(string(defs), "Percentage_aanwezig") {
		t.Errorf("definitions file: %v", err)
	}
}

// A run of 100,000 employees can log tens of thousands of entries: the pane renders only what
// fits, so a frame costs the same at any log length.
func TestRunLogPaneIsVirtualised(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 12, Employees: 5})
	f.addProfile("acme")
	e := New(context.Background(), f.deps, "").env
	r := newRunScreen(e, "acme", false, false)
	for i := 0; i < 100_000; i++ {
		r.logs = append(r.logs, runlog.Log{Level: runlog.Waarschuwing, Entity: "employments", Key: fmt.Sprint(i), Code: "emp.bsn_invalid"})
	}
	view := r.view()
	if n := strings.Count(view, "\n"); n > e.height {
		t.Errorf("%d lines for a %d-line window", n, e.height)
	}
	if !strings.Contains(view, "99999 ") || strings.Contains(view, " 5 BSN") {
		t.Errorf("the pane should show the newest entries:\n%s", view)
	}
}

func BenchmarkRunViewWith100kLogLines(b *testing.B) {
	f := newFixture(b, afassim.Options{Seed: 12, Employees: 5})
	e := New(context.Background(), f.deps, "").env
	r := newRunScreen(e, "acme", false, false)
	for i := 0; i < 100_000; i++ {
		r.logs = append(r.logs, runlog.Log{Level: runlog.Waarschuwing, Key: fmt.Sprint(i), Code: "emp.bsn_invalid"})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = r.view()
	}
}
