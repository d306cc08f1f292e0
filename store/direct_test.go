package store_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/store"
)

func stagedOf(t *testing.T, h *store.Session, entity string) string {
	t.Helper()
	var parts []string
	err := h.EachStaged(entity, func(k string, v []string, kind string) error {
		parts = append(parts, kind+":"+k+"="+strings.Join(v, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, " ")
}

// A first delivery staged straight into its state: the rows are walked as staged rows before
// the commit, in key order with the newest of a key, and the commit moves them in without an
// apply, counting each key once.
func TestStageIntoStateWritesAFirstDeliveryOnce(t *testing.T) {
	s, _ := newStore(t)
	applied := countApplies(s)
	h := hold(t, s, "acme")
	h.StageIntoState("absences")
	stage(t, h, "absences", "b", "2", "d", "4")
	stage(t, h, "absences", "a", "1", "c", "3")  // before the rows staged: order is not needed
	stage(t, h, "absences", "b", "2b")           // a key again: the newest wins, counted once
	stage(t, h, "absences", "c", "3", "d", "4b") // and the highest, with another
	// In the state after the run as staged, before any Prepare.
	if got := shadowOf(t, s, "acme", "absences"); got != "a=1 b=2b c=3 d=4b" {
		t.Errorf("shadow as staged: %q", got)
	}
	if err := h.Prepare("absences"); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "" {
		t.Errorf("state visible before the commit: %q", got)
	}
	want := "Nieuw:a=1 Nieuw:b=2b Nieuw:c=3 Nieuw:d=4b"
	if got := stagedOf(t, h, "absences"); got != want {
		t.Errorf("staged: %q, want %q", got, want)
	}
	if got := delivered(t, h, "absences"); got != want {
		t.Errorf("delivered: %q, want %q", got, want)
	}
	run := commitRun(t, h, "r1")
	if run.StateWrites != 4 {
		t.Errorf("StateWrites %d, want 4", run.StateWrites)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2b c=3 d=4b" {
		t.Errorf("state after the commit: %q", got)
	}
	if blocks, err := store.StateInBlocks(s, "acme", "absences"); err != nil || !blocks {
		t.Errorf("state in blocks: %v, %v", blocks, err)
	}
	if *applied != 0 {
		t.Errorf("the commit applied %d batches, want none", *applied)
	}
	if hasShadow(t, s, "acme") {
		t.Error("a shadow is left after the commit")
	}
}

// An entity with state stored is staged as always, let or not: its changes are applied.
func TestStageIntoStateLeavesAnEntityWithState(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "a", "1", "b", "2")
	commitRun(t, h, "r1")
	h.Close()

	h = hold(t, s, "acme")
	h.StageIntoState("absences")
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Gewijzigd, Vals: []string{"1b"}}, {Key: "b", Kind: store.Verwijderd, Vals: []string{"2"}}, {Key: "c", Kind: store.Nieuw, Vals: []string{"3"}}}); err != nil {
		t.Fatal(err)
	}
	if got := stagedOf(t, h, "absences"); got != "Gewijzigd:a=1b Verwijderd:b=2 Nieuw:c=3" {
		t.Errorf("staged: %q", got)
	}
	if run := commitRun(t, h, "r2"); run.StateWrites != 3 {
		t.Errorf("StateWrites %d, want 3", run.StateWrites)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "a=1b c=3" {
		t.Errorf("state: %q", got)
	}
}

// A row of another kind than Nieuw moves what went straight into the shadow into the stage;
// every row is kept, with its kind, and the commit writes them all. Many rows move, more than
// one run of the stage holds.
func TestStageIntoStateSpillsAtARowNotNew(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	h.StageIntoState("absences")
	var rows []store.Staged
	for i := range 5000 {
		rows = append(rows, store.Staged{Key: key(i), Kind: store.Nieuw, Vals: []string{"v"}})
	}
	if err := h.Stage("absences", rows); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("absences", []store.Staged{{Key: key(1), Kind: store.Gewijzigd, Vals: []string{"w"}}, {Key: "zz", Kind: store.Nieuw, Vals: []string{"z"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Prepare("absences"); err != nil {
		t.Fatal(err)
	}
	got := stagedOf(t, h, "absences")
	if n := strings.Count(got, "Nieuw:"); n != 5000 {
		t.Errorf("%d rows Nieuw, want 5000", n)
	}
	if !strings.Contains(got, "Gewijzigd:"+key(1)+"=w") || !strings.HasSuffix(got, "Nieuw:zz=z") {
		t.Errorf("staged rows lost a row or its kind: ...%s", got[max(0, len(got)-60):])
	}
	run := commitRun(t, h, "r1")
	if run.StateWrites != 5001 {
		t.Errorf("StateWrites %d, want 5001", run.StateWrites)
	}
	state := stateOf(t, s, "acme", "absences")
	if n := strings.Count(state, "="); n != 5001 || !strings.Contains(state, key(1)+"=w ") {
		t.Errorf("state holds %d keys (want 5001), or not the change", n)
	}
}

// A run that stops before its commit leaves nothing of what went straight into the shadow.
func TestStageIntoStateIsDroppedWithoutACommit(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	h.StageIntoState("absences")
	stage(t, h, "absences", "a", "1")
	if err := h.Discard(); err != nil {
		t.Fatal(err)
	}
	if hasShadow(t, s, "acme") {
		t.Error("a shadow is left after Discard")
	}
	stage(t, h, "absences", "b", "2")
	commitRun(t, h, "r1")
	if got := stateOf(t, s, "acme", "absences"); got != "b=2" {
		t.Errorf("state: %q, want only what was staged after the discard", got)
	}
}

func key(i int) string { return fmt.Sprintf("k%05d", i) }

// A state an earlier version wrote, a bbolt key per record, is read and applied to as before,
// and stays in that form.
func TestAStateOfRecordsIsReadAndAppliedAsBefore(t *testing.T) {
	s, path := newStore(t)
	if err := s.PutProfile(named("acme")); err != nil {
		t.Fatal(err)
	}
	h := hold(t, s, "acme")
	commitRun(t, h, "r0")
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(path+".d", "acme.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		eb, err := tx.Bucket([]byte("state")).CreateBucket([]byte("e"))
		if err != nil {
			return err
		}
		for _, k := range []string{"a", "b", "c"} {
			if err := eb.Put([]byte(k), store.EncodeValues([]string{k + "1"})); err != nil {
				return err
			}
		}
		return nil
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	if got := stateOf(t, s, "acme", "e"); got != "a=a1 b=b1 c=c1" {
		t.Fatalf("state of records read as %q", got)
	}
	h = hold(t, s, "acme")
	defer h.Close()
	if vals, ok, err := h.Get("e", "b"); err != nil || !ok || vals[0] != "b1" {
		t.Errorf("Get: %q %v %v", vals, ok, err)
	}
	err = h.Stage("e", []store.Staged{{Key: "b", Kind: store.Gewijzigd, Vals: []string{"b2"}}, {Key: "c", Kind: store.Verwijderd, Vals: []string{"c1"}}, {Key: "d", Kind: store.Nieuw, Vals: []string{"d1"}}})
	if err != nil {
		t.Fatal(err)
	}
	commitRun(t, h, "r1")
	if got := stateOf(t, s, "acme", "e"); got != "a=a1 b=b2 d=d1" {
		t.Errorf("state after the run: %q", got)
	}
	if blocks, err := store.StateInBlocks(s, "acme", "e"); err != nil || blocks {
		t.Errorf("state in blocks: %v, %v", blocks, err)
	}
}
