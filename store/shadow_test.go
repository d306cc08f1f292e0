package store_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
)

func commitRun(t *testing.T, h *store.Session, id string) *store.Run {
	t.Helper()
	run := &store.Run{ID: id, Status: "ok", Started: time.Now()}
	if err := h.Commit(run, nil, nil, &store.Pending{Temp: "/out/.t", Final: "/out/" + id}, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.ClearPending(); err != nil {
		t.Fatal(err)
	}
	return run
}

// countApplies counts the transactions of the commits' applies.
func countApplies(s *store.Store) *int {
	n := new(int)
	store.SetHook(s, func(point string) {
		if point == "apply" {
			*n++
		}
	})
	return n
}

func hasShadow(t *testing.T, s *store.Store, name string) bool {
	t.Helper()
	found, err := store.HasShadow(s, name)
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// A first run's state, prepared ahead, is in place after the commit without an apply.
func TestPreparedStateIsMovedInByTheCommit(t *testing.T) {
	s, _ := newStore(t)
	applied := countApplies(s)
	h := hold(t, s, "acme")
	for _, batch := range [][]store.Staged{
		{{Key: "b", Kind: store.Nieuw, Vals: []string{"2"}}, {Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}},
		{{Key: "c", Kind: store.Nieuw, Vals: []string{"3"}}, {Key: "a", Kind: store.Nieuw, Vals: []string{"1b"}}}, // a again: the newest wins
	} {
		if err := h.Stage("absences", batch); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Prepare("absences"); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "" {
		t.Errorf("prepared state visible before the commit: %q", got)
	}
	if got := delivered(t, h, "absences"); got != "Nieuw:a=1b Nieuw:b=2 Nieuw:c=3" {
		t.Errorf("delivered before the commit: %q", got)
	}
	run := commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1b b=2 c=3" {
		t.Errorf("state after the commit: %q", got)
	}
	if *applied != 0 {
		t.Errorf("%d apply transactions for a prepared state, want none", *applied)
	}
	if run.StateWrites != 3 {
		t.Errorf("state writes %d, want 3", run.StateWrites)
	}
	if hasShadow(t, s, "acme") {
		t.Error("a prepared state is left after the commit")
	}
}

// What is staged after Prepare still reaches the state (the apply copies the entity).
func TestStagingAfterPrepareIsApplied(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Prepare("absences"); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("absences", []store.Staged{{Key: "b", Kind: store.Nieuw, Vals: []string{"2"}}}); err != nil {
		t.Fatal(err)
	}
	run := commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2" {
		t.Errorf("state after the commit: %q", got)
	}
	if run.StateWrites != 2 {
		t.Errorf("state writes %d, want 2 (the row staged after Prepare counts)", run.StateWrites)
	}
}

// An entity with a state of its own is left to the apply: its removals and changes count.
func TestPrepareLeavesAStoredStateToTheApply(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}, {Key: "b", Kind: store.Nieuw, Vals: []string{"2"}}}); err != nil {
		t.Fatal(err)
	}
	commitRun(t, h, "20260101-000000-0001")
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Verwijderd, Vals: []string{"1"}}, {Key: "b", Kind: store.Gewijzigd, Vals: []string{"22"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Prepare("absences"); err != nil {
		t.Fatal(err)
	}
	if hasShadow(t, s, "acme") {
		t.Error("a state was prepared for an entity that has one")
	}
	commitRun(t, h, "20260101-000000-0002")
	if got := stateOf(t, s, "acme", "absences"); got != "b=22" {
		t.Errorf("state after the second commit: %q", got)
	}
}

// A prepared state without its commit is dropped: by Discard, by Close, by the next Hold after
// a process that never came back.
func TestPreparedStateWithoutCommitIsDropped(t *testing.T) {
	stage := func(t *testing.T, h *store.Session) {
		t.Helper()
		if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}}); err != nil {
			t.Fatal(err)
		}
		if err := h.Prepare("absences"); err != nil {
			t.Fatal(err)
		}
	}
	for _, end := range []string{"discard", "close"} {
		t.Run(end, func(t *testing.T) {
			s, _ := newStore(t)
			h, err := s.Hold("acme")
			if err != nil {
				t.Fatal(err)
			}
			stage(t, h)
			if !hasShadow(t, s, "acme") {
				t.Fatal("nothing prepared")
			}
			if end == "discard" {
				err = h.Discard()
			} else {
				err = h.Close()
			}
			if err != nil {
				t.Fatal(err)
			}
			if hasShadow(t, s, "acme") {
				t.Errorf("a prepared state is left after %s", end)
			}
			h.Close()
			h = hold(t, s, "acme")
			commitRun(t, h, "20260101-000000-0002") // nothing staged
			if got := stateOf(t, s, "acme", "absences"); got != "" {
				t.Errorf("state after a commit of nothing: %q", got)
			}
		})
	}
	t.Run("gone", func(t *testing.T) {
		s, path := newStore(t)
		h := hold(t, s, "acme")
		stage(t, h)
		// The process is gone before its commit: what it left on disk, opened by another.
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(filepath.Dir(path))); err != nil {
			t.Fatal(err)
		}
		s2 := openStore(t, filepath.Join(dir, filepath.Base(path)))
		if !hasShadow(t, s2, "acme") {
			t.Fatal("the copy holds no prepared state")
		}
		h2 := hold(t, s2, "acme")
		if hasShadow(t, s2, "acme") {
			t.Error("a prepared state is left after the next Hold")
		}
		commitRun(t, h2, "20260101-000000-0003")
		if got := stateOf(t, s2, "acme", "absences"); got != "" {
			t.Errorf("state after a commit of nothing: %q", got)
		}
	})
}

// An apply interrupted after the commit is completed without the entities the commit moved in.
func TestInterruptedApplyLeavesThePreparedOut(t *testing.T) {
	s, path := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("big", []store.Staged{{Key: "k", Kind: store.Nieuw, Vals: []string{"v1"}}}); err != nil {
		t.Fatal(err)
	}
	commitRun(t, h, "r1")
	const n = store.ApplyBatch + 1
	big := make([]store.Staged, n)
	for i := range big {
		big[i] = store.Staged{Key: fmt.Sprintf("k%06d", i), Kind: store.Nieuw, Vals: []string{"v2"}}
	}
	if err := h.Stage("big", big); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("z-new", []store.Staged{{Key: "x", Kind: store.Nieuw, Vals: []string{"1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Prepare("z-new"); err != nil {
		t.Fatal(err)
	}
	store.SetHook(s, func(p string) {
		if p == "apply" {
			panic("stop")
		}
	})
	func() {
		defer func() {
			if r := recover(); r != "stop" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = h.Commit(&store.Run{ID: "r2", Status: "ok"}, nil, nil, nil, nil)
	}()
	h.Close()
	s2 := openStore(t, path)
	var applied []string
	store.SetHook(s2, func(p string) {
		if p == "apply" {
			applied = append(applied, p)
		}
	})
	if got := stateOf(t, s2, "acme", "z-new"); got != "x=1" {
		t.Errorf("the prepared entity after the completion: %q", got)
	}
	count := 0
	if err := s2.EachState("acme", "big", func(string, []string) error { count++; return nil }); err != nil {
		t.Fatal(err)
	}
	if count != n+1 {
		t.Errorf("big holds %d records after the completion, want %d", count, n+1)
	}
	if len(applied) != 1 { // the rest of big; z-new was moved in by the commit
		t.Errorf("the completion took %d transactions, want 1", len(applied))
	}
}

func shadowOf(t *testing.T, s *store.Store, name, entity string) string {
	t.Helper()
	got, err := store.ShadowOf(s, name, entity)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func stage(t *testing.T, h *store.Session, entity string, kv ...string) {
	t.Helper()
	var rows []store.Staged
	for i := 0; i < len(kv); i += 2 {
		rows = append(rows, store.Staged{Key: kv[i], Kind: store.Nieuw, Vals: []string{kv[i+1]}})
	}
	if err := h.Stage(entity, rows); err != nil {
		t.Fatal(err)
	}
}
