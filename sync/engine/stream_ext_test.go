package engine_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// The files written as the records stream in are byte for byte the files the stored state
// makes (rendered here with encoding/csv, as the files are specified), in a first run and in a
// second with nothing changed, over several staged batches; their counts are the same.
func TestStreamedFilesAreTheStoredState(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 21, Employees: 4000}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	second, _ := e.run(engine.Options{})
	if n := first.Run.Entities[mapping.Absences].Delivered; n <= 4096 {
		t.Fatalf("%d absences: too few for more than one staged batch", n)
	}
	p, err := e.store.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users, mapping.Absences} {
		name := mapping.FileOf(ent)
		want := fileOfState(t, e, p, ent)
		for i, res := range []*engine.Result{first, second} {
			if got := deliveredFile(t, res, name); string(got) != string(want) {
				t.Errorf("run %d, %s: the file is not the stored state", i+1, name)
			}
		}
		if c1, c2 := first.Run.Entities[ent].Delivered, second.Run.Entities[ent].Delivered; c1 != c2 || c1 == 0 {
			t.Errorf("%s: delivered %d, then %d", ent, c1, c2)
		}
	}
	if c1, c2 := first.Run.Entities[mapping.Employees].Delivered, second.Run.Entities[mapping.Employees].Delivered; c1 != c2 || c1 == 0 {
		t.Errorf("employees delivered %d, then %d", c1, c2)
	}
	// A third run after AFAS changed: some employments and absences gone, a function renamed;
	// the complete files are the state after it, without what is gone.
	e.sim.Update(func(d *afassim.Dataset) {
		for _, id := range []string{"Koppel_Dienstverbanden", "Koppel_Verzuim"} {
			tb := d.Tables[id]
			tb.Rows = slices.Delete(tb.Rows, 100, 130)
		}
		tb := d.Tables["Koppel_Dienstverbanden"]
		if c := tb.Col(connectors.FFunctie); c >= 0 {
			for _, row := range tb.Rows[:50] {
				row[c] += " (nieuw)"
			}
		}
	})
	third, _ := e.run(engine.Options{})
	if c := third.Run.Entities[mapping.Employments]; c.Changed == 0 || c.Deleted == 0 {
		t.Fatalf("employments of the third run: %+v", c)
	}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Absences} {
		name := mapping.FileOf(ent)
		if got := deliveredFile(t, third, name); string(got) != string(fileOfState(t, e, p, ent)) {
			t.Errorf("run 3, %s: the file is not the stored state", name)
		}
	}
}

// fileOfState is an entity's complete file as its stored state makes it: the records in key
// order, in the profile's columns, separator ';', CRLF.
func fileOfState(t *testing.T, e *env, p *profile.Profile, ent string) []byte {
	t.Helper()
	state, err := e.store.State("acme", ent)
	if err != nil {
		t.Fatal(err)
	}
	layout, problems := p.Delivery.Layout(ent)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma, w.UseCRLF = ';', true
	_ = w.Write(layout.Header())
	for _, key := range slices.Sorted(maps.Keys(state)) {
		var row []string
		for i := range layout.Width() {
			if col, fixed := layout.Source(i); col < 0 {
				row = append(row, fixed)
			} else {
				row = append(row, state[key][col])
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	return b.Bytes()
}

// A run the guard blocks delivers nothing, also of an entity whose file was being written as it
// was compared (a coupling added since the last run: no state yet).
func TestBlockedRunDropsTheFilesItStreamed(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 22, Employees: 9000}, profile.ModeCompleet)
	p, err := e.store.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	p.Couplings.Verzuim.Enabled = false
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	e.run(engine.Options{})
	p.Couplings.Verzuim.Enabled = true
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	e.sim.Update(func(d *afassim.Dataset) {
		tb := d.Tables["Koppel_Dienstverbanden"]
		tb.Rows = tb.Rows[:len(tb.Rows)/2]
	})
	blocked, _ := e.run(engine.Options{})
	r := blocked.Run
	if r.Status != engine.StatusBlocked || r.Delivery != "" {
		t.Fatalf("status %s, delivery %q", r.Status, r.Delivery)
	}
	if c := r.Entities[mapping.Absences]; c == nil || c.New <= 4096 || c.Delivered != 0 {
		t.Fatalf("absences %+v: want more than one staged batch, none delivered", c)
	}
	entries, err := os.ReadDir(filepath.Join(e.outbox, "acme"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("the outbox holds %v, want the first run's folder only", names)
	}
	if state, err := e.store.State("acme", mapping.Absences); err != nil && !errors.Is(err, os.ErrNotExist) || len(state) != 0 {
		t.Errorf("a blocked run stored %d absences (%v)", len(state), err)
	}
}

// In mode mutaties a first run's files are every record as Nieuw: each row is the row a complete
// delivery writes from the store, after the mutation column.
func TestFirstRunMutationsAsTheStoreWritesThem(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 23, Employees: 4000}, profile.ModeMutaties)
	first, _ := e.run(engine.Options{})
	e.setMode(profile.ModeCompleet)
	second, _ := e.run(engine.Options{})
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users} {
		name := mapping.FileOf(ent)
		a, b := deliveredFile(t, first, name), deliveredFile(t, second, name)
		la, lb := strings.Split(string(a), "\r\n"), strings.Split(string(b), "\r\n")
		if len(la) != len(lb) || len(la) < 3 {
			t.Fatalf("%s: %d lines, then %d", name, len(la), len(lb))
		}
		for i := range la {
			want := "Nieuw;" + lb[i]
			switch {
			case i == 0:
				want = "Mutatie;" + lb[i]
			case lb[i] == "":
				want = ""
			}
			if la[i] != want {
				t.Fatalf("%s line %d: %q, want %q", name, i+1, la[i], want)
			}
		}
	}
}

func deliveredFile(t *testing.T, res *engine.Result, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(res.Run.Delivery, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
