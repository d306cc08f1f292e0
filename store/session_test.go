package store_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

func newStore(t testing.TB) (*store.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "koppel.db")
	return openStore(t, path), path
}

func openStore(t testing.TB, path string) *store.Store {
	t.Helper()
	open := store.Open
	if fastTests {
		open = store.OpenNoSync
	}
	s, err := open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func named(name string) *profile.Profile {
	p := testProfile()
	p.Name = name
	return p
}

func hold(t testing.TB, s *store.Store, name string) *store.Session {
	t.Helper()
	h, err := s.Hold(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func stateOf(t testing.TB, s *store.Store, name, entity string) string {
	t.Helper()
	var parts []string
	err := s.EachState(name, entity, func(k string, v []string) error {
		parts = append(parts, k+"="+strings.Join(v, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, " ")
}

func delivered(t testing.TB, h *store.Session, entity string) string {
	t.Helper()
	var parts []string
	err := h.EachDelivered(entity, func(k string, v []string, kind string) error {
		parts = append(parts, kind+":"+k+"="+strings.Join(v, ","))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(parts, " ")
}

func TestSessionStagesAndCommits(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	if h.Profile() != "acme" {
		t.Errorf("profile %q", h.Profile())
	}
	// First run: everything new.
	if err := h.Stage("absences", []store.Staged{{Key: "b", Kind: store.Nieuw, Vals: []string{"2"}}, {Key: "a", Kind: store.Nieuw, Vals: []string{"1", ""}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("absences", []store.Staged{{Key: "c", Kind: store.Nieuw, Vals: []string{"3"}}}); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "" {
		t.Errorf("staged rows visible before the commit: %q", got)
	}
	if got := delivered(t, h, "absences"); got != "Nieuw:a=1, Nieuw:b=2 Nieuw:c=3" {
		t.Errorf("delivered before commit: %q", got)
	}
	run := &store.Run{ID: "20260101-000000-0001", Status: "ok", Started: time.Now()}
	logs := []runlog.Log{{Level: runlog.Melding, Code: "x"}}
	pend := &store.Pending{Temp: "/out/.tmp", Final: "/out/run"}
	if err := h.Commit(run, logs, nil, pend, map[string][]string{"conn": {"k1", "k2"}}); err != nil {
		t.Fatal(err)
	}
	if run.StateWrites != 3 || run.Profile != "acme" {
		t.Errorf("state writes %d, profile %q", run.StateWrites, run.Profile)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "a=1, b=2 c=3" {
		t.Errorf("state after commit: %q", got)
	}
	if p, err := h.Pending(); err != nil || *p != *pend {
		t.Errorf("pending %v %v", p, err)
	}
	if b, err := h.Bounds("conn"); err != nil || strings.Join(b, ",") != "k1,k2" {
		t.Errorf("bounds %v %v", b, err)
	}
	if err := h.ClearPending(); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingOf("acme"); p != nil {
		t.Errorf("pending after clear: %v", p)
	}

	// Second run: one changed, one gone, one new, one unchanged.
	err := h.Stage("absences", []store.Staged{
		{Key: "b", Kind: store.Gewijzigd, Vals: []string{"22"}},
		{Key: "a", Kind: store.Verwijderd, Vals: []string{"1", ""}},
		{Key: "d", Kind: store.Nieuw, Vals: []string{"4"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := delivered(t, h, "absences"); got != "Verwijderd:a=1, Gewijzigd:b=22 :c=3 Nieuw:d=4" {
		t.Errorf("delivered: %q", got)
	}
	var staged []string
	if err := h.EachStaged("absences", func(k string, v []string, kind string) error {
		staged = append(staged, kind+":"+k)
		return nil
	}); err != nil || strings.Join(staged, " ") != "Verwijderd:a Gewijzigd:b Nieuw:d" {
		t.Errorf("staged: %v %v", staged, err)
	}
	if v, ok, err := h.Get("absences", "b"); err != nil || !ok || v[0] != "2" {
		t.Errorf("get b before commit: %v %v %v", v, ok, err)
	}
	if _, ok, err := h.Get("absences", "zz"); ok || err != nil {
		t.Errorf("get of an unknown key: %v %v", ok, err)
	}
	if _, ok, err := h.Get("nothing", "zz"); ok || err != nil {
		t.Errorf("get of an unknown entity: %v %v", ok, err)
	}
	run2 := &store.Run{ID: "20260101-000000-0002", Status: "ok", Started: time.Now()}
	if err := h.Commit(run2, nil, nil, nil, map[string][]string{"conn": nil, "other": {"x"}}); err != nil {
		t.Fatal(err)
	}
	if run2.StateWrites != 3 {
		t.Errorf("state writes %d", run2.StateWrites)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "b=22 c=3 d=4" {
		t.Errorf("state after second commit: %q", got)
	}
	if got := delivered(t, h, "absences"); got != ":b=22 :c=3 :d=4" {
		t.Errorf("delivered after commit: %q", got)
	}
	if b, _ := h.Bounds("conn"); b != nil {
		t.Errorf("bounds of a connector given none: %v", b)
	}
	if b, _ := h.Bounds("other"); len(b) != 1 {
		t.Errorf("bounds of other: %v", b)
	}
	var got []string
	if err := h.EachState("absences", func(k string, v []string) error { got = append(got, k); return nil }); err != nil || len(got) != 3 {
		t.Errorf("session state %v %v", got, err)
	}

	// Third run: nothing staged, nothing written.
	run3 := &store.Run{ID: "20260101-000000-0003", Status: "ok", Started: time.Now(), StateWrites: 99}
	if err := h.Commit(run3, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if run3.StateWrites != 0 {
		t.Errorf("state writes of an unchanged run: %d", run3.StateWrites)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "b=22 c=3 d=4" {
		t.Errorf("state after an empty run: %q", got)
	}
	if got := delivered(t, h, "none"); got != "" {
		t.Errorf("delivered of an empty entity: %q", got)
	}
	if err := h.EachStaged("absences", func(string, []string, string) error { t.Error("staged after commit"); return nil }); err != nil {
		t.Error(err)
	}

	// A failed run: staged rows dropped, the run recorded.
	if err := h.Stage("absences", []store.Staged{{Key: "b", Kind: store.Verwijderd}}); err != nil {
		t.Fatal(err)
	}
	if err := h.RecordRun(&store.Run{ID: "20260101-000000-0004", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "b=22 c=3 d=4" {
		t.Errorf("state after a failed run: %q", got)
	}
	if err := h.Stage("absences", []store.Staged{{Key: "b", Kind: store.Verwijderd}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Discard(); err != nil {
		t.Fatal(err)
	}
	if got := delivered(t, h, "absences"); got != ":b=22 :c=3 :d=4" {
		t.Errorf("delivered after discard: %q", got)
	}
	if err := h.Commit(&store.Run{ID: "x", Profile: "beta"}, nil, nil, nil, nil); err == nil {
		t.Error("a run of another profile committed")
	}
	if err := h.Commit(&store.Run{Status: "ok"}, nil, nil, nil, nil); err == nil {
		t.Error("a run without id committed")
	}
	runs, _ := s.Runs("acme")
	if ids(runs) != "20260101-000000-0004 20260101-000000-0003 20260101-000000-0002 20260101-000000-0001" {
		t.Errorf("runs: %s", ids(runs))
	}
	if l, _ := s.RunLogs(run.ID); len(l) != 1 || l[0].Code != "x" {
		t.Errorf("logs %v", l)
	}
	if d, err := s.LastDelivery("acme"); err != nil || d.ID != run3.ID {
		t.Errorf("last delivery %v %v", d, err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if err := h.Stage("absences", []store.Staged{{Key: "q", Kind: store.Nieuw}}); err == nil {
		t.Error("staged on a closed session")
	}
	if _, err := h.Pending(); err == nil {
		t.Error("pending of a closed session")
	}
	if err := h.Commit(&store.Run{ID: "y"}, nil, nil, nil, nil); err == nil {
		t.Error("commit on a closed session")
	}
	if _, err := os.Stat(filepath.Join(s.Path()+".d", "acme.held")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("held file after close: %v", err)
	}
}

func TestStageRejectsBadRows(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	for _, rows := range [][]store.Staged{{{Key: "a", Kind: "Anders"}}, {{Key: "", Kind: store.Nieuw}}} {
		if err := h.Stage("absences", rows); err == nil {
			t.Errorf("%v staged", rows)
		}
	}
	if err := h.Stage("", []store.Staged{{Key: "a", Kind: store.Nieuw}}); err == nil {
		t.Error("staged without entity")
	}
	if err := h.Stage("absences", nil); err != nil {
		t.Errorf("nothing to stage: %v", err)
	}
	// A key staged twice keeps its last row.
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("absences", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"2"}}}); err != nil {
		t.Fatal(err)
	}
	if got := delivered(t, h, "absences"); got != "Nieuw:a=2" {
		t.Errorf("restaged: %q", got)
	}
	// A callback's error stops the walks; its panic stays its own.
	stop := errors.New("stop")
	if err := h.EachDelivered("absences", func(string, []string, string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachDelivered error: %v", err)
	}
	if err := h.EachStaged("absences", func(string, []string, string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachStaged error: %v", err)
	}
	defer func() {
		if r := recover(); r != "mine" {
			t.Errorf("recovered %v", r)
		}
	}()
	_ = h.EachDelivered("absences", func(string, []string, string) error { panic("mine") })
}

func TestCallbackPanicsAreTheCallers(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Commit(&store.Run{ID: "r1", Profile: "acme", Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: map[string][]string{"k": {"v"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if r := recover(); r != "mine" {
			t.Errorf("recovered %v", r)
		}
		// The store still works.
		if got := stateOf(t, s, "acme", "e"); got != "k=v" {
			t.Errorf("state after a callback panic: %q", got)
		}
	}()
	_ = s.EachState("acme", "e", func(string, []string) error { panic("mine") })
}

func TestHoldInOneProcess(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	_, err := s.Hold("acme")
	var he *store.HeldError
	if !errors.As(err, &he) || he.PID != os.Getpid() || he.Profile != "acme" || he.Since.IsZero() || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second hold: %v", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) || !strings.Contains(err.Error(), "acme") {
		t.Errorf("message: %v", err)
	}
	if err := s.DeleteProfile("acme"); !errors.As(err, &he) || he.Since.IsZero() || he.PID != os.Getpid() {
		t.Errorf("delete of a held profile: %v", err)
	}
	if err := s.RecordRun(&store.Run{ID: "r", Profile: "acme"}, nil, nil); !errors.As(err, &he) {
		t.Errorf("old-style record of a held profile: %v", err)
	}
	// Other profiles, and reads of the held one, go on.
	other := hold(t, s, "beta")
	if err := other.RecordRun(&store.Run{ID: "b1", Status: "ok"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("e", []store.Staged{{Key: "k", Kind: store.Nieuw, Vals: []string{"v"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(&store.Run{ID: "a1", Status: "ok"}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if last, err := s.LastRuns(); err != nil || len(last) != 2 || last["acme"].ID != "a1" || last["beta"].ID != "b1" {
		t.Errorf("last runs while held here: %v %v", last, err)
	}
	if got := stateOf(t, s, "acme", "e"); got != "k=v" {
		t.Errorf("state read while held here: %q", got)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := hold(t, s, "acme")
	if v, ok, err := h2.Get("e", "k"); !ok || err != nil || v[0] != "v" {
		t.Errorf("state in the next session: %v %v %v", v, ok, err)
	}
	if _, err := s.Hold(""); err == nil {
		t.Error("held a profile without name")
	}
}

// Two Stores on one path lock each other out as two processes do (two file descriptors).
func TestHeldByAnotherStore(t *testing.T) {
	s, path := newStore(t)
	s2 := openStore(t, path)
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordRun(&store.Run{ID: "run-" + n, Profile: n, Status: "ok"}, nil, []store.Change{{Entity: "e", Key: "k", Kind: store.Nieuw}}); err != nil {
			t.Fatal(err)
		}
	}
	h := hold(t, s2, "acme")
	check := func(what string, err error) {
		t.Helper()
		var he *store.HeldError
		if !errors.As(err, &he) || he.Profile != "acme" || he.PID != os.Getpid() || !errors.Is(err, store.ErrLocked) {
			t.Errorf("%s of a profile held elsewhere: %v", what, err)
		}
	}
	start := time.Now()
	_, err := s.Hold("acme")
	check("hold", err)
	if d := time.Since(start); d > time.Second {
		t.Errorf("a held profile took %s to refuse", d)
	}
	_, err = s.Runs("acme")
	check("runs", err)
	_, err = s.LastRun("acme")
	check("last run", err)
	_, err = s.LastDelivery("acme")
	check("last delivery", err)
	_, err = s.PendingOf("acme")
	check("pending", err)
	check("state", s.EachState("acme", "e", func(string, []string) error { return nil }))
	check("delete", s.DeleteProfile("acme"))
	check("clear pending", s.ClearPending("acme"))
	check("commit", s.Commit(&store.Run{ID: "x", Profile: "acme"}, nil, nil, nil, nil))
	_, err = s.Run("run-acme")
	check("run", err)
	_, err = s.RunLogs("run-acme")
	check("run logs", err)
	_, err = s.RunChanges("run-acme")
	check("run changes", err)
	check("check", s.Check())
	// A backup copies the others and names the held one.
	var tarball bytes.Buffer
	err = s.Backup(&tarball)
	if pe := (*store.PartialError)(nil); !errors.As(err, &pe) || pe.Held["acme"] == nil || len(pe.Held) != 1 {
		t.Errorf("backup with a held profile: %v", err)
	}
	check("backup", err)
	var copied []string
	for tr := tar.NewReader(&tarball); ; {
		hd, err := tr.Next()
		if err != nil {
			break
		}
		copied = append(copied, filepath.Base(hd.Name))
	}
	if !slices.Contains(copied, "beta.db") || slices.Contains(copied, "acme.db") {
		t.Errorf("backup with acme held copied %v", copied)
	}
	// All-profile calls give what they can, with the held ones.
	last, err := s.LastRuns()
	var pe *store.PartialError
	if !errors.As(err, &pe) || pe.Held["acme"] == nil || len(last) != 1 || last["beta"] == nil {
		t.Errorf("last runs: %v %v", last, err)
	}
	check("last runs", err)
	all, err := s.Runs("")
	if len(all) != 1 || all[0].ID != "run-beta" || !strings.Contains(fmt.Sprint(err), "profile acme is in use") {
		t.Errorf("all runs: %v %v", ids(all), err)
	}
	check("all runs", err)
	// Everything else works.
	hb := hold(t, s, "beta")
	if err := hb.RecordRun(&store.Run{ID: "run-beta-2", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run("run-beta"); err != nil || r.Profile != "beta" {
		t.Errorf("run of beta: %v %v", r, err)
	}
	if c, err := s.RunChanges("run-beta"); err != nil || len(c) != 1 {
		t.Errorf("changes of beta: %v %v", c, err)
	}
	if names, err := s.ProfileNames(); err != nil || len(names) != 2 {
		t.Errorf("names: %v %v", names, err)
	}
	if _, err := s.Profile("acme"); err != nil {
		t.Errorf("profile: %v", err)
	}
	if err := s.PutProfile(named("gamma")); err != nil {
		t.Errorf("put profile: %v", err)
	}
	if _, err := s.Run("no-such-run"); !errors.Is(err, store.ErrLocked) || !strings.Contains(err.Error(), "no-such-run") {
		t.Errorf("unknown run while a profile is held: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run("run-acme"); err != nil || r.ID != "run-acme" {
		t.Errorf("run after the hold: %v %v", r, err)
	}
	h3 := hold(t, s, "acme")
	h3.Close()
}

func TestBriefUseIsWaitedFor(t *testing.T) {
	s, path := newStore(t)
	s2 := openStore(t, path)
	if err := s.Commit(&store.Run{ID: "r1", Profile: "acme", Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: map[string][]string{"k": {"v"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	// s2 reads the profile slowly: its file is open, but not held for a run, so s waits for it
	// rather than failing.
	reading, done := make(chan struct{}), make(chan error)
	go func() {
		done <- s2.EachState("acme", "e", func(string, []string) error {
			close(reading)
			time.Sleep(300 * time.Millisecond)
			return nil
		})
	}()
	<-reading
	start := time.Now()
	runs, err := s.Runs("acme")
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs while another store reads: %v %v", runs, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("did not wait for the other store (%s)", d)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRetention(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := func(i int, status string) string {
		id := fmt.Sprintf("run-%04d", i)
		r := &store.Run{ID: id, Status: status, Started: t0.Add(time.Duration(i) * time.Minute)}
		logs := []runlog.Log{{Code: id}}
		changes := []store.Change{{Entity: "e", Key: id, Kind: store.Nieuw}}
		var err error
		if status == "ok" {
			err = h.Commit(r, logs, changes, nil, nil)
		} else {
			err = h.RecordRun(r, logs, changes)
		}
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := rec(0, "ok")
	// A preview is ok too, but no delivery.
	dry := &store.Run{ID: "run-dry", Status: "ok", DryRun: true}
	if err := h.RecordRun(dry, nil, nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 450; i++ {
		rec(i, "failed")
	}
	runs, err := s.Runs("acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != store.DefaultRetention+1 || runs[0].ID != "run-0449" || runs[len(runs)-2].ID != "run-0050" || runs[len(runs)-1].ID != first {
		t.Fatalf("%d runs kept: %s … %s", len(runs), runs[0].ID, runs[len(runs)-1].ID)
	}
	if d, _ := s.LastDelivery("acme"); d == nil || d.ID != first {
		t.Errorf("last delivery %v", d)
	}
	for _, id := range []string{"run-0001", "run-0049", "run-dry"} {
		if _, err := s.Run(id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("pruned run %s: %v", id, err)
		}
		if l, _ := s.RunLogs(id); len(l) != 0 {
			t.Errorf("logs of pruned run %s: %v", id, l)
		}
		if c, _ := s.RunChanges(id); len(c) != 0 {
			t.Errorf("changes of pruned run %s: %v", id, c)
		}
	}
	for _, id := range []string{first, "run-0050", "run-0449"} {
		if l, _ := s.RunLogs(id); len(l) != 1 || l[0].Code != id {
			t.Errorf("logs of kept run %s: %v", id, l)
		}
		if c, _ := s.RunChanges(id); len(c) != 1 || c[0].Key != id {
			t.Errorf("changes of kept run %s: %v", id, c)
		}
	}
	// A newer delivery lets the old one go; the profile's setting changes the count.
	h.Retention = 10
	rec(450, "ok")
	runs, _ = s.Runs("acme")
	if len(runs) != 10 || runs[0].ID != "run-0450" || runs[9].ID != "run-0441" {
		t.Errorf("%d runs after a delivery with retention 10: %s", len(runs), ids(runs))
	}
	h.Retention = -1
	for i := 451; i < 460; i++ {
		rec(i, "failed")
	}
	if runs, _ = s.Runs("acme"); len(runs) != 19 {
		t.Errorf("%d runs kept with retention off", len(runs))
	}
	h.Retention = 1
	rec(460, "failed")
	runs, _ = s.Runs("acme")
	if ids(runs) != "run-0460 run-0450" {
		t.Errorf("retention 1: %s", ids(runs))
	}
	if err := s.Check(); err != nil {
		t.Errorf("check after pruning: %v", err)
	}
}

func TestReplacingARunKeepsItsPlace(t *testing.T) {
	s, _ := newStore(t)
	for _, r := range []*store.Run{{ID: "a", Status: "ok"}, {ID: "b", Status: "ok"}} {
		r.Profile = "acme"
		if err := s.RecordRun(r, []runlog.Log{{Code: r.ID}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRun(&store.Run{ID: "b", Profile: "acme", Status: "failed"}, []runlog.Log{{Code: "b2"}}, nil); err != nil {
		t.Fatal(err)
	}
	runs, _ := s.Runs("acme")
	if ids(runs) != "b a" || runs[0].Status != "failed" {
		t.Errorf("runs %s", ids(runs))
	}
	if l, _ := s.RunLogs("b"); len(l) != 1 || l[0].Code != "b2" {
		t.Errorf("logs of the replaced run: %v", l)
	}
	if d, _ := s.LastDelivery("acme"); d == nil || d.ID != "a" {
		t.Errorf("last delivery after its replacement failed: %v", d)
	}
	if err := s.RecordRun(&store.Run{ID: "a", Profile: "acme", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := s.LastDelivery("acme"); d != nil || err != nil {
		t.Errorf("last delivery when none is left: %v %v", d, err)
	}
	if d, err := s.LastDelivery("nobody"); d != nil || err != nil {
		t.Errorf("last delivery of nobody: %v %v", d, err)
	}
}

func TestChangesAreBounded(t *testing.T) {
	s, _ := newStore(t)
	changes := make([]store.Change, store.MaxChanges+10)
	for i := range changes {
		changes[i] = store.Change{Entity: "e", Key: fmt.Sprint(i), Kind: store.Nieuw}
	}
	run := &store.Run{ID: "r", Profile: "acme", Status: "failed"}
	if err := s.RecordRun(run, nil, changes); err != nil {
		t.Fatal(err)
	}
	got, _ := s.RunChanges("r")
	if len(got) != store.MaxChanges || run.ChangesKept != store.MaxChanges || got[store.MaxChanges-1].Key != fmt.Sprint(store.MaxChanges-1) {
		t.Errorf("%d changes kept (%d)", len(got), run.ChangesKept)
	}
}

func TestDeleteProfileRemovesItsFile(t *testing.T) {
	s, path := newStore(t)
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
		err := s.Commit(&store.Run{ID: "r-" + n, Profile: n, Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: map[string][]string{"k1": {"a"}, "k2": {"b"}}}}, &store.Pending{Temp: "t", Final: "f"})
		if err != nil {
			t.Fatal(err)
		}
	}
	if p, err := s.PendingOf("acme"); err != nil || p == nil || p.Final != "f" {
		t.Errorf("pending: %v %v", p, err)
	}
	if _, err := s.Runs("acme"); err != nil {
		t.Fatal(err)
	}
	erased, err := s.DeleteProfileInfo("acme")
	if err != nil {
		t.Fatal(err)
	}
	if erased.Runs != 1 || erased.StateRecords != 2 || len(erased.Files) != 1 || erased.Files[0] != filepath.Join(path+".d", "acme.db") {
		t.Errorf("erased %+v", erased)
	}
	if _, err := os.Stat(filepath.Join(path+".d", "acme.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("profile file after delete: %v", err)
	}
	if _, err := s.Profile("acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile after delete: %v", err)
	}
	if r, err := s.Runs("acme"); len(r) != 0 || err != nil {
		t.Errorf("runs after delete: %v %v", r, err)
	}
	if _, err := s.Run("r-acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("run after delete: %v", err)
	}
	if p, err := s.PendingOf("acme"); p != nil || err != nil {
		t.Errorf("pending after delete: %v %v", p, err)
	}
	if err := s.DeleteProfile("acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.DeleteProfile(""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("delete without name: %v", err)
	}
	if got := stateOf(t, s, "beta", "e"); got != "k1=a k2=b" {
		t.Errorf("the other profile: %q", got)
	}
	// A profile with history but no catalog entry (runs recorded by name only) is removable too.
	if err := s.RecordRun(&store.Run{ID: "r-x", Profile: "orphan", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if e, err := s.DeleteProfileInfo("orphan"); err != nil || e.Runs != 1 {
		t.Errorf("delete orphan: %+v %v", e, err)
	}
	// And a profile without history is removed from the catalog alone.
	if err := s.PutProfile(named("gamma")); err != nil {
		t.Fatal(err)
	}
	if e, err := s.DeleteProfileInfo("gamma"); err != nil || e.Runs != 0 || len(e.Files) != 0 {
		t.Errorf("delete gamma: %+v %v", e, err)
	}
	if names, _ := s.ProfileNames(); len(names) != 1 || names[0] != "beta" {
		t.Errorf("names %v", names)
	}
}

func TestOddProfileNamesStayInTheFolder(t *testing.T) {
	s, path := newStore(t)
	for _, n := range []string{"../evil", "Acme Zorg", "a/b"} {
		if err := s.RecordRun(&store.Run{ID: "r-" + n, Profile: n, Status: "ok"}, nil, nil); err != nil {
			t.Fatal(err)
		}
		if r, err := s.LastRun(n); err != nil || r.ID != "r-"+n {
			t.Errorf("%q: %v %v", n, r, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if e.Name() != "koppel.db" && e.Name() != "koppel.db.key" && e.Name() != "koppel.db.d" {
			t.Errorf("file outside the store's folder: %s", e.Name())
		}
	}
	last, err := s.LastRuns()
	if err != nil || len(last) != 3 || last["../evil"] == nil || last["a/b"] == nil {
		t.Errorf("last runs %v %v", last, err)
	}
}

func TestFilesArePrivate(t *testing.T) {
	s, path := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("e", []store.Staged{{Key: "k", Kind: store.Nieuw}}); err != nil {
		t.Fatal(err)
	}
	dir := path + ".d"
	for _, f := range []string{path, path + ".key", dir, filepath.Join(dir, "acme.db"), filepath.Join(dir, "acme.held"), filepath.Join(dir, "acme.stage")} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", f, fi.Mode().Perm(), want)
		}
	}
	h.Close()
	if _, err := os.Stat(filepath.Join(dir, "acme.stage")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stage after close: %v", err)
	}
	// A file another tool made readable is made private again.
	if err := os.Chmod(filepath.Join(dir, "acme.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Runs("acme"); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "acme.db")); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after open: %v", fi.Mode().Perm())
	}
}

func TestBackupIsAStore(t *testing.T) {
	s, path := newStore(t)
	if err := s.PutProfile(testProfile()); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(&store.Run{ID: "r1", Profile: "acme", Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: map[string][]string{"k": {"v"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordRun(&store.Run{ID: "r2", Profile: "beta", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Held in this process, a profile is copied as it was last committed.
	h := hold(t, s, "beta")
	if err := h.Stage("e", []store.Staged{{Key: "x", Kind: store.Nieuw}}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.tar")
	if err := s.BackupTo(backup); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(backup); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", fi.Mode().Perm())
	}
	restored := filepath.Join(t.TempDir(), "restore")
	var names []string
	f, _ := os.Open(backup)
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hd.Name)
		target := filepath.Join(restored, hd.Name)
		if hd.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(target, 0o700); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, tr); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if strings.Join(names, " ") != "koppel.db.d/ koppel.db koppel.db.d/acme.db koppel.db.d/beta.db" {
		t.Errorf("archive: %v", names)
	}
	key, _ := os.ReadFile(path + ".key")
	k, _ := store.ParseKey(string(key))
	r, err := store.Open(filepath.Join(restored, "koppel.db"), k)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if p, err := r.Profile("acme"); err != nil || !strings.Contains(p.Account.Token, tokenData) {
		t.Errorf("restored profile: %v", err)
	}
	if got := stateOf(t, r, "acme", "e"); got != "k=v" {
		t.Errorf("restored state %q", got)
	}
	if got := stateOf(t, r, "beta", "e"); got != "" {
		t.Errorf("staged rows in the backup: %q", got)
	}
	if last, err := r.LastRuns(); err != nil || len(last) != 2 {
		t.Errorf("restored runs %v %v", last, err)
	}
	if err := r.Check(); err != nil {
		t.Errorf("check of the restored store: %v", err)
	}
	if err := s.BackupTo(filepath.Join(t.TempDir(), "no", "such", "dir.tar")); err == nil {
		t.Error("backup into a missing folder")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "koppel.db")
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutProfile(testProfile()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.PutProfile(testProfile()); err == nil {
		t.Error("a closed store stored")
	}
	// The key file is read back, not made anew.
	s, err = store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.Profile("acme"); err != nil || !strings.Contains(p.Account.Token, tokenData) {
		t.Errorf("reopened: %v", err)
	}
	s.Close()
	// Without it, an existing store refuses to start and writes no key.
	if err := os.Rename(path+".key", path+".key.bak"); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, nil); !errors.Is(err, store.ErrKeyMissing) || !strings.Contains(err.Error(), "KOPPEL_KEY") {
		t.Errorf("open without key file: %v", err)
	}
	if _, err := os.Stat(path + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written: %v", err)
	}
	// With the key given, it opens.
	raw, _ := os.ReadFile(path + ".key.bak")
	k, _ := store.ParseKey(string(raw))
	s, err = store.Open(path, k)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Profile("acme"); err != nil {
		t.Errorf("with the key given: %v", err)
	}
	s.Close()
	// A damaged key file says so.
	if err := os.WriteFile(path+".key", []byte("nonsense"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Open(path, nil); err == nil || !strings.Contains(err.Error(), "key file") {
		t.Errorf("bad key file: %v", err)
	}
	if _, err := store.Open(path, []byte("short")); err == nil {
		t.Error("a short key accepted")
	}
	// A new store with a given key writes no key file.
	other := filepath.Join(dir, "other.db")
	s, err = store.Open(other, k)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(other + ".key"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file for a given key: %v", err)
	}
	// A key file without a store is used for the new store.
	third := filepath.Join(dir, "third.db")
	if err := os.WriteFile(third+".key", raw, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = store.Open(third, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := os.ReadFile(third + ".key"); !bytes.Equal(got, raw) {
		t.Error("the existing key file was replaced")
	}
}

// A call that fails (here on a profile another Store holds) leaves no file open behind it.
func TestFailedOpensLeaveNothingOpen(t *testing.T) {
	s, path := newStore(t)
	s2 := openStore(t, path)
	h := hold(t, s2, "acme")
	for i := 0; i < 2; i++ {
		if _, err := s.Runs("acme"); !errors.Is(err, store.ErrLocked) {
			t.Fatalf("runs of a held profile: %v", err)
		}
	}
	h.Close()
	if _, err := s.Runs("acme"); err != nil {
		t.Fatal(err)
	}
	// s closed the file again: s2 can hold it at once.
	start := time.Now()
	h2, err := s2.Hold("acme")
	if err != nil || time.Since(start) > time.Second {
		t.Fatalf("hold after the other store's reads: %v after %s", err, time.Since(start))
	}
	h2.Close()
}

// A profile deleted while this Store still reads it is made anew by the next run, in a new file.
func TestDeleteWhileReading(t *testing.T) {
	s, _ := newStore(t)
	if err := s.Commit(&store.Run{ID: "r1", Profile: "acme", Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: map[string][]string{"k": {"v"}}}}, nil); err != nil {
		t.Fatal(err)
	}
	err := s.EachState("acme", "e", func(string, []string) error {
		if _, err := s.DeleteProfileInfo("acme"); err != nil {
			return err
		}
		return s.RecordRun(&store.Run{ID: "r2", Profile: "acme", Status: "failed"}, nil, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs, err := s.Runs("acme"); err != nil || ids(runs) != "r2" {
		t.Errorf("runs after delete and a new run: %s %v", ids(runs), err)
	}
}

// A delta larger than one apply transaction is applied in batches; interrupted between two, the
// apply resumes where it stopped.
func TestApplyInBatchesAndResume(t *testing.T) {
	s, path := newStore(t)
	const n = 2*store.ApplyBatch + 1
	rows := func(kind, val string) []store.Staged {
		out := make([]store.Staged, n)
		for i := range out {
			out[i] = store.Staged{Key: fmt.Sprintf("k%06d", i), Kind: kind, Vals: []string{val}}
		}
		return out
	}
	applies := 0
	store.SetHook(s, func(p string) {
		if p == "apply" {
			applies++
		}
	})
	h := hold(t, s, "acme")
	if err := h.Stage("big", rows(store.Nieuw, "v1")); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(&store.Run{ID: "r1", Status: "ok"}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if applies != 3 {
		t.Errorf("%d apply transactions for %d rows", applies, n)
	}
	count := func(st *store.Store, val string) int {
		c := 0
		if err := st.EachState("acme", "big", func(_ string, v []string) error {
			if v[0] == val {
				c++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := count(s, "v1"); got != n {
		t.Fatalf("%d records applied", got)
	}
	// Second run: changed everywhere, and two more entities; it stops after two batches.
	store.SetHook(s, func(p string) {
		if p == "apply" {
			applies++
			if applies == 5 {
				panic("stop")
			}
		}
	})
	if err := h.Stage("big", rows(store.Gewijzigd, "v2")); err != nil {
		t.Fatal(err)
	}
	for _, ent := range []string{"a-small", "z-small"} {
		if err := h.Stage(ent, []store.Staged{{Key: "k", Kind: store.Nieuw, Vals: []string{ent}}}); err != nil {
			t.Fatal(err)
		}
	}
	func() {
		defer func() {
			if r := recover(); r != "stop" {
				t.Fatalf("recovered %v", r)
			}
		}()
		_ = h.Commit(&store.Run{ID: "r2", Status: "ok"}, nil, nil, nil, nil)
	}()
	// The session refuses to go on; its stage stays for the completion.
	if err := h.Stage("big", nil); err != nil {
		t.Errorf("staging nothing: %v", err)
	}
	if err := h.Stage("big", rows(store.Nieuw, "x")[:1]); err == nil {
		t.Error("staged after an interrupted apply")
	}
	if _, err := h.Pending(); err == nil {
		t.Error("the session goes on after an interrupted apply")
	}
	h.Close()
	if _, err := os.Stat(filepath.Join(path+".d", "acme.stage")); err != nil {
		t.Fatalf("the stage of an interrupted apply was removed: %v", err)
	}
	// a-small and two batches of big were applied; another store completes the rest.
	s2 := openStore(t, path)
	resumed := 0
	store.SetHook(s2, func(p string) {
		if p == "apply" {
			resumed++
		}
	})
	if got := count(s2, "v2"); got != n {
		t.Errorf("%d of %d records of big after the completion", got, n)
	}
	if got := stateOf(t, s2, "acme", "z-small"); got != "k=z-small" {
		t.Errorf("z-small after the completion: %q", got)
	}
	if r, _ := s2.LastRun("acme"); r.ID != "r2" || r.StateWrites != n+2 {
		t.Errorf("last run %v", r)
	}
	if _, err := os.Stat(filepath.Join(path+".d", "acme.stage")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stage after the completion: %v", err)
	}
	if resumed != 3 { // the rest of big in two, z-small in one
		t.Errorf("the completion took %d transactions", resumed)
	}
}

func TestCloseEndsSessions(t *testing.T) {
	s, path := newStore(t)
	h, err := s.Hold("acme")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Stage("e", []store.Staged{{Key: "k", Kind: store.Nieuw}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	for _, f := range []string{"acme.stage", "acme.held"} {
		if _, err := os.Stat(filepath.Join(path+".d", f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after close: %v", f, err)
		}
	}
	if _, err := s.Hold("beta"); err == nil {
		t.Error("held on a closed store")
	}
	if _, err := s.Runs("acme"); err == nil {
		t.Error("read a closed store")
	}
	s2 := openStore(t, path)
	start := time.Now()
	h2, err := s2.Hold("acme")
	if err != nil || time.Since(start) > time.Second {
		t.Fatalf("hold after close: %v (%s)", err, time.Since(start))
	}
	h2.Close()
}

// A run this Store once saw in one profile and that is now in another (its profile deleted,
// the id reused elsewhere by another process) is still found.
func TestRunMovedToAnotherProfile(t *testing.T) {
	s, path := newStore(t)
	s2 := openStore(t, path)
	for _, n := range []string{"acme", "beta"} {
		if err := s.RecordRun(&store.Run{ID: "r-" + n, Profile: n, Status: "ok"}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if r, err := s.Run("r-acme"); err != nil || r.Profile != "acme" {
		t.Fatal(r, err)
	}
	if err := s2.DeleteProfile("acme"); err != nil {
		t.Fatal(err)
	}
	if err := s2.RecordRun(&store.Run{ID: "r-acme", Profile: "gamma", Status: "ok"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Run("r-acme"); err != nil || r.Profile != "gamma" {
		t.Errorf("moved run: %v %v", r, err)
	}
}

// Files in the profiles' folder that are no profile files are left alone.
func TestStrangeFilesInTheFolder(t *testing.T) {
	s, path := newStore(t)
	if err := s.RecordRun(&store.Run{ID: "r", Profile: "acme", Status: "ok"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"~.db", "~zz.db", "README", "Upper.db", ".acme.db.new-123456"} {
		if err := os.WriteFile(filepath.Join(path+".d", f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(path+".d", "dir.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	last, err := s.LastRuns()
	if err != nil || len(last) != 1 || last["acme"] == nil {
		t.Errorf("last runs: %v %v", last, err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

func TestGetMany(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("e", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1", "x"}}, {Key: "c", Kind: store.Nieuw, Vals: []string{"3"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(&store.Run{ID: "r1", Status: "ok"}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := h.GetMany("e", []string{"a", "b", "c"}, func(i int, raw []byte) error {
		if raw == nil {
			got = append(got, fmt.Sprint(i, ":none"))
			return nil
		}
		vals, err := store.DecodeValues(raw)
		got = append(got, fmt.Sprint(i, ":", strings.Join(vals, ",")))
		return err
	})
	if err != nil || strings.Join(got, " ") != "0:1,x 1:none 2:3" {
		t.Errorf("get many: %v %v", got, err)
	}
	n := 0
	if err := h.GetMany("nothing", []string{"a", "b"}, func(_ int, raw []byte) error {
		if raw != nil {
			t.Error("a value of an unknown entity")
		}
		n++
		return nil
	}); err != nil || n != 2 {
		t.Errorf("get many of an unknown entity: %d %v", n, err)
	}
	stop := errors.New("stop")
	if err := h.GetMany("e", []string{"a", "c"}, func(int, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
	if !bytes.Equal(store.AppendValues([]byte("p"), []string{"1", "x"}), append([]byte("p"), store.EncodeValues([]string{"1", "x"})...)) {
		t.Error("AppendValues differs from EncodeValues")
	}
	h.Close()
	if err := h.GetMany("e", []string{"a"}, func(int, []byte) error { return nil }); err == nil {
		t.Error("get many on a closed session")
	}
}

func TestRunDeliveryAndErrorText(t *testing.T) {
	for _, c := range []struct {
		run  store.Run
		want bool
	}{
		{store.Run{Status: "ok", Delivery: "/out/x"}, true},
		{store.Run{Status: "ok", Delivery: "/out/x", DryRun: true}, false},
		{store.Run{Status: "failed", Delivery: "/out/x"}, false},
		{store.Run{Status: "ok"}, false},
	} {
		if c.run.HasDelivery() != c.want {
			t.Errorf("%+v: HasDelivery %v", c.run, !c.want)
		}
	}
	tr := func(code string, args ...string) string { return code + "(" + strings.Join(args, ",") + ")" }
	r := store.Run{Error: "plain"}
	if r.ErrorText(tr) != "plain" {
		t.Errorf("error text without code: %q", r.ErrorText(tr))
	}
	r.ErrorCode, r.ErrorArgs = "run.x", []string{"a", "b"}
	if r.ErrorText(tr) != "run.x(a,b)" {
		t.Errorf("error text with code: %q", r.ErrorText(tr))
	}
}
