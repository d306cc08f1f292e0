package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	v := &lastView{}
	tm := teatest.NewTestModel(f.t, recorder{New(context.Background(), f.deps, selected), v}, teatest.WithInitialTermSize(80, 24))
	screens.Store(tm, v)
	return tm
}

// screens holds, per program under test, the screen it drew last: waitFor reads the whole
// screen as it is, not the renderer's stream, which leaves out the lines a frame did not change
// and is gone once read.
var screens sync.Map // *teatest.TestModel → *lastView

type lastView struct {
	mu         sync.Mutex
	s          string
	busy       bool // the wizard on top runs a live check (it ignores enter meanwhile)
	sent, done int  // keys pressed, keys the program has handled
}

func (v *lastView) get() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.s
}

// recorder is the App under test, noting each screen it draws.
type recorder struct {
	tea.Model
	v *lastView
}

func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := r.Model.Update(msg)
	if _, ok := msg.(tea.KeyMsg); ok {
		r.v.mu.Lock()
		r.v.done++
		r.v.mu.Unlock()
	}
	return recorder{m, r.v}, cmd
}

func (r recorder) View() string {
	s := r.Model.View()
	busy := false
	if a, ok := r.Model.(*App); ok {
		if w, ok := a.top().(*wizard); ok {
			busy = w.busy != "" || w.chk.busy
		}
	}
	r.v.mu.Lock()
	r.v.s, r.v.busy = s, busy
	r.v.mu.Unlock()
	return s
}

// waitIdle waits until the program has handled every key pressed and the wizard on screen runs
// no live check.
func waitIdle(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	v, _ := screens.Load(tm)
	lv := v.(*lastView)
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		lv.mu.Lock()
		idle := !lv.busy && lv.done >= lv.sent
		lv.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the wizard is still busy after 15s:\n%s", lv.get())
		}
	}
}

func keyMsg(s string) tea.KeyMsg {
	types := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"down": tea.KeyDown, "up": tea.KeyUp, "left": tea.KeyLeft, "right": tea.KeyRight,
		"home": tea.KeyHome, "end": tea.KeyEnd, "pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown,
		"ctrl+u": tea.KeyCtrlU, "ctrl+c": tea.KeyCtrlC, "ctrl+t": tea.KeyCtrlT, "backspace": tea.KeyBackspace,
	}
	if t, ok := types[s]; ok {
		return tea.KeyMsg{Type: t}
	}
	if s == "space" {
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		if v, ok := screens.Load(tm); ok {
			lv := v.(*lastView)
			lv.mu.Lock()
			lv.sent++
			lv.mu.Unlock()
		}
		tm.Send(keyMsg(k))
	}
}

// waitFor waits until the screen shows every one of wants.
func waitFor(t *testing.T, tm *teatest.TestModel, wants ...string) {
	t.Helper()
	v, _ := screens.Load(tm)
	shows := func() bool {
		screen := v.(*lastView).get()
		for _, w := range wants {
			if !strings.Contains(screen, w) {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(15 * time.Second); !shows(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waitFor %q: not on the screen after 15s; the screen:\n%s", wants, v.(*lastView).get())
		}
	}
}

func quit(t *testing.T, tm *teatest.TestModel) *App {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(recorder).Model.(*App)
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
		// Navigation is carried out within Update; commands (loads, checks) are not run.
		m, _ = m.Update(msg)
	}
	return m.View()
}

// keys sends keys to a model without a program, as render does, and returns the last view.
func keys(t *testing.T, a *App, ks ...string) string {
	t.Helper()
	var msgs []tea.Msg
	for _, k := range ks {
		msgs = append(msgs, keyMsg(k))
	}
	return render(t, a, msgs...)
}

func TestHomeListsProfilesFirstSelected(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 30})
	f.addProfile("acme")
	f.addProfile("zorgbv")
	a := New(context.Background(), f.deps, "")
	view := render(t, a)
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
	// No unexplained abbreviations: couplings in full.
	if !strings.Contains(view, "Werknemer, Verzuim") || strings.Contains(view, "Werkn.") || strings.Contains(view, "+L") {
		t.Errorf("couplings not named in full:\n%s", view)
	}
	if bar := lines[22] + "\n" + lines[23]; !strings.Contains(bar, "r run") || !strings.HasSuffix(bar, "? help") || !strings.Contains(bar, "n nieuw") {
		t.Errorf("short help bar: %q", bar)
	}
	// ? opens the full help at 80 columns too, with every key of the screen.
	full := keys(t, a, "?")
	golden(t, "home-help", full)
	for _, k := range []string{"n", "nieuw", "enter", "details", "e", "bewerken", "v", "controleren", "r", "run", "p", "voorbeeld", "h", "historie", "d", "verwijderen", "q", "stoppen", "home/g", "end/G", "pgup", "pgdown"} {
		if !strings.Contains(full, k) {
			t.Errorf("full help lacks %q:\n%s", k, full)
		}
	}
	if view := keys(t, a, "?"); strings.Contains(view, "help sluiten") {
		t.Errorf("? does not close the help:\n%s", view)
	}
}

func TestEnglish(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 30})
	f.addProfile("acme")
	f.deps.Lang = i18n.EN
	a := New(context.Background(), f.deps, "")
	view := render(t, a)
	for _, w := range []string{"customer accounts", "r run", "? help", "COUPLINGS"} {
		if !strings.Contains(view, w) {
			t.Errorf("English home lacks %q:\n%s", w, view)
		}
	}
	view = keys(t, a, "d")
	if strings.Contains(view, "(y/n)") || !strings.Contains(view, "[ No, keep it ]") {
		t.Errorf("English delete question:\n%s", view)
	}
}

// 35 profiles at 80×24: the selection stays on screen, with its position.
func TestListsScrollAndKeepTheSelection(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 5})
	for i := 1; i <= 35; i++ {
		f.addProfile(fmt.Sprintf("klant-%02d", i))
	}
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "G")
	golden(t, "home-35-end", view)
	if !strings.Contains(view, "> klant-35") || !strings.Contains(view, "35 van 35") || !strings.Contains(view, "↑") {
		t.Errorf("end of the list not shown:\n%s", view)
	}
	view = keys(t, a, "g")
	if !strings.Contains(view, "> klant-01") || !strings.Contains(view, "1 van 35") {
		t.Errorf("g does not go to the top:\n%s", view)
	}
	view = keys(t, a, "pgdown")
	if strings.Contains(view, "> klant-01") || !strings.Contains(view, "↓") {
		t.Errorf("pgdown:\n%s", view)
	}
	for _, k := range []string{"end", "home", "pgdown", "pgdown", "pgdown", "up"} {
		view = keys(t, a, k)
		if !strings.Contains(view, "> klant-") {
			t.Errorf("after %s the selection is off screen:\n%s", k, view)
		}
	}
}

// Keys typed quickly (or over SSH) arrive as one message: each one counts.
func TestKeysArrivingTogetherAreEachHandled(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 1, Employees: 5})
	for _, n := range []string{"a", "b", "c", "d"} {
		f.addProfile(n)
	}
	a := New(context.Background(), f.deps, "")
	view := render(t, a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jj")})
	if !strings.Contains(view, "> c ") {
		t.Errorf("jj did not move two rows:\n%s", view)
	}
	view = render(t, a, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("kjk")})
	if !strings.Contains(view, "> b ") {
		t.Errorf("kjk did not end one row up:\n%s", view)
	}
	// A pasted text in a text field stays text.
	view = render(t, a, keyMsg("n"), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("acme-zorg")})
	if !strings.Contains(view, "acme-zorg") {
		t.Errorf("typed text lost:\n%s", view)
	}
}

func TestRunFromHome(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 2, Employees: 120})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "r")
	waitFor(t, tm, "Klaar. Geleverd in", "Koppel_Verzuim", "Dienstverbanden", "Log (", "✓ vastleggen")
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

// A preview shows deliver and commit as skipped and nothing under delivered, and its changes can
// be listed.
func TestPreviewIsNotADelivery(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 2, Employees: 60})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "p")
	waitFor(t, tm, "Voorbeeld klaar", "leveren (overgeslagen)", "vastleggen (overgeslagen)")
	press(tm, "enter")
	waitFor(t, tm, "Log (")
	press(tm, "tab")
	waitFor(t, tm, "Nieuw", "→")
	a := quit(t, tm)
	d, ok := a.top().(*runDetail)
	if !ok {
		t.Fatalf("top screen is %T", a.top())
	}
	if !d.run.DryRun || len(d.changes) == 0 {
		t.Errorf("preview with %d changes, dry %v", len(d.changes), d.run.DryRun)
	}
	view := d.view()
	if strings.Contains(view, "✓ leveren") || !strings.Contains(view, "voorbeeld") {
		t.Errorf("preview detail:\n%s", view)
	}
	for _, l := range strings.Split(view, "\n") {
		if strings.HasPrefix(l, "Dienstverbanden") && !strings.Contains(l, "—") {
			t.Errorf("a preview shows a delivered count: %q", l)
		}
	}
	if home := render(t, New(context.Background(), f.deps, "")); !strings.Contains(home, "voorbeeld") || strings.Contains(home, "geleverd: ") {
		t.Errorf("home shows a preview as delivered:\n%s", home)
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
	waitFor(t, tm, "Run afbreken?", "[ Nee, doorgaan ]")
	press(tm, "j", "right", "enter")
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
	waitFor(t, tm, "Geblokkeerd door de verwijderbeveiliging", "Verzuim:", "leveren (overgeslagen)")
	press(tm, "a")
	waitFor(t, tm, "Toch leveren?", "Verzuim", "[ Nee, niet leveren ]")
	press(tm, "j", "k", "enter") // j is not yes: enter answers the focused, safe choice
	time.Sleep(300 * time.Millisecond)
	if runs, _ := f.st.Runs("acme"); len(runs) != 2 {
		t.Fatalf("delivered without a deliberate yes: %d runs", len(runs))
	}
	press(tm, "a", "right", "enter")
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
	view := keys(t, a, "h")
	if !strings.Contains(view, "Werknemer, Verzuim") || !strings.Contains(view, "geleverd: ") {
		t.Errorf("history:\n%s", view)
	}
	view = keys(t, a, "enter", "4")
	if !strings.Contains(view, "vanaf Uitval") || strings.Contains(view, "Waarschuwing ") || !strings.Contains(view, "Uitval ") {
		t.Errorf("level 4 should show only Uitval:\n%s", view)
	}
	if !strings.Contains(view, "Uitval in het log per soort") {
		t.Errorf("no comparison of counted and logged Uitval:\n%s", view)
	}
	view = keys(t, a, "1", "/", "X", "0", "4", "0", "4", "enter")
	if !strings.Contains(view, "X0404") || !strings.Contains(view, "· 1 regels") {
		t.Errorf("search X0404:\n%s", view)
	}
	// enter opens the line in full.
	view = keys(t, a, "enter")
	if !strings.Contains(view, "── Uitval · Dienstverbanden") || !strings.Contains(view, `"X0404" staat niet in Koppel_Organisatie`) {
		t.Errorf("line not opened in full:\n%s", view)
	}
	view = keys(t, a, "esc", "tab")
	if !strings.Contains(view, "[Wijzigingen (") || !strings.Contains(view, "Nieuw") || !strings.Contains(view, "→") {
		t.Errorf("changes with after values:\n%s", view)
	}
	if res.Run.ID == "" || !strings.Contains(view, res.Run.ID) {
		t.Errorf("run id not shown")
	}
}

// The changes tab of a run with many changes pages, jumps, filters and searches, and stays on
// the changes tab while it searches.
func TestChangesTabPagesJumpsAndSearches(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 5, Employees: 400})
	f.addProfile("acme")
	res, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "h", "enter", "tab")
	d := a.top().(*runDetail)
	n := len(d.changes)
	if n < 500 {
		t.Fatalf("only %d changes", n)
	}
	if !strings.Contains(view, fmt.Sprintf("1 van %d", n)) {
		t.Errorf("no position:\n%s", view)
	}
	rows := strings.Count(view, "  Nieuw ") + strings.Count(view, "> ")
	if rows < 6 {
		t.Errorf("only %d rows of changes at 80×24:\n%s", rows, view)
	}
	keys(t, a, "pgdown")
	if d.chList.cursor < 6 {
		t.Errorf("pgdown moved %d rows", d.chList.cursor)
	}
	view = keys(t, a, "G")
	if !strings.Contains(view, fmt.Sprintf("%d van %d", n, n)) {
		t.Errorf("G:\n%s", view)
	}
	view = keys(t, a, "e", "e")
	if d.chEntity == "" || d.tab != tabChanges {
		t.Errorf("entity filter %q on tab %d", d.chEntity, d.tab)
	}
	view = keys(t, a, "e", "e", "e", "e", "t")
	if d.chKind != "Nieuw" {
		t.Errorf("kind filter %q", d.chKind)
	}
	keys(t, a, "t", "t", "t", "e", "e", "e", "e") // both filters back to all
	if d.chKind != "" || d.chEntity != "" {
		t.Fatalf("filters do not cycle back: %q %q", d.chKind, d.chEntity)
	}
	key := displayKey(res.Changes[len(res.Changes)/2].Key)
	args := []string{"/"}
	for _, r := range key {
		args = append(args, string(r))
	}
	view = keys(t, a, append(args, "enter")...)
	if d.tab != tabChanges || !strings.Contains(view, key) || !strings.Contains(view, "/"+key) {
		t.Errorf("search for %s:\n%s", key, view)
	}
	view = keys(t, a, "enter")
	if !strings.Contains(view, "── ") || !strings.Contains(view, "WerkgeverCode") {
		t.Errorf("change not opened in full:\n%s", view)
	}
}

func TestDeleteAsksFirst(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 6, Employees: 10})
	f.addProfile("acme")
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "d")
	golden(t, "home-delete", view)
	if !strings.Contains(view, "verwijderen? Weg zijn dan") || !strings.Contains(view, "[ Nee, behouden ]") {
		t.Errorf("no confirmation:\n%s", view)
	}
	keys(t, a, "enter") // the safe choice has the focus
	if names, _ := f.st.ProfileNames(); len(names) != 1 {
		t.Fatalf("deleted without confirmation")
	}
	view = keys(t, a, "d", "right", "enter")
	if names, _ := f.st.ProfileNames(); len(names) != 0 || !strings.Contains(view, "verwijderd") {
		t.Errorf("not deleted after confirmation: %v\n%s", names, view)
	}
}

// confirmOpen reports whether a screen shows a question.
func confirmOpen(s screen) bool {
	switch s := s.(type) {
	case *home:
		return s.deleting != nil
	case *runScreen:
		return s.asking != nil
	case *wizard:
		return s.leaving != nil
	}
	return false
}

// navigationKeys are every key that moves in a list or between fields, and the letters lists
// answer: none may answer a question.
var navigationKeys = []string{"up", "down", "j", "k", "g", "G", "home", "end", "pgup", "pgdown", "h", "l", "space", "q", "n", "d", "r", "a", "jj"}

// Every confirmation, walked with every navigation key: none answers it. Then enter answers
// the focused (safe) choice, and only a deliberate move to the other choice acts.
func TestConfirmationsIgnoreNavigationKeys(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 6, Employees: 10})
	f.addProfile("acme")
	for _, lang := range []i18n.Lang{i18n.NL, i18n.EN} {
		f.deps.Lang = lang
		type question struct {
			name  string
			open  func(a *App) // opens the question
			acted func(a *App) bool
		}
		var cancelled bool
		questions := []question{
			{"delete", func(a *App) { keys(t, a, "d") }, func(*App) bool {
				names, _ := f.st.ProfileNames()
				return len(names) == 0
			}},
			{"cancel run", func(a *App) {
				r := newRunScreen(a.env, "acme", false, false)
				r.cancel = func() { cancelled = true }
				cancelled = false
				a.stack = append(a.stack, r)
				keys(t, a, "esc")
			}, func(*App) bool { return cancelled }},
			{"deliver past the guard", func(a *App) {
				r := newRunScreen(a.env, "acme", false, false)
				r.finished, r.cancel = true, func() {}
				r.result = &engine.Result{Run: &store.Run{Status: engine.StatusBlocked, Blocked: []store.GuardHit{{Entity: "absences", Deleted: 40, Previous: 120, Limit: 10}}}}
				a.stack = append(a.stack, r)
				keys(t, a, "a")
			}, func(a *App) bool { r, ok := a.top().(*runScreen); return ok && r.allow }},
			{"discard the wizard", func(a *App) { keys(t, a, "n", "x", "esc") }, func(a *App) bool { _, ok := a.top().(*home); return ok }},
		}
		for _, q := range questions {
			a := New(context.Background(), f.deps, "")
			q.open(a)
			if !confirmOpen(a.top()) {
				t.Fatalf("%s %s: no question:\n%s", lang, q.name, render(t, a))
			}
			for _, k := range navigationKeys {
				keys(t, a, k)
				if q.acted(a) || !confirmOpen(a.top()) {
					t.Fatalf("%s %s: %q answered the question", lang, q.name, k)
				}
			}
			keys(t, a, "enter")
			if q.acted(a) || confirmOpen(a.top()) {
				t.Fatalf("%s %s: enter did not take the safe choice", lang, q.name)
			}
			q.open(a)
			keys(t, a, "right", "left", "esc")
			if q.acted(a) || confirmOpen(a.top()) {
				t.Fatalf("%s %s: esc did not cancel", lang, q.name)
			}
			q.open(a)
			if lang == i18n.EN {
				keys(t, a, "y") // English has a letter of its own that no list uses
			} else {
				keys(t, a, "right", "enter")
			}
			if !q.acted(a) {
				t.Fatalf("%s %s: a deliberate yes did nothing:\n%s", lang, q.name, render(t, a))
			}
			if r, ok := a.top().(*runScreen); ok && r.allow {
				r.cancel()
				<-r.done
			}
			if names, _ := f.st.ProfileNames(); len(names) == 0 {
				f.addProfile("acme")
			}
		}
	}
}

func TestEditIsPrefilled(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 9, Employees: 10})
	f.addProfile("acme")
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "e")
	for _, want := range []string{"Klantaccount acme bewerken", "Zorggroep acme", "12345", "‹ test ›"} {
		if !strings.Contains(view, want) {
			t.Errorf("edit lacks %q:\n%s", want, view)
		}
	}
	// The profile name of an existing account cannot change.
	view = keys(t, a, "up", "x")
	if !strings.Contains(view, "blijft gelijk") {
		t.Errorf("name not locked:\n%s", view)
	}
	// Nothing changed: esc leaves without a question.
	keys(t, a, "esc")
	if _, ok := a.top().(*home); !ok {
		t.Errorf("esc on an unchanged edit asks: %T", a.top())
	}
}

// The details are a hub: name (for the CLI), every setting in full, and the keys to act.
func TestDetailsAreAHub(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 10, Employees: 10})
	p := f.addProfile("acme")
	p.Account.URL = "http://127.0.0.1:1/ProfitServices/AppConnectorGet.asmx" // fixed, for the golden file
	p.Delivery.Outbox = "/srv/koppel/outbox/with/a/long/path/that/does/not/fit/in/eighty/columns/at/all"
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "enter")
	golden(t, "details", view)
	if strings.Contains(view, f.sim.TokenData()[:20]) || !strings.Contains(view, "…"+f.sim.TokenData()[60:]) {
		t.Errorf("token not masked:\n%s", view)
	}
	if !strings.Contains(view, "1 januari 2024") || !strings.Contains(view, "koppel run acme") || !strings.Contains(view, "columns/at/all") {
		t.Errorf("details:\n%s", view)
	}
	for k, want := range map[string]any{"e": &wizard{}, "v": &verifyScreen{}, "h": &history{}, "w": &periodsScreen{}, "r": &runScreen{}, "p": &runScreen{}, "x": &explainScreen{}} {
		keys(t, a, k)
		if fmt.Sprintf("%T", a.top()) != fmt.Sprintf("%T", want) {
			t.Errorf("%s on details opened %T", k, a.top())
		}
		if r, ok := a.top().(*runScreen); ok {
			r.cancel()
			<-r.done
			a.stack = a.stack[:len(a.stack)-1]
		} else {
			a.stack = a.stack[:len(a.stack)-1]
		}
	}
}

func TestVerifyScreen(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 11, Employees: 10, Omit: []string{"Koppel_Verzuim"}, Extra: []string{"Koppel_Medewerkers.Burgerlijke_staat"}})
	f.addProfile("acme")
	tm := f.start("")
	waitFor(t, tm, "acme")
	press(tm, "v")
	waitFor(t, tm, "token geaccepteerd", "Koppel_Verzuim", "ontbreekt", "Burgerlijke_staat", "salariskolom Bruto_maandloon hoort erbij")
	press(tm, "s")
	waitFor(t, tm, "koppel-getconnectoren.txt")
	quit(t, tm)
	// Beside the store, with the chosen salary column named.
	defs, err := os.ReadFile(filepath.Join(filepath.Dir(f.st.Path()), "koppel-getconnectoren.txt"))
	if err != nil || !strings.Contains(string(defs), "Koppel_Verzuim") || !strings.Contains(string(defs), "Percentage_aanwezig") || !strings.Contains(string(defs), afassim.SalaryColumn) || strings.Contains(string(defs), "(salary column, optional)") {
		t.Errorf("definitions file: %v\n%s", err, defs)
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
	// Scrolling stops at the top: the pane keeps its height.
	for i := 0; i < 30_000; i++ {
		r.scrollKey(keyMsg("pgup"))
	}
	if top := r.view(); strings.Count(top, "\n") != strings.Count(view, "\n") || !strings.Contains(top, "regels 1–") {
		t.Errorf("scrolled past the top:\n%s", top)
	}
	if n := strings.Count(view, "\n"); n > e.height {
		t.Errorf("%d lines for a %d-line window", n, e.height)
	}
	if !strings.Contains(view, "99999: ") || strings.Contains(view, " 5: BSN") {
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
