package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
)

// A first run writes the files of the entities that come in key order while it compares them;
// they are byte for byte the files a later run writes from the store for the same data (a
// complete delivery with nothing changed), over several staged batches.
func TestFirstRunFilesAsTheStoreWritesThem(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 21, Employees: 4000}, profile.ModeCompleet)
	first, _ := e.run(engine.Options{})
	second, _ := e.run(engine.Options{})
	if n := first.Run.Entities[mapping.Absences].Delivered; n <= 4096 {
		t.Fatalf("%d absences: too few for more than one staged batch", n)
	}
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Users, mapping.Absences} {
		name := mapping.FileOf(ent)
		a, b := deliveredFile(t, first, name), deliveredFile(t, second, name)
		if string(a) != string(b) {
			t.Errorf("%s: the first run's file differs from the one written from the store", name)
		}
		if c1, c2 := first.Run.Entities[ent].Delivered, second.Run.Entities[ent].Delivered; c1 != c2 || c1 == 0 {
			t.Errorf("%s: delivered %d, then %d", ent, c1, c2)
		}
	}
	if c1, c2 := first.Run.Entities[mapping.Employees].Delivered, second.Run.Entities[mapping.Employees].Delivered; c1 != c2 || c1 == 0 {
		t.Errorf("employees delivered %d, then %d", c1, c2)
	}
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
