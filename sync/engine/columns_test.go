package engine_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/columns"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// xsColumns is a made-up Xpert Suite import configuration for medewerkers.csv.
var xsColumns = map[string]columns.Config{
	"medewerkers": {
		Rename: map[string]string{"Personeelsnummer": "Werknemer_Personeelsnummer", "BSN": "Burgerservicenummer"},
		Omit:   []string{"Roepnaam"},
		Add:    map[string]string{"Bron": "AFAS"},
		Order:  []string{"WerkgeverCode", "Werknemer_Personeelsnummer"},
	},
}

func (e *env) setColumns(cols map[string]columns.Config, mutation string) {
	e.t.Helper()
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	p.Delivery.Columns, p.Delivery.MutationColumn = cols, mutation
	if err := e.store.PutProfile(p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) preview() *engine.ColumnsPreview {
	e.t.Helper()
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	pv, err := engine.PreviewColumns(e.store, p)
	if err != nil {
		e.t.Fatalf("preview: %v", err)
	}
	return pv
}

// maskedRows are a delivered file's rows with the BSN masked, as a preview shows them.
func maskedRows(t *testing.T, path string) [][]string {
	rows := readCSV(t, path)
	bsn := slices.Index(rows[0], "BSN")
	if bsn < 0 {
		bsn = slices.Index(rows[0], "Burgerservicenummer")
	}
	for _, r := range rows[1:] {
		if bsn >= 0 {
			r[bsn] = mapping.MaskBSN(r[bsn])
		}
	}
	return rows
}

func TestPreviewColumnsCompleet(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 40, Employees: 40}, profile.ModeCompleet)
	e.setColumns(xsColumns, "")
	before := e.preview()
	if before.Delivery != "" || len(before.Files) != 4 {
		t.Fatalf("before a delivery: %+v", before)
	}
	for _, f := range before.Files {
		if f.Example != nil {
			t.Errorf("%s: an example before any delivery: %v", f.File, f.Example)
		}
	}
	res, _ := e.run(engine.Options{})
	pv := e.preview()
	if pv.Delivery != res.Run.ID || pv.MutationColumn != "Mutatie" || pv.Mode != profile.ModeCompleet {
		t.Errorf("preview %+v after run %s", pv, res.Run.ID)
	}
	var m delivery.Manifest
	if data, err := os.ReadFile(filepath.Join(res.Run.Delivery, delivery.ManifestName)); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range m.Files {
		files = append(files, f.Name)
	}
	var shown []string
	for _, f := range pv.Files {
		shown = append(shown, f.File)
		rows := maskedRows(t, filepath.Join(res.Run.Delivery, f.File))
		if !reflect.DeepEqual(f.Header, rows[0]) {
			t.Errorf("%s: preview header %v\n  delivered %v", f.File, f.Header, rows[0])
		}
		// compleet: the first record of the state is the file's first row.
		if len(rows) < 2 || !reflect.DeepEqual(f.Example, rows[1]) || !f.ExampleSent {
			t.Errorf("%s: example %v, delivered first row %v", f.File, f.Example, rows[1:2])
		}
		for _, cell := range f.Example {
			if len(cell) == 9 && strings.Trim(cell, "0123456789") == "" {
				t.Errorf("%s: an unmasked BSN-like value %q in the example", f.File, cell)
			}
		}
	}
	if !reflect.DeepEqual(shown, files) {
		t.Errorf("preview files %v, the run delivered %v", shown, files)
	}
	med := pv.Files[1]
	if med.File != "medewerkers.csv" || strings.Join(med.Header[:2], ";") != "WerkgeverCode;Werknemer_Personeelsnummer" ||
		med.Header[len(med.Header)-1] != "Bron" || med.Example[len(med.Example)-1] != "AFAS" || slices.Contains(med.Header, "Roepnaam") {
		t.Errorf("medewerkers.csv preview %v / %v", med.Header, med.Example)
	}
	if b := slices.Index(med.Header, "Burgerservicenummer"); b < 0 || !strings.HasPrefix(med.Example[b], "******") {
		t.Errorf("a renamed BSN is not masked: %v", med.Example)
	}

	// Without managers and without AFAS Verzuim, fewer files.
	p, _ := e.store.Profile("acme")
	p.Couplings.Werknemer.Managers, p.Couplings.Verzuim.Enabled = false, false
	pv, err := engine.PreviewColumns(e.store, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Files) != 2 || pv.Files[0].File != "afdelingen.csv" || pv.Files[1].File != "medewerkers.csv" {
		t.Errorf("werknemer without managers: %+v", pv.Files)
	}
	p.Couplings.Werknemer.Enabled, p.Couplings.Verzuim.Enabled = false, true
	if pv, _ := engine.PreviewColumns(e.store, p); len(pv.Files) != 1 || pv.Files[0].File != "verzuim.csv" {
		t.Errorf("verzuim only: %+v", pv.Files)
	}
	// A profile not saved yet has no delivery.
	p.Name = "nieuw"
	if pv, err := engine.PreviewColumns(e.store, p); err != nil || pv.Delivery != "" || pv.Files[0].Example != nil {
		t.Errorf("a new profile: %+v, %v", pv, err)
	}
	if pv, err := engine.PreviewColumns(nil, p); err != nil || len(pv.Files) != 1 {
		t.Errorf("without a store: %+v, %v", pv, err)
	}
}

func TestPreviewColumnsMutaties(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 41, Employees: 40}, profile.ModeMutaties)
	e.setColumns(xsColumns, "Soort")
	e.run(engine.Options{})
	nr := ""
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Medewerkers"]
		nr = tb.Rows[3][tb.Col("Medewerker")]
	})
	e.sim.Set("Koppel_Medewerkers", "Medewerker", nr, "Telefoonnr_werk", "030-7654321")
	res, _ := e.run(engine.Options{})
	pv := e.preview()
	for _, f := range pv.Files {
		rows := maskedRows(t, filepath.Join(res.Run.Delivery, f.File))
		if !reflect.DeepEqual(f.Header, rows[0]) {
			t.Errorf("%s: preview header %v\n  delivered %v", f.File, f.Header, rows[0])
		}
		switch f.File {
		case "verzuim.csv": // always complete, no mutation column
			if f.Header[0] == "Soort" || !reflect.DeepEqual(f.Example, rows[1]) {
				t.Errorf("verzuim.csv: %v / %v", f.Header, f.Example)
			}
		case "afdelingen.csv": // nothing delivered in this file last time: the state's first record, as a change
			if f.Header[0] != "Soort" || len(rows) != 1 || len(f.Example) != len(f.Header) || f.Example[0] != engine.Gewijzigd || f.ExampleSent {
				t.Errorf("%s: %v / %v", f.File, f.Header, f.Example)
			}
		default: // the changed employee's rows, as delivered
			if f.Header[0] != "Soort" || !f.ExampleSent || len(rows) < 2 || !slices.ContainsFunc(rows[1:], func(r []string) bool { return reflect.DeepEqual(r, f.Example) }) {
				t.Errorf("%s example %v not among the delivered rows %v", f.File, f.Example, rows[1:])
			}
		}
	}
	e.setColumns(xsColumns, profile.NoMutationColumn)
	if pv := e.preview(); pv.MutationColumn != "" || pv.Files[1].Header[0] != "WerkgeverCode" || len(pv.Files[1].Example) != len(pv.Files[1].Header) {
		t.Errorf("mutation_column none: %+v", pv.Files[1])
	}
}

func TestPreviewColumnsRefusesInvalidColumns(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 42, Employees: 5}, profile.ModeCompleet)
	p, _ := e.store.Profile("acme")
	p.Delivery.Columns = map[string]columns.Config{"medewerkers": {Omit: []string{"Personeelsnummer"}}}
	p.Delivery.MutationColumn = "Mutatie soort"
	_, err := engine.PreviewColumns(e.store, p)
	var pe profile.Errors
	if !errors.As(err, &pe) || len(pe) != 2 || pe[0].Key != "delivery.columns.medewerkers.omit" || pe[1].Key != "delivery.mutation_column" {
		t.Errorf("invalid columns: %v", err)
	}
	// Other problems of the profile are not the preview's.
	p.Delivery.Columns, p.Delivery.MutationColumn, p.Employer = nil, "", ""
	if _, err := engine.PreviewColumns(e.store, p); err != nil {
		t.Errorf("a problem outside the columns: %v", err)
	}
}

// Two runs of a profile with renames, omissions and added columns, in mode mutaties, with
// nothing changed in AFAS: the second writes nothing to the state and its files carry only
// their headers.
func TestConfiguredColumnsSecondMutatiesRunWritesNothing(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 43, Employees: 60}, profile.ModeMutaties)
	e.setColumns(xsColumns, "")
	first, _ := e.run(engine.Options{})
	second, _ := e.run(engine.Options{})
	if first.Run.StateWrites == 0 || second.Run.StateWrites != 0 || len(second.Changes) != 0 {
		t.Errorf("state writes %d then %d, %d changes", first.Run.StateWrites, second.Run.StateWrites, len(second.Changes))
	}
	a := readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv"))
	b := readCSV(t, filepath.Join(second.Run.Delivery, "medewerkers.csv"))
	if len(b) != 1 || !reflect.DeepEqual(a[0], b[0]) || a[0][0] != "Mutatie" || a[0][2] != "Werknemer_Personeelsnummer" {
		t.Errorf("second medewerkers.csv %v after %v", b, a[0])
	}
}

// A dry run reports what the run would: without a mutation column, a removal is a Waarschuwing.
func TestDryRunReportsRemovalsWithoutMutationColumn(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 44, Employees: 60}, profile.ModeMutaties)
	first, _ := e.run(engine.Options{})
	e.setColumns(nil, profile.NoMutationColumn)
	emp := firstWithOneEmployment(t, readCSV(t, filepath.Join(first.Run.Delivery, "medewerkers.csv")))
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		tb.Rows = slices.DeleteFunc(tb.Rows, func(r []string) bool { return r[tb.Col("Medewerker")] == emp })
	})
	res, _ := e.run(engine.Options{DryRun: true, AllowDeletes: true})
	warned := false
	for _, l := range res.Logs {
		warned = warned || l.Code == "run.removal_not_sent" && l.Level == runlog.Waarschuwing && strings.Contains(l.Key, emp)
	}
	if !warned || res.Run.Delivery != "" || res.Run.Entities[mapping.Employments].Delivered != 0 {
		t.Errorf("dry run: warned %v, delivery %q, %+v", warned, res.Run.Delivery, res.Run.Entities[mapping.Employments])
	}
	if st, _ := e.store.State("acme", mapping.Employments); len(st) == 0 {
		t.Error("state lost")
	}
	// Delivered: the removal was not sent, so it is no example of what medewerkers.csv carries.
	res, _ = e.run(engine.Options{AllowDeletes: true})
	if res.Run.Status != engine.StatusOK {
		t.Fatalf("run: %s", res.Run.Error)
	}
	for _, f := range e.preview().Files {
		if f.File == "medewerkers.csv" && (f.ExampleSent || slices.Contains(f.Example, emp) || len(f.Example) != len(f.Header)) {
			t.Errorf("medewerkers.csv example %v (sent %v) after only %s was removed", f.Example, f.ExampleSent, emp)
		}
	}
}

func TestChangedColumnsUseTheProfilesNames(t *testing.T) {
	p := &profile.Profile{Delivery: profile.Delivery{Columns: xsColumns}}
	std := mapping.Columns(mapping.Employments)
	before := make([]string, len(std))
	after := make([]string, len(std))
	set := func(col, b, a string) {
		i := slices.Index(std, col)
		before[i], after[i] = b, a
	}
	set("Personeelsnummer", "100001", "100001")
	set("BSN", "111222333", "444555666")
	set("Roepnaam", "Sam", "Samuel")
	set("Achternaam", "Linden", "Lindeman")
	got := engine.ChangedColumns(p, store.Change{Entity: mapping.Employments, Kind: engine.Gewijzigd, Before: before, After: after})
	want := []engine.ColumnChange{
		{Column: "Burgerservicenummer", Before: "******333", After: "******666"},
		{Column: "Roepnaam", Before: "Sam", After: "Samuel", NotDelivered: true},
		{Column: "Achternaam", Before: "Linden", After: "Lindeman"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changed columns %+v", got)
	}
	if got := engine.ChangedColumns(p, store.Change{Entity: mapping.Employments, Kind: engine.Nieuw, After: after}); got != nil {
		t.Errorf("a new record: %+v", got)
	}
	names, omitted := engine.ColumnNames(nil, mapping.Departments)
	if !reflect.DeepEqual(names, mapping.Columns(mapping.Departments)) || slices.Contains(omitted, true) {
		t.Errorf("without a profile: %v %v", names, omitted)
	}
	names, _ = engine.ColumnNames(p, mapping.Employments)
	if names[1] != "Werknemer_Personeelsnummer" || len(names) != len(std) {
		t.Errorf("names %v", names)
	}
}
