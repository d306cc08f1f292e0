package engine_test

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/afassim/afassimtest"
	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

type env struct {
	t      testing.TB
	sim    *afassim.Server
	store  *store.Store
	eng    *engine.Engine
	outbox string
}

func newEnv(t testing.TB, o afassim.Options, mode string) *env {
	t.Helper()
	sim, url := afassimtest.Start(t, o)
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "koppel.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	p := &profile.Profile{
		Name:     "acme",
		Account:  profile.Account{Name: "Acme Zorg BV", Participant: "12345", Environment: "production", URL: url, Token: sim.Token()},
		Employer: "ZBV",
		Couplings: profile.Couplings{
			Werknemer: profile.Werknemer{Enabled: true, Managers: true, Salary: &profile.Salary{Column: afassim.SalaryColumn, Kind: "maandloon"}},
			Verzuim:   profile.Verzuim{Enabled: true},
		},
		DateFrom: "2024-01-31",
		Delivery: profile.Delivery{Outbox: filepath.Join(dir, "outbox"), Mode: mode},
	}
	p.Defaults()
	if err := st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, sim: sim, store: st, eng: engine.New(st), outbox: p.Delivery.Outbox}
}

func (e *env) setMode(mode string) {
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	p.Delivery.Mode = mode
	if err := e.store.PutProfile(p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) run(opts engine.Options) (*engine.Result, []engine.Event) {
	e.t.Helper()
	var events []engine.Event
	opts.RetryBase = time.Millisecond
	res, err := e.eng.Run(context.Background(), "acme", opts, func(ev engine.Event) { events = append(events, ev) })
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return res, events
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestFullRunDeliversEveryFileAsSpecified(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 7, Employees: 300}, profile.ModeCompleet)
	res, events := e.run(engine.Options{PageSize: 50})
	r := res.Run
	if r.Status != engine.StatusOK || r.Delivery == "" {
		t.Fatalf("status %s delivery %q error %q", r.Status, r.Delivery, r.Error)
	}
	if got := events[len(events)-1]; got.Type != "summary" || got.Run != r {
		t.Errorf("last event is %s, want the summary", got.Type)
	}
	var progress int
	for _, ev := range events {
		if ev.Type == "progress" {
			progress++
		}
	}
	if progress < 6 {
		t.Errorf("%d progress events for paged reads", progress)
	}
	var m delivery.Manifest
	data, err := os.ReadFile(filepath.Join(r.Delivery, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Profile != "acme" || m.Run != r.ID || m.Mode != "compleet" || m.DateFrom != "2024-01-31" || len(m.Couplings) != 2 || m.Created.IsZero() {
		t.Errorf("manifest = %+v", m)
	}
	byFile := map[string]string{"afdelingen.csv": mapping.Departments, "medewerkers.csv": mapping.Employments, "gebruikers.csv": mapping.Users, "verzuim.csv": mapping.Absences}
	if len(m.Files) != 4 {
		t.Fatalf("manifest lists %d files", len(m.Files))
	}
	for _, f := range m.Files {
		path := filepath.Join(r.Delivery, f.Name)
		raw, _ := os.ReadFile(path)
		sum := sha256.Sum256(raw)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Errorf("%s: SHA-256 in manifest does not match", f.Name)
		}
		rows := readCSV(t, path)
		ent := byFile[f.Name]
		if strings.Join(rows[0], ";") != strings.Join(mapping.Columns(ent), ";") {
			t.Errorf("%s header %v", f.Name, rows[0])
		}
		if len(rows)-1 != f.Rows || f.Rows != r.Entities[ent].Delivered || f.Rows == 0 {
			t.Errorf("%s: %d rows in file, manifest %d, summary %d", f.Name, len(rows)-1, f.Rows, r.Entities[ent].Delivered)
		}
		if !strings.Contains(string(raw), "\r\n") {
			t.Errorf("%s: lines do not end in CRLF", f.Name)
		}
	}
	// The first delivery is all new.
	for ent, c := range r.Entities {
		if c.New != c.Delivered && ent != mapping.Employees || c.Changed+c.Unchanged+c.Deleted != 0 {
			t.Errorf("%s first run counts %+v", ent, c)
		}
	}
	if c := r.Entities[mapping.Employees]; c.Delivered == 0 || c.Delivered >= r.Entities[mapping.Employments].Delivered {
		t.Errorf("employees %d vs employments %d: some employees have two employments", c.Delivered, r.Entities[mapping.Employments].Delivered)
	}
	// No hidden folder is left behind.
	entries, _ := os.ReadDir(filepath.Dir(r.Delivery))
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), ".") {
			t.Errorf("left behind: %s", en.Name())
		}
	}
	// Rows sorted on their key (employments: employer, employee, employment).
	rows := readCSV(t, filepath.Join(r.Delivery, "medewerkers.csv"))[1:]
	if !slices.IsSortedFunc(rows, func(a, b []string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) }) {
		t.Errorf("medewerkers.csv not sorted on key")
	}
}

func TestSecondRunMutatiesOnlyChanges(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 3, Employees: 200}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	e.setMode(profile.ModeMutaties)

	second, _ := e.run(engine.Options{})
	r := second.Run
	if len(second.Changes) != 0 {
		t.Fatalf("nothing changed in AFAS, yet %d changes", len(second.Changes))
	}
	for ent, c := range r.Entities {
		want := 0
		if ent == mapping.Absences {
			want = first.Run.Entities[ent].Delivered // verzuim.csv is always complete
		}
		if c.Delivered != want || c.New+c.Changed+c.Deleted != 0 || c.Unchanged != first.Run.Entities[ent].Delivered {
			t.Errorf("%s: %+v (first run delivered %d)", ent, c, first.Run.Entities[ent].Delivered)
		}
	}
	for _, name := range []string{"afdelingen.csv", "medewerkers.csv", "gebruikers.csv"} {
		rows := readCSV(t, filepath.Join(r.Delivery, name))
		if len(rows) != 1 || rows[0][0] != "Mutatie" {
			t.Errorf("%s: %d rows, header %v; want only a header starting with Mutatie", name, len(rows), rows[0])
		}
	}
	// Xpert Suite's absence import knows only complete deliveries: verzuim.csv is the same file
	// as in mode compleet, without a Mutatie column.
	if a, b := readCSV(t, filepath.Join(r.Delivery, "verzuim.csv")), readCSV(t, filepath.Join(first.Run.Delivery, "verzuim.csv")); !reflect.DeepEqual(a, b) {
		t.Errorf("mutaties verzuim.csv differs from the complete one: %d vs %d rows, header %v", len(a), len(b), a[0])
	}

	// One employee's work phone changes in AFAS: exactly that employment appears, marked.
	emp := firstWithOneEmployment(t, readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv")))
	if n := e.sim.Set("Koppel_Medewerkers", "Medewerker", emp, "Telefoonnr_werk", "030-1234567"); n != 1 {
		t.Fatalf("changed %d rows", n)
	}
	third, _ := e.run(engine.Options{})
	rows := readCSV(t, filepath.Join(third.Run.Delivery, "medewerkers.csv"))
	if len(rows) != 2 || rows[1][0] != engine.Gewijzigd || rows[1][2] != emp || rows[1][1+13] != "030-1234567" {
		t.Fatalf("medewerkers.csv = %v", rows)
	}
	if c := third.Run.Entities[mapping.Employments]; c.Changed != 1 || c.Delivered != 1 || c.New+c.Deleted != 0 {
		t.Errorf("employment counts %+v", c)
	}
	if c := third.Run.Entities[mapping.Employees]; c.Changed != 1 || c.Delivered != 1 {
		t.Errorf("employee counts %+v", c)
	}
	if len(third.Changes) != 1 || third.Changes[0].Before[13] == third.Changes[0].After[13] {
		t.Errorf("changes = %+v", third.Changes)
	}
	// The run history keeps the change with before and after.
	kept, err := e.store.RunChanges(third.Run.ID)
	if err != nil || len(kept) != 1 || kept[0].After[13] != "030-1234567" {
		t.Errorf("stored changes = %+v, %v", kept, err)
	}
}

// firstWithOneEmployment returns the Personeelsnummer of the first employee with one row in a
// medewerkers.csv (with or without a Mutatie column).
func firstWithOneEmployment(t *testing.T, rows [][]string, except ...string) string {
	t.Helper()
	c := slices.Index(rows[0], "Personeelsnummer")
	count := map[string]int{}
	for _, r := range rows[1:] {
		count[r[c]]++
	}
	for _, r := range rows[1:] {
		if count[r[c]] == 1 && !slices.Contains(except, r[c]) {
			return r[c]
		}
	}
	t.Fatal("no employee with one employment")
	return ""
}

func TestRemovedRecordsAreDeliveredWithLastValues(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 4, Employees: 200}, profile.ModeMutaties)
	first, _ := e.run(engine.Options{})
	rows := readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv"))
	var managers []string // removing a manager would also deactivate an account
	for _, u := range readCSV(t, filepath.Join(first.Run.Delivery, "gebruikers.csv"))[1:] {
		managers = append(managers, u[3])
	}
	emp := firstWithOneEmployment(t, rows, managers...)
	var last []string
	for _, r := range rows {
		if r[2] == emp {
			last = r[1:]
		}
	}
	// The employee leaves AFAS's connectors altogether.
	e.sim.Update(func(d *afassim.Dataset) {
		for _, id := range []string{"Koppel_Dienstverbanden", "Koppel_Medewerkers"} {
			tb := d.Tables[id]
			tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
		}
		tb := d.Tables["Koppel_Verzuim"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
	})
	second, _ := e.run(engine.Options{})
	if second.Run.Status != engine.StatusOK {
		t.Fatalf("status %s, blocked %+v", second.Run.Status, second.Run.Blocked)
	}
	got := readCSV(t, filepath.Join(second.Run.Delivery, "medewerkers.csv"))
	if len(got) != 2 || got[1][0] != engine.Verwijderd || strings.Join(got[1][1:], ";") != strings.Join(last, ";") {
		t.Fatalf("medewerkers.csv = %v\nwant Verwijderd with %v", got, last)
	}
	if c := second.Run.Entities[mapping.Employments]; c.Deleted != 1 {
		t.Errorf("counts %+v", c)
	}
	if c := second.Run.Entities[mapping.Employees]; c.Deleted != 1 {
		t.Errorf("employee counts %+v", c)
	}
	// Delivered once; the next run has nothing to say about it.
	third, _ := e.run(engine.Options{})
	if c := third.Run.Entities[mapping.Employments]; c.Deleted != 0 || c.Delivered != 0 {
		t.Errorf("third run counts %+v", c)
	}
}

func TestManagerAccountsAreDeactivatedNeverDropped(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 150}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	users := readCSV(t, filepath.Join(first.Run.Delivery, "gebruikers.csv"))
	if len(users) < 3 {
		t.Fatalf("only %d accounts", len(users)-1)
	}
	victim := users[1] // the first account
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Organisatie"]
		for _, r := range tb.Rows {
			if r[tb.Col("Medewerkernummer_leidinggevende")] == victim[2] {
				r[tb.Col("Medewerkernummer_leidinggevende")] = ""
			}
		}
	})
	// One account of a handful is more than the guard's 10%: this change is meant.
	second, _ := e.run(engine.Options{AllowDeletes: true})
	got := readCSV(t, filepath.Join(second.Run.Delivery, "gebruikers.csv"))
	var found []string
	for _, r := range got {
		if r[1] == victim[1] {
			found = r
		}
	}
	if found == nil || found[12] != "Gedeactiveerd" || len(got) != len(users) {
		t.Fatalf("account %s: %v (rows %d, before %d)", victim[1], found, len(got), len(users))
	}
	if c := second.Run.Entities[mapping.Users]; c.Deleted != 1 {
		t.Errorf("user counts %+v", c)
	}
	third, _ := e.run(engine.Options{})
	got = readCSV(t, filepath.Join(third.Run.Delivery, "gebruikers.csv"))
	if len(got) != len(users) {
		t.Errorf("a deactivated account must stay delivered as such, so Xpert Suite does not delete it")
	}
}

func TestDeletionGuardBlocks(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 6, Employees: 200}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	stateBefore, _ := e.store.State("acme", mapping.Employments)
	// A customer's AFAS administrator narrows the connector: half the employments disappear.
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		tb.Rows = tb.Rows[:len(tb.Rows)/2]
	})
	blocked, _ := e.run(engine.Options{})
	r := blocked.Run
	if r.Status != engine.StatusBlocked || r.Delivery != "" || len(r.Blocked) == 0 || r.Blocked[0].Entity != mapping.Employments {
		t.Fatalf("status %s delivery %q blocked %+v", r.Status, r.Delivery, r.Blocked)
	}
	if _, err := os.Stat(filepath.Join(e.outbox, "acme", r.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a blocked run delivered a folder")
	}
	stateAfter, _ := e.store.State("acme", mapping.Employments)
	if len(stateAfter) != len(stateBefore) {
		t.Errorf("a blocked run changed the state: %d → %d", len(stateBefore), len(stateAfter))
	}
	if last, _ := e.store.LastRun("acme"); last.Status != engine.StatusBlocked {
		t.Errorf("the blocked run is not in the history")
	}
	allowed, _ := e.run(engine.Options{AllowDeletes: true})
	if allowed.Run.Status != engine.StatusOK || allowed.Run.Entities[mapping.Employments].Deleted < first.Run.Entities[mapping.Employments].Delivered/3 {
		t.Errorf("--allow-deletes: %+v", allowed.Run.Entities[mapping.Employments])
	}
}

func TestDryRunDeliversNothing(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 8, Employees: 100}, profile.ModeCompleet)
	res, _ := e.run(engine.Options{DryRun: true})
	if res.Run.Status != engine.StatusOK || res.Run.Delivery != "" || len(res.Changes) == 0 {
		t.Fatalf("dry run: %+v, %d changes", res.Run, len(res.Changes))
	}
	if _, err := os.Stat(filepath.Join(e.outbox, "acme")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run wrote to the outbox")
	}
	if st, _ := e.store.State("acme", mapping.Employments); len(st) != 0 {
		t.Errorf("dry run stored state")
	}
	// The preview is kept in the history, with its changes, but it is no delivery.
	runs, _ := e.store.Runs("acme")
	if len(runs) != 1 || !runs[0].DryRun || runs[0].HasDelivery() {
		t.Fatalf("history after a preview: %+v", runs)
	}
	if kept, _ := e.store.RunChanges(runs[0].ID); len(kept) != len(res.Changes) {
		t.Errorf("the preview keeps %d of %d changes", len(kept), len(res.Changes))
	}
	if last, _ := e.store.LastDelivery("acme"); last != nil {
		t.Errorf("a preview counts as the last delivery: %+v", last)
	}
}

func TestCancelledRunLeavesNothing(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 9, Employees: 400, Faults: afassim.Faults{Slow: 20 * time.Millisecond}}, profile.ModeCompleet)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := e.eng.Run(ctx, "acme", engine.Options{PageSize: 20}, func(ev engine.Event) {
		if ev.Type == "progress" && ev.Pages == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if runs, _ := e.store.Runs("acme"); len(runs) != 0 {
		t.Errorf("cancelled run recorded")
	}
	entries, _ := os.ReadDir(filepath.Join(e.outbox, "acme"))
	if len(entries) != 0 {
		t.Errorf("cancelled run left %v", entries)
	}
}

func TestTransientFaultsAreRetried(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 10, Employees: 80, Faults: afassim.Faults{FailFirst: 3}}, profile.ModeCompleet)
	res, events := e.run(engine.Options{})
	if res.Run.Status != engine.StatusOK {
		t.Fatalf("status %s: %s", res.Run.Status, res.Run.Error)
	}
	retries := 0
	for _, ev := range events {
		if ev.Type == "log" && ev.Log.Code == "run.retry" {
			retries++
		}
	}
	if retries != 3 {
		t.Errorf("%d retries logged, want 3", retries)
	}
}

func TestFunctionalFaultFailsAtOnce(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 11, Employees: 50, Omit: []string{"Koppel_Verzuim"}}, profile.ModeCompleet)
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{}, nil)
	if !afas.IsKind(err, afas.FaultConnectorMissing) || !strings.Contains(err.Error(), "Koppel_Verzuim") {
		t.Fatalf("err = %v", err)
	}
	if res.Run.Status != engine.StatusFailed || res.Run.Delivery != "" {
		t.Errorf("run %+v", res.Run)
	}
	if e.sim.Requests() > 12 {
		t.Errorf("%d requests: a missing connector must not be retried", e.sim.Requests())
	}
}

func TestFieldsBeyondWhitelistNeverStored(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 12, Employees: 60, Extra: []string{"Koppel_Verzuim.Reden_verzuim"}}, profile.ModeCompleet)
	res, _ := e.run(engine.Options{})
	var warned bool
	for _, l := range res.Logs {
		if l.Code == "run.fields_dropped" && l.Level == runlog.Waarschuwing && strings.Contains(strings.Join(l.Args, " "), "Reden_verzuim") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no Waarschuwing naming the extra field")
	}
	raw, _ := os.ReadFile(filepath.Join(res.Run.Delivery, "verzuim.csv"))
	// The catalog and every profile file beside it.
	db, _ := os.ReadFile(e.store.Path())
	files, _ := filepath.Glob(e.store.Path() + ".d/*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		db = append(db, b...)
	}
	for _, blob := range [][]byte{raw, db} {
		if strings.Contains(string(blob), "Vrije tekst") {
			t.Fatalf("a value of a field beyond the whitelist reached a file or the store")
		}
	}
}

func TestInterruptedDeliveryIsCompletedOrCleanedUp(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 13, Employees: 60}, profile.ModeCompleet)
	// Leftover of a run killed before its commit: a hidden folder.
	stale := delivery.TempName(e.outbox, "acme", "20200101-000000-dead")
	if err := os.MkdirAll(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	// A run killed after its commit but before the rename.
	committed := delivery.TempName(e.outbox, "acme", "20200101-000001-beef")
	final := filepath.Join(e.outbox, "acme", "20200101-000001-beef")
	if err := os.MkdirAll(committed, 0o755); err != nil {
		t.Fatal(err)
	}
	run := &store.Run{ID: "20200101-000001-beef", Profile: "acme", Status: "ok", Delivery: final}
	if err := e.store.Commit(run, nil, nil, nil, &store.Pending{Temp: committed, Final: final}); err != nil {
		t.Fatal(err)
	}
	res, _ := e.run(engine.Options{})
	if _, err := os.Stat(final); err != nil {
		t.Errorf("the committed delivery was not completed: %v", err)
	}
	for _, p := range []string{stale, committed} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there", p)
		}
	}
	if pend, _ := e.store.PendingOf("acme"); pend != nil {
		t.Errorf("pending not cleared")
	}
	if res.Run.Status != engine.StatusOK {
		t.Errorf("status %s", res.Run.Status)
	}
}

func TestEveryRecordRejectedFailsTheRun(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 14, Employees: 40}, profile.ModeCompleet)
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		for _, r := range tb.Rows {
			r[tb.Col("Organisatorische_eenheid_code")] = "NERGENS"
		}
	})
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{}, nil)
	if err == nil || res.Run.Status != engine.StatusFailed {
		t.Fatalf("err %v status %s", err, res.Run.Status)
	}
	if _, err := os.Stat(filepath.Join(e.outbox, "acme")); err == nil {
		entries, _ := os.ReadDir(filepath.Join(e.outbox, "acme"))
		if len(entries) > 0 {
			t.Errorf("failed run delivered %v", entries)
		}
	}
}

func TestUnknownProfileIsAUsageError(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 1, Employees: 5}, profile.ModeCompleet)
	_, err := e.eng.Run(context.Background(), "nope", engine.Options{}, nil)
	var ue *engine.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v", err)
	}
	_, err = e.eng.Run(context.Background(), "acme", engine.Options{Couplings: []string{"flex"}}, nil)
	if !errors.As(err, &ue) {
		t.Fatalf("unknown coupling: %v", err)
	}
}

func TestFlakyAFASDeliversWhatACleanRunDelivers(t *testing.T) {
	clean := newEnv(t, afassim.Options{Seed: 15, Employees: 150}, profile.ModeCompleet)
	want, _ := clean.run(engine.Options{PageSize: 20})
	flaky := newEnv(t, afassim.Options{Seed: 15, Employees: 150, Faults: afassim.Faults{Rate500: 0.05, Rate503: 0.05, RateReset: 0.05, RateJunk: 0.05}}, profile.ModeCompleet)
	got, _ := flaky.run(engine.Options{PageSize: 20, RequestTimeout: time.Second})
	retries := 0
	for _, l := range got.Logs {
		if l.Code == "run.retry" {
			retries++
		}
	}
	if retries == 0 {
		t.Fatal("no faults were injected")
	}
	for _, f := range []string{"afdelingen.csv", "medewerkers.csv", "gebruikers.csv", "verzuim.csv"} {
		a, _ := os.ReadFile(filepath.Join(want.Run.Delivery, f))
		b, _ := os.ReadFile(filepath.Join(got.Run.Delivery, f))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s differs after %d retries", f, retries)
		}
	}
}

func TestRenamedConnectorsAndFields(t *testing.T) {
	clean := newEnv(t, afassim.Options{Seed: 16, Employees: 80}, profile.ModeCompleet)
	want, _ := clean.run(engine.Options{})
	e := newEnv(t, afassim.Options{Seed: 16, Employees: 80, Rename: []string{
		"Koppel_Medewerkers.Email_werk=Email", "Koppel_Dienstverbanden.Einddatum_contract=Einde", "Koppel_Medewerkers=HR_Medewerkers",
	}}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.Connectors.IDs = map[string]string{"medewerkers": "HR_Medewerkers"}
	p.Connectors.Fields = map[string]map[string]string{"medewerkers": {"Email_werk": "Email"}, "dienstverbanden": {"Einddatum_contract": "Einde"}}
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	got, _ := e.run(engine.Options{})
	for _, f := range []string{"medewerkers.csv", "gebruikers.csv"} {
		a, _ := os.ReadFile(filepath.Join(want.Run.Delivery, f))
		b, _ := os.ReadFile(filepath.Join(got.Run.Delivery, f))
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("%s differs with renamed connectors and fields", f)
		}
	}
	for _, l := range got.Logs {
		if l.Code == "run.fields_dropped" {
			t.Errorf("a renamed field was treated as extra: %v", l.Args)
		}
	}
}

func TestMutatiesRowsSortedOnKey(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 17, Employees: 200}, profile.ModeMutaties)
	first, _ := e.run(engine.Options{})
	rows := readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv"))[1:]
	// Change every fifth employee's phone and remove every seventh, spread over the key range.
	e.sim.Update(func(d *afassim.Dataset) {
		emp := d.Tables["Koppel_Medewerkers"]
		for i, r := range emp.Rows {
			if i%5 == 0 {
				r[emp.Col("Telefoonnr_werk")] = "030-5555555"
			}
		}
		dv := d.Tables["Koppel_Dienstverbanden"]
		var keep [][]string
		for i, r := range dv.Rows {
			if i%7 != 3 {
				keep = append(keep, r)
			}
		}
		dv.Rows = keep
	})
	second, _ := e.run(engine.Options{AllowDeletes: true})
	got := readCSV(t, filepath.Join(second.Run.Delivery, "medewerkers.csv"))[1:]
	kinds := map[string]int{}
	for _, r := range got {
		kinds[r[0]]++
	}
	if kinds[engine.Gewijzigd] == 0 || kinds[engine.Verwijderd] == 0 {
		t.Fatalf("kinds %v (first run %d rows)", kinds, len(rows))
	}
	less := func(a, b []string) bool {
		if a[1] != b[1] {
			return a[1] < b[1]
		}
		if a[2] != b[2] {
			return a[2] < b[2]
		}
		x, _ := strconv.Atoi(a[16])
		y, _ := strconv.Atoi(b[16])
		return x < y
	}
	for i := 1; i < len(got); i++ {
		if less(got[i], got[i-1]) {
			t.Fatalf("row %d out of key order: %v after %v", i, got[i][:4], got[i-1][:4])
		}
	}
}

// verzuimOnly makes the profile AFAS Verzuim only, one of the two standard configurations.
func (e *env) verzuimOnly() {
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	p.Couplings.Werknemer = profile.Werknemer{}
	if err := e.store.PutProfile(p); err != nil {
		e.t.Fatal(err)
	}
}

func TestVerzuimOnlyDeliversWhatAFullRunDelivers(t *testing.T) {
	for _, mode := range []string{profile.ModeCompleet, profile.ModeMutaties} {
		t.Run(mode, func(t *testing.T) {
			full := newEnv(t, afassim.Options{Seed: 21, Employees: 150}, mode)
			want, _ := full.run(engine.Options{})

			only := newEnv(t, afassim.Options{Seed: 21, Employees: 150}, mode)
			only.verzuimOnly()
			got, _ := only.run(engine.Options{})

			// The same run with --coupling verzuim on a profile with both couplings.
			flag := newEnv(t, afassim.Options{Seed: 21, Employees: 150}, mode)
			picked, _ := flag.run(engine.Options{Couplings: []string{profile.CouplingVerzuim}})

			wantRows := readCSV(t, filepath.Join(want.Run.Delivery, "verzuim.csv"))
			if len(wantRows) < 50 {
				t.Fatalf("full run delivered only %d absence rows", len(wantRows))
			}
			for name, res := range map[string]*engine.Result{"verzuim only": got, "--coupling verzuim": picked} {
				if res.Run.Status != engine.StatusOK {
					t.Fatalf("%s: status %s: %s", name, res.Run.Status, res.Run.Error)
				}
				if rows := readCSV(t, filepath.Join(res.Run.Delivery, "verzuim.csv")); !reflect.DeepEqual(rows, wantRows) {
					t.Errorf("%s: verzuim.csv has %d rows, the full run %d", name, len(rows), len(wantRows))
				}
				entries, _ := os.ReadDir(res.Run.Delivery)
				var files []string
				for _, f := range entries {
					files = append(files, f.Name())
				}
				if !reflect.DeepEqual(files, []string{"manifest.json", "verzuim.csv"}) {
					t.Errorf("%s: delivered %v", name, files)
				}
				if a, b := res.Run.Entities[mapping.Absences], want.Run.Entities[mapping.Absences]; *a != *b {
					t.Errorf("%s: absence counts %+v, full run %+v", name, *a, *b)
				}
				for _, ent := range []string{mapping.Departments, mapping.Employees, mapping.Employments, mapping.Users} {
					if res.Run.Entities[ent] != nil {
						t.Errorf("%s: reports on %s", name, ent)
					}
				}
			}
		})
	}
}

func TestRenameFailureAfterCommitLeavesAnOKRun(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 22, Employees: 40}, profile.ModeCompleet)
	dir := filepath.Join(e.outbox, "acme")
	var blocker string
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{RetryBase: time.Millisecond}, func(ev engine.Event) {
		if ev.Type != "stage" || ev.Stage != engine.StageCommit {
			return
		}
		// Just before the commit: put a non-empty folder where the delivery will be renamed to,
		// so the rename fails for real.
		entries, _ := os.ReadDir(dir)
		for _, en := range entries {
			if name, ok := strings.CutPrefix(en.Name(), "."); ok {
				name = strings.TrimSuffix(name, filepath.Ext(name))
				blocker = filepath.Join(dir, name)
			}
		}
		if err := os.MkdirAll(filepath.Join(blocker, "in-the-way"), 0o700); err != nil {
			t.Fatal(err)
		}
	})
	if err != nil {
		t.Fatalf("run failed after its commit: %v", err)
	}
	if blocker == "" || blocker != res.Run.Delivery {
		t.Fatalf("blocker %q, delivery %q", blocker, res.Run.Delivery)
	}
	stored, err := e.store.Run(res.Run.ID)
	if err != nil || stored.Status != engine.StatusOK || stored.Delivery != res.Run.Delivery {
		t.Fatalf("stored run %+v, %v", stored, err)
	}
	logs, _ := e.store.RunLogs(res.Run.ID)
	warned := false
	for _, l := range logs {
		warned = warned || l.Code == "run.publish_failed" && l.Level == runlog.Waarschuwing
	}
	if !warned || stored.Levels["Waarschuwing"] == 0 {
		t.Errorf("no Waarschuwing for the failed rename in the run's log")
	}
	if pend, _ := e.store.PendingOf("acme"); pend == nil {
		t.Fatal("the rename is not left to the next run")
	}
	// The obstacle goes; the next run completes the delivery first.
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	e.run(engine.Options{})
	if _, err := os.Stat(filepath.Join(res.Run.Delivery, "manifest.json")); err != nil {
		t.Errorf("the committed delivery was not published by the next run: %v", err)
	}
}

func TestFailedDeliveryReportsNothingDelivered(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 23, Employees: 40}, profile.ModeCompleet)
	dir := filepath.Join(e.outbox, "acme")
	// The outbox stops taking deliveries once the run has read and compared everything: the
	// profile's folder becomes a file.
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{RetryBase: time.Millisecond}, func(ev engine.Event) {
		if ev.Type == "stage" && ev.Stage == engine.StageDeliver {
			_ = os.RemoveAll(dir)
			if err := os.MkdirAll(e.outbox, 0o700); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(dir, []byte("not a folder"), 0o600); err != nil {
				t.Error(err)
			}
		}
	})
	if err == nil || res == nil || res.Run.Status != engine.StatusFailed {
		t.Fatalf("run: %v %+v", err, res)
	}
	for ent, c := range res.Run.Entities {
		if c.Delivered != 0 {
			t.Errorf("%s: %d delivered by a failed run", ent, c.Delivered)
		}
	}
	stored, _ := e.store.Run(res.Run.ID)
	if stored == nil || stored.HasDelivery() || stored.Entities[mapping.Employments] == nil || stored.Entities[mapping.Employments].Fetched == 0 {
		t.Fatalf("stored run %+v", stored)
	}

	// A run that cannot use its outbox at all is on record too.
	res, err = e.eng.Run(context.Background(), "acme", engine.Options{RetryBase: time.Millisecond}, nil)
	if err == nil || res == nil || res.Run.Status != engine.StatusFailed || !strings.Contains(res.Run.Error, "not a directory") {
		t.Fatalf("second run: %v %+v", err, res)
	}
	if stored, _ := e.store.Run(res.Run.ID); stored == nil || stored.Status != engine.StatusFailed {
		t.Errorf("the failed run is not in the history: %+v", stored)
	}
}

func TestCallsInFlightNeverExceedParallel(t *testing.T) {
	for _, parallel := range []int{1, 2, 3} {
		e := newEnv(t, afassim.Options{Seed: 24, Employees: 1500, Latency: 5 * time.Millisecond}, profile.ModeCompleet)
		e.run(engine.Options{Parallel: parallel, PageSize: 100})
		// The second run reads the big connectors in key ranges side by side.
		e.sim.ResetMaxInFlight()
		res, _ := e.run(engine.Options{Parallel: parallel, PageSize: 100})
		if got := e.sim.MaxInFlight(); got > parallel || got < parallel {
			t.Errorf("--parallel %d: at most %d calls in flight", parallel, got)
		}
		if res.Run.Status != engine.StatusOK {
			t.Errorf("--parallel %d: %s", parallel, res.Run.Error)
		}
	}
}

// The first worked example of flex.md: ill from 2022-01-03, recovered 2022-07-04 (21 days
// well), ill again from 2022-07-25, still open. With date-from 2023-01-01 only the second
// absence is delivered, but with the period of the first, read from the history window.
func TestCompositePeriodBeganBeforeDateFrom(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 25, Employees: 40}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.DateFrom = "2023-01-01"
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	first, _ := e.run(engine.Options{})
	emp := firstWithOneEmployment(t, readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv")))
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Verzuim"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
		row := func(verzuim, verloop, first, recovered string) []string {
			r := make([]string, len(tb.Fields))
			for f, v := range map[string]string{"Verzuim_id": verzuim, "Verloop_id": verloop, "Medewerker": emp, "Werkgever_code": "ZBV",
				"Eerste_verzuimdag": first + "T00:00:00", "Datum_ziekmelding": first + "T00:00:00", "Type_verzuim": "Z", "Type_verzuim_omschrijving": "Ziek",
				"Verloop_datum": first + "T00:00:00", "Percentage_aanwezig": "0", "Vangnet": "false"} {
				r[tb.Col(f)] = v
			}
			if recovered != "" {
				r[tb.Col("Datum_hersteld")] = recovered + "T00:00:00"
			}
			return r
		}
		tb.Rows = append(tb.Rows,
			row("77001", "97001", "2022-01-03", "2022-07-04"),
			row("77002", "97002", "2022-07-25", ""),
			row("77003", "97003", "2010-01-04", "2010-02-01"), // long before the history window
		)
	})
	res, _ := e.run(engine.Options{})
	rows := readCSV(t, filepath.Join(res.Run.Delivery, "verzuim.csv"))
	header := rows[0]
	if got := strings.Join(header[len(header)-3:], ";"); got != "ZiekteperiodeId;EersteDagZiekteperiode;EindeWachttijd" {
		t.Fatalf("header ends with %s", got)
	}
	var mine [][]string
	for _, r := range rows[1:] {
		if r[1] == emp {
			mine = append(mine, r)
		}
	}
	if len(mine) != 1 || mine[0][2] != "77002" {
		t.Fatalf("delivered absences of %s: %v; want only 77002 (the others recovered before date-from)", emp, mine)
	}
	if got := strings.Join(mine[0][len(header)-3:], ";"); got != "77001;2022-01-03;2024-01-21" {
		t.Errorf("period columns %s; want 77001;2022-01-03;2024-01-21", got)
	}
	// History rows are never counted or logged.
	for _, l := range res.Logs {
		if strings.Contains(l.Key, "77001") || strings.Contains(l.Key, "77003") {
			t.Errorf("a history row is logged: %+v", l)
		}
	}
}

func TestConfiguredColumnsRoundTrip(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 26, Employees: 80}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	p, _ := e.store.Profile("acme")
	p.Delivery.Columns = map[string]columns.Config{
		"medewerkers": {
			Rename: map[string]string{"Personeelsnummer": "Werknemer_Personeelsnummer"},
			Omit:   []string{"Roepnaam"},
			Add:    map[string]string{"Bron": "AFAS"},
			Order:  []string{"Werknemer_Personeelsnummer", "WerkgeverCode"},
		},
	}
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	second, _ := e.run(engine.Options{})
	third, _ := e.run(engine.Options{})
	// A header change is no change of data: nothing is written to the state.
	for _, r := range []*engine.Result{second, third} {
		if r.Run.StateWrites != 0 || len(r.Changes) != 0 {
			t.Errorf("run %s: %d state writes, %d changes after a column change only", r.Run.ID, r.Run.StateWrites, len(r.Changes))
		}
	}
	a, b := readCSV(t, filepath.Join(second.Run.Delivery, "medewerkers.csv")), readCSV(t, filepath.Join(third.Run.Delivery, "medewerkers.csv"))
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two runs without changes delivered different files")
	}
	if got := strings.Join(a[0][:3], ";"); got != "Werknemer_Personeelsnummer;WerkgeverCode;Persoonsnummer" || a[0][len(a[0])-1] != "Bron" || slices.Contains(a[0], "Roepnaam") {
		t.Fatalf("header %v", a[0])
	}
	orig := readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv"))
	if len(orig) != len(a) || a[1][0] != orig[1][1] || a[1][1] != orig[1][0] || a[1][len(a[1])-1] != "AFAS" || len(a[1]) != len(orig[1]) {
		t.Errorf("row %v from %v", a[1], orig[1])
	}
	// The other files keep koppel's columns.
	if h := readCSV(t, filepath.Join(second.Run.Delivery, "afdelingen.csv"))[0]; strings.Join(h, ";") != strings.Join(mapping.Columns(mapping.Departments), ";") {
		t.Errorf("afdelingen.csv header %v", h)
	}
}

func TestNoMutationColumn(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 27, Employees: 80}, profile.ModeMutaties)
	first, _ := e.run(engine.Options{})
	p, _ := e.store.Profile("acme")
	p.Delivery.MutationColumn = profile.NoMutationColumn
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	emp := firstWithOneEmployment(t, readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv")))
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
	})
	res, _ := e.run(engine.Options{AllowDeletes: true}) // the employee may manage someone
	if res.Run.Status != engine.StatusOK {
		t.Fatalf("run: %s %s %+v", res.Run.Status, res.Run.Error, res.Run.Blocked)
	}
	rows := readCSV(t, filepath.Join(res.Run.Delivery, "medewerkers.csv"))
	if rows[0][0] != "WerkgeverCode" || len(rows) != 1 {
		t.Fatalf("medewerkers.csv without a mutation column: %v", rows)
	}
	warned := false
	for _, l := range res.Logs {
		warned = warned || l.Code == "run.removal_not_sent" && l.Level == runlog.Waarschuwing && strings.Contains(l.Key, emp)
	}
	if !warned {
		t.Errorf("the removal of %s is not reported", emp)
	}
}

// explain and a run share the rules: for every employee, the lines explain says a run would
// deliver are that employee's lines in the run's delivery, and its changes are the run's.
// checkChanges compares the changes explain predicted for every employee with the run's: the
// same kind for every record (a deactivated account is the run's Gewijzigd; an unchanged one is
// no change of the run), and no change of the run that no explanation named.
func checkChanges(t *testing.T, round string, run []store.Change, want map[string]*engine.Explanation) {
	t.Helper()
	got := map[string]string{}
	for _, c := range run {
		if c.Entity != mapping.Departments {
			got[c.Entity+" "+mapping.DisplayKey(c.Key)] = c.Kind
		}
	}
	claimed := map[string]bool{}
	for nr, x := range want {
		for _, c := range x.Changes {
			id := c.Entity + " " + c.Key
			kind := map[string]string{engine.Gedeactiveerd: engine.Gewijzigd, engine.Ongewijzigd: ""}[c.Kind]
			if kind == "" && c.Kind != engine.Ongewijzigd {
				kind = c.Kind
			}
			if got[id] != kind {
				t.Errorf("%s: %s %s: explain %s, the run %q", round, nr, id, c.Kind, got[id])
			}
			claimed[id] = true
		}
	}
	for id, kind := range got {
		if !claimed[id] {
			t.Errorf("%s: the run's %s %s is in no explanation", round, kind, id)
		}
	}
}

func TestExplainEqualsTheRun(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 28, Employees: 30}, profile.ModeCompleet)
	var nrs []string
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Medewerkers"]
		for _, r := range tb.Rows {
			nrs = append(nrs, r[tb.Col("Medewerker")])
		}
	})
	check := func(round string) {
		want := map[string]*engine.Explanation{}
		for _, nr := range nrs {
			x, err := e.eng.Explain(context.Background(), "acme", nr, engine.Options{RetryBase: time.Millisecond})
			if err != nil {
				t.Fatalf("%s: explain %s: %v", round, nr, err)
			}
			want[nr] = x
		}
		res, _ := e.run(engine.Options{AllowDeletes: true})
		for _, nr := range nrs {
			for _, f := range want[nr].Files {
				delivered := readCSV(t, filepath.Join(res.Run.Delivery, f.File))
				col := 1 + slices.Index(f.Header[1:], "Personeelsnummer")
				if f.Header[0] != "Mutatie" {
					col = slices.Index(f.Header, "Personeelsnummer")
				}
				bsn := slices.Index(f.Header, "BSN")
				var got [][]string
				for _, row := range delivered[1:] {
					if row[col] == nr {
						if bsn >= 0 {
							row[bsn] = mapping.MaskBSN(row[bsn])
						}
						got = append(got, row)
					}
				}
				if !reflect.DeepEqual(got, f.Lines) && !(len(got) == 0 && len(f.Lines) == 0) {
					t.Errorf("%s: %s in %s:\nrun     %v\nexplain %v", round, nr, f.File, got, f.Lines)
				}
				if !reflect.DeepEqual(delivered[0], f.Header) {
					t.Errorf("%s: %s header %v, explain %v", round, f.File, delivered[0], f.Header)
				}
			}
		}
		checkChanges(t, round, res.Changes, want)
	}
	check("first run")
	// Then AFAS changes, and the profile delivers mutations.
	e.setMode(profile.ModeMutaties)
	e.sim.Set("Koppel_Medewerkers", "Medewerker", nrs[3], "Telefoonnr_werk", "030-7654321")
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == nrs[7] })
	})
	check("mutaties")

	if _, err := e.eng.Explain(context.Background(), "acme", "999999", engine.Options{RetryBase: time.Millisecond}); err == nil {
		t.Error("an unknown employee explained")
	} else if ue := (*engine.UsageError)(nil); !errors.As(err, &ue) || !strings.Contains(ue.Text("en"), "did you mean") {
		t.Errorf("unknown employee: %v", err)
	}
}

func TestHistoryKeepsTheProfilesRuns(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 29, Employees: 20}, profile.ModeMutaties)
	p, _ := e.store.Profile("acme")
	p.History.KeepRuns = 3
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 6; i++ {
		res, _ := e.run(engine.Options{DryRun: i == 5})
		ids = append(ids, res.Run.ID)
	}
	runs, _ := e.store.Runs("acme")
	var got []string
	for _, r := range runs {
		got = append(got, r.ID)
	}
	if !reflect.DeepEqual(got, []string{ids[5], ids[4], ids[3]}) {
		t.Errorf("kept %v; want the last three of %v", got, ids)
	}
	if _, err := e.store.RunLogs(ids[0]); err != nil {
		t.Errorf("logs of a pruned run: %v", err)
	}
	if logs, _ := e.store.RunLogs(ids[0]); len(logs) != 0 {
		t.Errorf("a pruned run keeps %d log entries", len(logs))
	}
}

func TestProfileLimitsRaiseTheCaps(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 30, Employees: 60}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.Limits.MaxRows = 10
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{RetryBase: time.Millisecond}, nil)
	if err == nil || !strings.Contains(err.Error(), "more than 10 rows") || res.Run.Status != engine.StatusFailed {
		t.Fatalf("a profile cap of 10 rows: %v", err)
	}
	// A run's own flag goes first.
	if res, _ := e.run(engine.Options{MaxRows: 1000}); res.Run.Status != engine.StatusOK {
		t.Errorf("--max-rows 1000: %s", res.Run.Error)
	}
}

func TestFailedRunReadsInEitherLanguage(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 31, Employees: 20, Omit: []string{"Koppel_Verzuim"}}, profile.ModeCompleet)
	res, err := e.eng.Run(context.Background(), "acme", engine.Options{RetryBase: time.Millisecond}, nil)
	if err == nil {
		t.Fatal("no error")
	}
	stored, _ := e.store.Run(res.Run.ID)
	nl, en := stored.ErrorText(i18n.NL.T), stored.ErrorText(i18n.EN.T)
	if !strings.Contains(nl, "Koppel_Verzuim") || !strings.Contains(nl, "GetConnector ontbreekt") || !strings.Contains(en, "GetConnector missing") {
		t.Errorf("nl %q, en %q", nl, en)
	}
}
