//go:build unix

package store_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/store"
)

// The test binary plays other koppel processes: with childRole set, TestMain runs that role
// instead of the tests.
const (
	childRole    = "KOPPEL_STORE_TEST_CHILD"
	childPath    = "KOPPEL_STORE_TEST_PATH"
	childProfile = "KOPPEL_STORE_TEST_PROFILE"
	childCrash   = "KOPPEL_STORE_TEST_CRASH"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childRole); role != "" {
		if err := child(role); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func child(role string) error {
	s, err := store.Open(os.Getenv(childPath), nil)
	if err != nil {
		return err
	}
	defer s.Close()
	name := os.Getenv(childProfile)
	if point := os.Getenv(childCrash); point != "" {
		store.SetHook(s, func(p string) {
			if p == point {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		})
	}
	h, err := s.Hold(name)
	if err != nil {
		return err
	}
	defer h.Close()
	switch role {
	case "hold":
		// Hold the profile until the parent closes stdin, then deliver a run.
		fmt.Println("held")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := h.Stage("e", []store.Staged{{Key: "k", Kind: store.Nieuw, Vals: []string{name}}}); err != nil {
			return err
		}
		return h.Commit(&store.Run{ID: "run-" + name, Status: "ok", Started: time.Now()}, nil, nil, nil, nil)
	case "commit":
		return secondRun(h)
	}
	return fmt.Errorf("unknown role %q", role)
}

// startChild starts a child process in a role on a profile; it returns once the child holds it.
func startChild(t *testing.T, path, role, profile string, env ...string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childRole+"="+role, childPath+"="+path, childProfile+"="+profile)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "held" {
		t.Fatalf("child on %s: %q %v", profile, line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return cmd, stdin
}

func TestRunsOfOtherProcessesAndTheirDeath(t *testing.T) {
	s, path := newStore(t)
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRun(&store.Run{ID: "r0", Profile: "acme", Status: "failed"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	cmd, _ := startChild(t, path, "hold", "acme")

	start := time.Now()
	_, err := s.Hold("acme")
	var he *store.HeldError
	if !errors.As(err, &he) || he.PID != cmd.Process.Pid || he.Profile != "acme" || time.Since(he.Since) > time.Minute || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("hold of a profile another process holds: %v", err)
	}
	host, _ := os.Hostname()
	if he.Host != host || !strings.Contains(err.Error(), fmt.Sprintf("koppel process %d on %s since ", he.PID, host)) {
		t.Errorf("message: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refused after %s", d)
	}
	if _, err := s.Runs("acme"); !errors.As(err, &he) {
		t.Errorf("runs of the held profile: %v", err)
	}
	if _, err := s.Run("r0"); !errors.As(err, &he) {
		t.Errorf("run of the held profile: %v", err)
	}
	// The rest of the store is free.
	hb, err := s.Hold("beta")
	if err != nil {
		t.Fatalf("hold of another profile: %v", err)
	}
	if err := hb.RecordRun(&store.Run{ID: "rb", Status: "ok"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	hb.Close()
	if names, err := s.ProfileNames(); err != nil || len(names) != 2 {
		t.Errorf("names: %v %v", names, err)
	}
	if err := s.PutProfile(named("gamma")); err != nil {
		t.Errorf("put profile: %v", err)
	}
	if last, err := s.LastRuns(); !errors.As(err, &he) || last["beta"] == nil || last["acme"] != nil {
		t.Errorf("last runs: %v %v", last, err)
	}

	// Killed, the process leaves no lock behind.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	h, err := s.Hold("acme")
	if err != nil {
		t.Fatalf("hold after the holder was killed: %v", err)
	}
	h.Close()
	if runs, err := s.Runs("acme"); err != nil || ids(runs) != "r0" {
		t.Errorf("runs after the kill: %s %v", ids(runs), err)
	}
}

func TestFourProcessesFourProfiles(t *testing.T) {
	s, path := newStore(t)
	names := []string{"p1", "p2", "p3", "p4"}
	var cmds []*exec.Cmd
	var stdins []io.WriteCloser
	for _, n := range names {
		cmd, in := startChild(t, path, "hold", n)
		cmds, stdins = append(cmds, cmd), append(stdins, in)
	}
	// All four hold their profile at once; let them deliver.
	for _, in := range stdins {
		in.Close()
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("child %s: %v", names[i], err)
		}
	}
	last, err := s.LastRuns()
	if err != nil || len(last) != 4 {
		t.Fatalf("last runs: %v %v", last, err)
	}
	for _, n := range names {
		if last[n].ID != "run-"+n || stateOf(t, s, n, "e") != "k="+n {
			t.Errorf("%s: %v %q", n, last[n], stateOf(t, s, n, "e"))
		}
	}
}

// firstRun delivers the state the commit tests start from: entities a and b, keys k000…k099.
func firstRun(t *testing.T, s *store.Store) {
	t.Helper()
	h := hold(t, s, "acme")
	for _, ent := range []string{"a", "b"} {
		var rows []store.Staged
		for i := 0; i < 100; i++ {
			rows = append(rows, store.Staged{Key: fmt.Sprintf("k%03d", i), Kind: store.Nieuw, Vals: []string{"v1"}})
		}
		if err := h.Stage(ent, rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Commit(&store.Run{ID: "run-1", Status: "ok"}, nil, nil, &store.Pending{Temp: "t1", Final: "f1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := h.ClearPending(); err != nil {
		t.Fatal(err)
	}
	h.Close()
}

// secondRun changes every record of a, drops half of b and adds to both, in several stages.
func secondRun(h *store.Session) error {
	for _, ent := range []string{"a", "b"} {
		for page := 0; page < 2; page++ {
			var rows []store.Staged
			for i := page * 60; i < (page+1)*60; i++ {
				key := fmt.Sprintf("k%03d", i)
				switch {
				case i >= 100:
					rows = append(rows, store.Staged{Key: key, Kind: store.Nieuw, Vals: []string{"v2"}})
				case ent == "a":
					rows = append(rows, store.Staged{Key: key, Kind: store.Gewijzigd, Vals: []string{"v2"}})
				case i%2 == 0:
					rows = append(rows, store.Staged{Key: key, Kind: store.Verwijderd, Vals: []string{"v1"}})
				}
			}
			if err := h.Stage(ent, rows); err != nil {
				return err
			}
		}
	}
	return h.Commit(&store.Run{ID: "run-2", Status: "ok"}, nil, nil, &store.Pending{Temp: "t2", Final: "f2"}, nil)
}

func summary(t *testing.T, s *store.Store, read func(ent string) string) string {
	t.Helper()
	last, err := s.LastRun("acme")
	if err != nil {
		t.Fatal(err)
	}
	pend, err := s.PendingOf("acme")
	if err != nil {
		t.Fatal(err)
	}
	p := "none"
	if pend != nil {
		p = pend.Final
	}
	return fmt.Sprintf("%s pending %s; a: %s; b: %s", last.ID, p, read("a"), read("b"))
}

// counts describes an entity's state by its values: "v1×100".
func counts(t *testing.T, each func(fn func(k string, v []string) error) error) string {
	t.Helper()
	n := map[string]int{}
	if err := each(func(_ string, v []string) error { n[v[0]]++; return nil }); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, v := range []string{"v1", "v2"} {
		if n[v] > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", v, n[v]))
		}
	}
	return strings.Join(parts, " ")
}

func TestCommitSurvivesKills(t *testing.T) {
	const (
		before = "run-1 pending none; a: v1×100; b: v1×100"
		after  = "run-2 pending f2; a: v2×120; b: v1×50 v2×20"
	)
	for _, c := range []struct{ point, want string }{
		{"stage", before},    // killed while staging
		{"commit", before},   // staged and synced, killed before the commit transaction
		{"committed", after}, // committed, nothing applied
		{"apply", after},     // killed after the first apply transaction
		{"applied", after},   // applied, the stage file not yet removed
		{"", after},          // not killed
	} {
		t.Run(c.point, func(t *testing.T) {
			s, path := newStore(t)
			firstRun(t, s)
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), childRole+"=commit", childPath+"="+path, childProfile+"=acme", childCrash+"="+c.point)
			out, err := cmd.CombinedOutput()
			killed := false
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
					killed = true
				}
			}
			if killed != (c.point != "") || (!killed && err != nil) {
				t.Fatalf("child: killed %v, %v: %s", killed, err, out)
			}
			// In the file itself, a kill during the apply leaves a mix, marked as to be applied.
			if c.point == "committed" || c.point == "apply" {
				raw := rawState(t, filepath.Join(path+".d", "acme.db"))
				want := "marked; a: v1×100; b: v1×100"
				if c.point == "apply" {
					want = "marked; a: v2×120; b: v1×100"
				}
				if raw != want {
					t.Errorf("file after the kill: %s, want %s", raw, want)
				}
			}
			// Any reader of the profile sees the whole run or none of it: the first to open
			// its file completes an interrupted apply.
			s2 := openStore(t, path)
			got := summary(t, s2, func(ent string) string {
				return counts(t, func(fn func(string, []string) error) error { return s2.EachState("acme", ent, fn) })
			})
			if got != c.want {
				t.Errorf("read after the kill: %s, want %s", got, c.want)
			}
			// So does the next run.
			h := hold(t, s2, "acme")
			got = summary(t, s2, func(ent string) string {
				return counts(t, func(fn func(string, []string) error) error { return h.EachState(ent, fn) })
			})
			if got != c.want {
				t.Errorf("next run sees: %s, want %s", got, c.want)
			}
			if _, err := os.Stat(filepath.Join(path+".d", "acme.stage")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("stage left behind: %v", err)
			}
			if r, _ := s2.LastRun("acme"); r.ID == "run-2" && r.StateWrites != 190 {
				t.Errorf("state writes %d", r.StateWrites)
			}
			if err := s2.Check(); err != nil {
				t.Errorf("check: %v", err)
			}
		})
	}
}

// rawState reads a profile file with bbolt alone: whether a commit is marked as to be applied,
// and the values of entities a and b.
func rawState(t *testing.T, file string) string {
	t.Helper()
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := "unmarked"
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")).Get([]byte("apply")) != nil {
			out = "marked"
		}
		for _, ent := range []string{"a", "b"} {
			b := tx.Bucket([]byte("state")).Bucket([]byte(ent))
			out += "; " + ent + ": " + counts(t, func(fn func(string, []string) error) error {
				return store.EachStateEntry(b, func(k, v []byte) error {
					vals, err := store.DecodeValues(v)
					if err != nil {
						return err
					}
					return fn(string(k), vals)
				})
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
