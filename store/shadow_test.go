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
	applied := 0
	store.SetHook(s, func(point string) {
		if point == "apply" {
			applied++
		}
	})
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
	if applied != 0 {
		t.Errorf("%d apply transactions for a prepared state, want none", applied)
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

// prepare calls PrepareSoFar, or Prepare when final.
func prepare(t *testing.T, h *store.Session, entity string, final bool) {
	t.Helper()
	prep := h.PrepareSoFar
	if final {
		prep = h.Prepare
	}
	if err := prep(entity); err != nil {
		t.Fatal(err)
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

// An entity staged in key order is prepared as it is staged: each PrepareSoFar copies what came
// since the last, and Prepare the rest; the commit moves it in.
func TestPrepareSoFarFollowsAnEntityStagedInOrder(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "b", "2", "a", "1")
	prepare(t, h, "absences", false)
	if got := shadowOf(t, s, "acme", "absences"); got != "a=1 b=2" {
		t.Errorf("prepared after the first batch: %q", got)
	}
	stage(t, h, "absences", "d", "4", "c", "3")
	prepare(t, h, "absences", false)
	stage(t, h, "absences", "e", "5")
	if got := shadowOf(t, s, "acme", "absences"); got != "a=1 b=2 c=3 d=4" {
		t.Errorf("prepared after the second batch: %q", got)
	}
	prepare(t, h, "absences", true)
	run := commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2 c=3 d=4 e=5" {
		t.Errorf("state after the commit: %q", got)
	}
	// Counted by the copies, without a walk of the stage.
	if run.StateWrites != 5 {
		t.Errorf("state writes %d, want 5", run.StateWrites)
	}
}

// Rows staged out of order after a partial copy — a key before those copied, a key copied
// before with a newer row — reach the state: Prepare goes over the whole stage again, and
// PrepareSoFar copies no more once the order is broken.
func TestPrepareAfterRowsOutOfOrderCopiesAll(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "c", "3", "d", "4")
	prepare(t, h, "absences", false)
	stage(t, h, "absences", "a", "1", "d", "4b", "e", "5")
	prepare(t, h, "absences", false)
	if got := shadowOf(t, s, "acme", "absences"); got != "c=3 d=4" {
		t.Errorf("prepared after rows out of order: %q, want the first copy only", got)
	}
	prepare(t, h, "absences", true)
	run := commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 c=3 d=4b e=5" {
		t.Errorf("state after the commit: %q", got)
	}
	if run.StateWrites != 4 {
		t.Errorf("state writes %d, want 4 (a key staged twice is one)", run.StateWrites)
	}
}

// A partial copy that no Prepare completed is never moved in: the apply copies the entity, and
// nothing prepared is left.
func TestPrepareSoFarWithoutPrepareIsDropped(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "a", "1")
	prepare(t, h, "absences", false)
	stage(t, h, "absences", "b", "2")
	commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2" {
		t.Errorf("state after the commit: %q", got)
	}
	if hasShadow(t, s, "acme") {
		t.Error("a partial copy is left after the commit")
	}
}

// An entity with state stored is not prepared ahead (the apply merges into its state).
func TestPrepareSoFarLeavesAnEntityWithState(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "a", "1")
	commitRun(t, h, "20260101-000000-0001")
	h.Close()
	h = hold(t, s, "acme")
	stage(t, h, "absences", "b", "2")
	prepare(t, h, "absences", false)
	if hasShadow(t, s, "acme") {
		t.Error("an entity with state was prepared ahead")
	}
	prepare(t, h, "absences", true)
	commitRun(t, h, "20260101-000000-0002")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2" {
		t.Errorf("state after the commit: %q", got)
	}
}

// A batch that starts at the last key staged before (that key again, newer) breaks the order
// too: the newer row reaches the state.
func TestPrepareSoFarRestagedLastKey(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	stage(t, h, "absences", "a", "1", "b", "2")
	prepare(t, h, "absences", false)
	stage(t, h, "absences", "b", "2b", "c", "3")
	prepare(t, h, "absences", true)
	commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1 b=2b c=3" {
		t.Errorf("state after the commit: %q", got)
	}
}

// PrepareSoFar copies each staged row once: the next call goes on after the last row copied;
// after rows out of order, Prepare copies the whole stage again.
func TestPrepareSoFarCopiesEachRowOnce(t *testing.T) {
	s, _ := newStore(t)
	puts := 0
	store.SetHook(s, func(point string) {
		if point == "prepare" {
			puts++
		}
	})
	h := hold(t, s, "acme")
	stage(t, h, "absences", "a", "1", "b", "2")
	for range 2 { // the second copies nothing: nothing was staged since
		prepare(t, h, "absences", false)
	}
	stage(t, h, "absences", "c", "3", "d", "4")
	prepare(t, h, "absences", false)
	prepare(t, h, "absences", true)
	if puts != 4 {
		t.Errorf("%d rows copied for 4 staged in order, want 4", puts)
	}
	stage(t, h, "absences", "a", "1b")
	puts = 0
	prepare(t, h, "absences", false)
	prepare(t, h, "absences", true)
	if puts != 4 {
		t.Errorf("%d rows copied after a row out of order, want the 4 staged", puts)
	}
	commitRun(t, h, "20260101-000000-0001")
	if got := stateOf(t, s, "acme", "absences"); got != "a=1b b=2 c=3 d=4" {
		t.Errorf("state after the commit: %q", got)
	}
}
