package engine_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func (e *env) flexOn() {
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	p.Flex = profile.Flex{Enabled: true, Employer: "UZB"}
	if err := e.store.PutProfile(p); err != nil {
		e.t.Fatal(err)
	}
}

// rowsOf returns the rows of a delivered file whose column has a value, by another column.
func rowsOf(rows [][]string, column, value string) [][]string {
	i := slices.Index(rows[0], column)
	var out [][]string
	for _, r := range rows[1:] {
		if r[i] == value {
			out = append(out, r)
		}
	}
	return out
}

func column(rows [][]string, name string) []string {
	i := slices.Index(rows[0], name)
	var out []string
	for _, r := range rows[1:] {
		out = append(out, r[i])
	}
	return out
}

// An AFAS Flex environment is delivered per person: one employee, one absence file, the
// placements visible; the composite period runs across the person's records.
func TestFlexDeliversPerPerson(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 160, Flex: true}, profile.ModeCompleet)
	e.flexOn()
	res, _ := e.run(engine.Options{PageSize: 40})
	r := res.Run
	if r.Status != engine.StatusOK {
		t.Fatalf("status %s: %s", r.Status, r.Error)
	}
	emps := readCSV(t, filepath.Join(r.Delivery, "medewerkers.csv"))
	for _, row := range emps[1:] {
		if row[0] != "UZB" || row[1] != row[2] || row[1] == "" {
			t.Fatalf("a row not under its person and the flex employer: %v", row)
		}
	}
	// F000001: three records; 800011's employment ended before date-from; 800013 is primary.
	femke := rowsOf(emps, "Personeelsnummer", afassim.FlexPersonThree)
	if got := column(append([][]string{emps[0]}, femke...), "Dienstverband"); !slices.Equal(got, []string{"800012-1", "800013-1"}) {
		t.Errorf("F000001's employments %v", got)
	}
	for _, row := range femke {
		if row[slices.Index(emps[0], "Achternaam")] != "Flex-Jansen" || row[slices.Index(emps[0], "Emailadres")] != "f.flex@zbv.example" {
			t.Errorf("F000001 row without the primary record's person fields: %v", row)
		}
	}
	if len(rowsOf(emps, "Dienstverband", afassim.FlexNoPersonRecord+"-1")) != 0 {
		t.Error("the record without Persoonsnummer is delivered")
	}
	persons := map[string]bool{}
	for _, pn := range column(emps, "Personeelsnummer") {
		persons[pn] = true
	}
	if got := r.Entities[mapping.Employees].Delivered; got != len(persons) {
		t.Errorf("employees delivered %d, persons in medewerkers.csv %d", got, len(persons))
	}

	// One absence file: both absences under the person, in one composite period.
	abs := readCSV(t, filepath.Join(r.Delivery, "verzuim.csv"))
	mine := rowsOf(abs, "Personeelsnummer", afassim.FlexPersonThree)
	if len(mine) != 2 {
		t.Fatalf("F000001's absences: %v", mine)
	}
	for _, row := range mine {
		if row[0] != "UZB" || strings.Join(row[len(row)-3:], ";") != "96001;2025-01-06;2027-01-24" {
			t.Errorf("absence %v: want period 96001;2025-01-06;2027-01-24 (2025-01-06 + 727 + 21)", row)
		}
	}
	if len(rowsOf(abs, "VerzuimId", "96004")) != 0 {
		t.Error("the absence of a record without Persoonsnummer is delivered")
	}

	// Placements: running, ended after date-from and future ones; not the one ended before it,
	// not the one that ends before it starts, the duplicate once, none of an unknown record.
	pls := readCSV(t, filepath.Join(r.Delivery, "plaatsingen.csv"))
	if got := strings.Join(pls[0], ";"); got != "WerkgeverCode;Personeelsnummer;PlaatsingId;OpdrachtgeverCode;OpdrachtgeverNaam;Begindatum;Einddatum;Functie;UrenPerWeek" {
		t.Fatalf("plaatsingen.csv header %s", got)
	}
	ids := column(pls, "PlaatsingId")
	for _, want := range []string{"7001", "7002", "7003", "7006"} {
		if !slices.Contains(ids, want) {
			t.Errorf("placement %s not delivered: %v", want, ids)
		}
	}
	for _, not := range []string{"7004", "7005", "7007", "7008"} {
		if slices.Contains(ids, not) {
			t.Errorf("placement %s delivered", not)
		}
	}
	if n := len(rowsOf(pls, "PlaatsingId", "7006")); n != 1 {
		t.Errorf("the duplicate placement delivered %d times", n)
	}
	if got := rowsOf(pls, "PlaatsingId", "7002")[0]; strings.Join(got, ";") != "UZB;F000001;7002;K200;Distributiecentrum Waalwijk;2025-02-01;;Orderpicker;32" {
		t.Errorf("placement 7002: %v", got)
	}
	c := r.Entities[mapping.Placements]
	if c == nil || c.Delivered != len(pls)-1 || c.New != c.Delivered || c.Rejected != 4 {
		t.Errorf("placement counts %+v for %d rows", c, len(pls)-1)
	}
	var m delivery.Manifest
	data, err := os.ReadFile(filepath.Join(r.Delivery, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	listed := false
	for _, f := range m.Files {
		if f.Name == "plaatsingen.csv" {
			listed = f.Rows == len(pls)-1
		}
	}
	if !listed {
		t.Errorf("manifest files %+v", m.Files)
	}
	warned := false
	for _, l := range res.Logs {
		if l.Code == "emp.flex_birth_differs" && l.Key == afassim.FlexPersonTwo && l.Level == runlog.Waarschuwing {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning for F000002's birth dates")
	}

	// Mode mutaties: nothing changed, an empty plaatsingen.csv; then one placement changes and
	// one is gone.
	e.setMode(profile.ModeMutaties)
	second, _ := e.run(engine.Options{})
	if rows := readCSV(t, filepath.Join(second.Run.Delivery, "plaatsingen.csv")); len(rows) != 1 || rows[0][0] != "Mutatie" {
		t.Errorf("unchanged plaatsingen.csv: %v", rows)
	}
	if n := e.sim.Set("Koppel_Plaatsingen", "Plaatsing", "7002", "Uren_per_week", "36"); n != 1 {
		t.Fatalf("changed %d placements", n)
	}
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Plaatsingen"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Plaatsing")] == "7003" })
	})
	third, _ := e.run(engine.Options{AllowDeletes: true}) // one of a few placements is more than the guard allows
	rows := readCSV(t, filepath.Join(third.Run.Delivery, "plaatsingen.csv"))
	if len(rows) != 3 || rows[1][0] != engine.Gewijzigd || rows[1][3] != "7002" || rows[1][9] != "36" || rows[2][0] != engine.Verwijderd || rows[2][3] != "7003" {
		t.Errorf("mutaties plaatsingen.csv %v", rows)
	}
	if c := third.Run.Entities[mapping.Placements]; c.Changed != 1 || c.Deleted != 1 || c.Delivered != 2 {
		t.Errorf("mutaties placement counts %+v", c)
	}

	// Dry run: counted, nothing delivered. Then the guard: every placement gone blocks the run.
	e.sim.Update(func(d *afassim.Dataset) { d.Tables["Koppel_Plaatsingen"].Rows = nil })
	dry, _ := e.run(engine.Options{DryRun: true})
	if c := dry.Run.Entities[mapping.Placements]; dry.Run.Delivery != "" || c.Deleted != len(pls)-2 || c.Fetched != 0 {
		t.Errorf("dry run %s delivered %q, placements %+v", dry.Run.Status, dry.Run.Delivery, c)
	}
	blocked, _ := e.run(engine.Options{})
	if blocked.Run.Status != engine.StatusBlocked || len(blocked.Run.Blocked) != 1 || blocked.Run.Blocked[0].Entity != mapping.Placements {
		t.Errorf("every placement gone: status %s, blocked %+v", blocked.Run.Status, blocked.Run.Blocked)
	}
}

// The same Flex environment under a standard profile: every record is an employee of its own,
// with its own composite periods; no placements are read.
func TestFlexDataUnderAStandardProfile(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 60, Flex: true}, profile.ModeCompleet)
	res, _ := e.run(engine.Options{})
	r := res.Run
	if _, err := os.Stat(filepath.Join(r.Delivery, "plaatsingen.csv")); !os.IsNotExist(err) {
		t.Errorf("plaatsingen.csv delivered without flex: %v", err)
	}
	if r.Entities[mapping.Placements] != nil {
		t.Errorf("placements counted without flex")
	}
	abs := readCSV(t, filepath.Join(r.Delivery, "verzuim.csv"))
	a := rowsOf(abs, "VerzuimId", "96001")
	b := rowsOf(abs, "VerzuimId", "96002")
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("absences %v %v", a, b)
	}
	if a[0][1] != "800012" || b[0][1] != "800013" {
		t.Errorf("absences under %s and %s, want their records", a[0][1], b[0][1])
	}
	if got := strings.Join(b[0][len(b[0])-3:], ";"); got != "96002;2025-02-17;2027-02-14" {
		t.Errorf("96002 on its own record: %s, want its own period 96002;2025-02-17;2027-02-14", got)
	}
}

// After an update that adds columns, a profile's next run marks the rows Gewijzigd once and says
// so in a Melding; the run after that changes nothing.
func TestNewColumnsMarkRowsChangedOnce(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 9, Employees: 40}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	n := first.Run.Entities[mapping.Absences].Delivered
	if n == 0 {
		t.Fatal("no absences delivered")
	}
	// The state as a koppel before the composite-period columns left it.
	old, err := e.store.State("acme", mapping.Absences)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range old {
		old[k] = v[:len(v)-mapping.AbsencePeriodCols]
	}
	now := time.Now().UTC()
	prev := &store.Run{ID: engine.NewRunID(now), Profile: "acme", Mode: profile.ModeCompleet, Status: engine.StatusOK, Started: now, Finished: now, Entities: map[string]*store.EntityCounts{}}
	if err := e.store.Commit(prev, nil, nil, []store.StateUpdate{{Entity: mapping.Absences, Put: old}}, nil); err != nil {
		t.Fatal(err)
	}
	e.setMode(profile.ModeMutaties)
	second, _ := e.run(engine.Options{})
	if c := second.Run.Entities[mapping.Absences]; c.Changed != n || c.New+c.Deleted != 0 {
		t.Errorf("absence counts %+v, want all %d changed", c, n)
	}
	var notes []runlog.Log
	for _, l := range second.Logs {
		if l.Code == "run.columns_added" {
			notes = append(notes, l)
		}
	}
	if len(notes) != 1 || notes[0].Level != runlog.Melding || notes[0].Args[1] != "verzuim.csv" || notes[0].Args[0] != strconv.Itoa(n) {
		t.Errorf("columns Melding %+v", notes)
	}
	third, _ := e.run(engine.Options{})
	if c := third.Run.Entities[mapping.Absences]; c.Changed != 0 || c.Unchanged != n {
		t.Errorf("the run after: %+v", c)
	}
	for _, l := range third.Logs {
		if l.Code == "run.columns_added" {
			t.Errorf("the Melding again: %+v", l)
		}
	}
}

// koppel explain on a flex profile explains a record as its person: every file's lines are the
// person's rows of the run, whichever of its records is asked.
func TestFlexExplainEqualsTheRun(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 5, Employees: 60, Flex: true}, profile.ModeCompleet)
	e.flexOn()
	res, _ := e.run(engine.Options{})
	// Each of the person's three records, and the person's own number.
	for _, nr := range []string{"800011", "800012", "800013", afassim.FlexPersonThree} {
		x, err := e.eng.Explain(context.Background(), "acme", nr, engine.Options{RetryBase: time.Millisecond})
		if err != nil {
			t.Fatalf("explain %s: %v", nr, err)
		}
		files := map[string]bool{}
		for _, f := range x.Files {
			files[f.File] = true
			delivered := readCSV(t, filepath.Join(res.Run.Delivery, f.File))
			got := rowsOf(delivered, "Personeelsnummer", afassim.FlexPersonThree)
			if bsn := slices.Index(f.Header, "BSN"); bsn >= 0 {
				for _, row := range got {
					row[bsn] = mapping.MaskBSN(row[bsn])
				}
			}
			if !reflect.DeepEqual(got, f.Lines) && !(len(got) == 0 && len(f.Lines) == 0) {
				t.Errorf("%s in %s:\nrun     %v\nexplain %v", nr, f.File, got, f.Lines)
			}
		}
		var shown []string
		for _, rr := range x.Read {
			if rr.Connector == "Koppel_Medewerkers" {
				for _, row := range rr.Rows {
					shown = append(shown, row["Medewerker"])
				}
			}
		}
		if slices.Sort(shown); !slices.Equal(shown, []string{"800011", "800012", "800013"}) {
			t.Errorf("%s: the employee rows shown are of %v, want the person's three records", nr, shown)
		}
		if !files["plaatsingen.csv"] {
			t.Errorf("%s: explain lists %v, not plaatsingen.csv", nr, files)
		}
		for _, c := range x.Changes {
			if c.Kind != engine.Ongewijzigd {
				t.Errorf("%s: right after the run, %+v", nr, c)
			}
		}
	}
}
