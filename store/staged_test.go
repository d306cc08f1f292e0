package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/koppel-nl/koppel/store"
)

// Stage calls write runs of their own (a big one is closed, small ones share one): read merged in
// key order, a key staged again is one row with its newest values, in every reader and in the
// commit.
func TestStagedRunsMergeNewestWins(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	key := func(i int) string { return fmt.Sprintf("k%05d", i) }
	// Run 1: a full run, written in reverse order.
	big := make([]store.Staged, 0, store.StageRun+10)
	for i := store.StageRun + 9; i >= 0; i-- {
		big = append(big, store.Staged{Key: key(2 * i), Kind: store.Nieuw, Vals: []string{"a"}})
	}
	must := func(rows []store.Staged) {
		t.Helper()
		if err := h.Stage("e", rows); err != nil {
			t.Fatal(err)
		}
	}
	must(big)
	// Run 2 and, into the same small run, a third call: keys of run 1 again, keys between them,
	// one key twice in one call (its later row wins).
	must([]store.Staged{
		{Key: key(4), Kind: store.Gewijzigd, Vals: []string{"b"}},
		{Key: key(5), Kind: store.Nieuw, Vals: []string{"b"}},
		{Key: key(5), Kind: store.Nieuw, Vals: []string{"b2"}},
		{Key: key(10), Kind: store.Gewijzigd, Vals: []string{"b"}},
	})
	must([]store.Staged{
		{Key: key(10), Kind: store.Gewijzigd, Vals: []string{"c"}},
		{Key: key(6), Kind: store.Verwijderd, Vals: []string{"a"}},
		{Key: key(2*store.StageRun + 18), Kind: store.Gewijzigd, Vals: []string{"c"}},
	})
	want := map[string]string{key(4): "Gewijzigd=b", key(5): "Nieuw=b2", key(10): "Gewijzigd=c", key(6): "Verwijderd=a", key(2*store.StageRun + 18): "Gewijzigd=c"}
	n, prev := 0, ""
	err := h.EachStaged("e", func(k string, v []string, kind string) error {
		n++
		if k <= prev {
			t.Fatalf("%s after %s", k, prev)
		}
		prev = k
		exp, ok := want[k]
		if !ok {
			exp = "Nieuw=a"
		}
		if got := kind + "=" + v[0]; got != exp {
			t.Errorf("staged %s: %s, want %s", k, got, exp)
		}
		return nil
	})
	if err != nil || n != store.StageRun+11 {
		t.Fatalf("%d staged rows: %v", n, err)
	}
	d := 0
	if err := h.EachDelivered("e", func(k string, v []string, kind string) error { d++; return nil }); err != nil || d != n {
		t.Errorf("%d delivered: %v", d, err)
	}
	run := &store.Run{ID: "r1", Status: "ok"}
	if err := h.Commit(run, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if run.StateWrites != n {
		t.Errorf("%d state writes for %d staged rows", run.StateWrites, n)
	}
	st, err := s.State("acme", "e")
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != n-1 || st[key(6)] != nil || st[key(10)][0] != "c" || st[key(5)][0] != "b2" || st[key(8)][0] != "a" {
		t.Errorf("state of %d records: %v %v %v %v", len(st), st[key(6)], st[key(10)], st[key(5)], st[key(8)])
	}
}

func TestSplitValues(t *testing.T) {
	vals := []string{"", "a", string(bytes.Repeat([]byte("x"), 300)), "é;\"\n"}
	enc := store.EncodeValues(vals)
	buf := make([][]byte, 0, 1)
	got, err := store.SplitValues(enc, buf)
	if err != nil || len(got) != len(vals) {
		t.Fatalf("%q %v", got, err)
	}
	for i := range vals {
		if string(got[i]) != vals[i] {
			t.Errorf("value %d: %q", i, got[i])
		}
	}
	if got, err := store.SplitValues(nil, got); err != nil || len(got) != 0 {
		t.Errorf("empty: %q %v", got, err)
	}
	for _, bad := range [][]byte{enc[:len(enc)-1], {0x80}, {5, 'a'}} {
		if _, err := store.SplitValues(bad, nil); err == nil {
			t.Errorf("%q split without error", bad)
		}
	}
}

// The raw walks hand the stored bytes: what EncodeValues wrote, of the state and of the stage.
func TestRawWalks(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	if err := h.Stage("e", []store.Staged{{Key: "a", Kind: store.Nieuw, Vals: []string{"1", "x"}}, {Key: "b", Kind: store.Nieuw, Vals: []string{"2"}}}); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(&store.Run{ID: "r1", Status: "ok"}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := h.EachStateRaw("e", func(k, raw []byte) error {
		got = append(got, fmt.Sprintf("%s=%x", k, raw))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("a=%x b=%x", store.EncodeValues([]string{"1", "x"}), store.EncodeValues([]string{"2"})); fmt.Sprint(got) != "["+want+"]" {
		t.Errorf("state raw %v, want %s", got, want)
	}
	if err := h.Stage("e", []store.Staged{{Key: "b", Kind: store.Verwijderd, Vals: []string{"2"}}, {Key: "c", Kind: store.Nieuw, Vals: []string{"3"}}}); err != nil {
		t.Fatal(err)
	}
	got = nil
	if err := h.EachDeliveredRaw("e", func(k, raw []byte, kind string) error {
		got = append(got, fmt.Sprintf("%s:%s=%x", kind, k, raw))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("[:a=%x Verwijderd:b=%x Nieuw:c=%x]", store.EncodeValues([]string{"1", "x"}), store.EncodeValues([]string{"2"}), store.EncodeValues([]string{"3"}))
	if fmt.Sprint(got) != want {
		t.Errorf("delivered raw %v, want %s", got, want)
	}
	got = nil
	if err := h.EachStagedRaw("e", func(k, raw []byte, kind string) error {
		got = append(got, fmt.Sprintf("%s:%s=%x", kind, k, raw))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want = fmt.Sprintf("[Verwijderd:b=%x Nieuw:c=%x]", store.EncodeValues([]string{"2"}), store.EncodeValues([]string{"3"}))
	if fmt.Sprint(got) != want {
		t.Errorf("staged raw %v, want %s", got, want)
	}
}

// The commit counts the staged rows from a whole walk of them before it (the files'), unless
// something was staged since or the walk stopped.
func TestCommitCountsStagedRows(t *testing.T) {
	for _, c := range []struct {
		name string
		walk func(h *store.Session) error
		more bool // stage another row after the walk
		want int
	}{
		{"delivered walk", func(h *store.Session) error {
			return h.EachDeliveredRaw("e", func([]byte, []byte, string) error { return nil })
		}, false, store.StageRun + 3},
		{"staged walk", func(h *store.Session) error {
			return h.EachStagedRaw("e", func([]byte, []byte, string) error { return nil })
		}, false, store.StageRun + 3},
		{"staged after the walk", func(h *store.Session) error {
			return h.EachDeliveredRaw("e", func([]byte, []byte, string) error { return nil })
		}, true, store.StageRun + 4},
		{"a walk stopped", func(h *store.Session) error {
			_ = h.EachStagedRaw("e", func([]byte, []byte, string) error { return errors.New("stop") })
			_ = h.EachDeliveredRaw("e", func([]byte, []byte, string) error { return errors.New("stop") })
			return nil
		}, false, store.StageRun + 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newStore(t)
			h := hold(t, s, "acme")
			stage := func(rows ...store.Staged) {
				t.Helper()
				if err := h.Stage("e", rows); err != nil {
					t.Fatal(err)
				}
			}
			// Run 1 is full, so "b" staged again goes into run 2: a key in two runs.
			rows := make([]store.Staged, 0, store.StageRun+2)
			for i := 0; i < store.StageRun; i++ {
				rows = append(rows, store.Staged{Key: fmt.Sprintf("x%05d", i), Kind: store.Nieuw, Vals: []string{"x"}})
			}
			stage(append(rows, store.Staged{Key: "a", Kind: store.Nieuw, Vals: []string{"1"}}, store.Staged{Key: "b", Kind: store.Nieuw, Vals: []string{"2"}})...)
			stage(store.Staged{Key: "b", Kind: store.Nieuw, Vals: []string{"3"}}, store.Staged{Key: "c", Kind: store.Nieuw, Vals: []string{"4"}})
			if err := c.walk(h); err != nil {
				t.Fatal(err)
			}
			if c.more {
				stage(store.Staged{Key: "d", Kind: store.Nieuw, Vals: []string{"5"}})
			}
			run := &store.Run{ID: "r1", Status: "ok"}
			if err := h.Commit(run, nil, nil, nil, nil); err != nil {
				t.Fatal(err)
			}
			if run.StateWrites != c.want {
				t.Errorf("%d state writes, want %d", run.StateWrites, c.want)
			}
			if got := stateOf(t, s, "acme", "e"); !strings.HasPrefix(got, "a=1 b=3 c=4") {
				t.Errorf("state %.40s", got)
			}
		})
	}
}

// GetMany finds what Get finds, for keys in order, out of order, repeated, missing, before the
// first and after the last, over a state of many blocks, and hands them on in the keys' order.
func TestGetManyAnyOrder(t *testing.T) {
	s, _ := newStore(t)
	h := hold(t, s, "acme")
	var rows []store.Staged
	pad := strings.Repeat("p", 500) // about 30 records a block
	for i := 10; i < 900; i += 2 {
		rows = append(rows, store.Staged{Key: fmt.Sprintf("k%03d", i), Kind: store.Nieuw, Vals: []string{fmt.Sprint(i), pad}})
	}
	if err := h.Stage("e", rows); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(&store.Run{ID: "r1", Status: "ok"}, nil, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	sorted := func() []string {
		var keys []string
		for i := 0; i < 1000; i++ { // in order, every other one missing, past both ends
			keys = append(keys, fmt.Sprintf("k%03d", i))
		}
		return keys
	}
	unsorted := append(sorted(), "k500", "k500", "k501", "k012", "a", "k888", "z", "k889", "k010", "k011", "k013", "k014")
	for i := 0; i < 600; i++ {
		unsorted = append(unsorted, fmt.Sprintf("k%03d", (i*377)%1000))
	}
	for _, keys := range [][]string{sorted(), unsorted} {
		got := make([]string, len(keys))
		next := 0
		err := h.GetMany("e", keys, func(i int, raw []byte) error {
			if i != next {
				return fmt.Errorf("key %d handed on after key %d", i, next-1)
			}
			next++
			got[i] = "-"
			if raw != nil {
				vals, err := store.DecodeValues(raw)
				if err != nil {
					return err
				}
				got[i] = vals[0]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for i, k := range keys {
			if n, err := strconv.Atoi(strings.TrimPrefix(k, "k")); err == nil && n >= 10 && n < 900 && n%2 == 0 {
				found++
				if got[i] != fmt.Sprint(n) {
					t.Errorf("key %s: %s", k, got[i])
				}
			}
			want := "-"
			if vals, ok, err := h.Get("e", k); err != nil {
				t.Fatal(err)
			} else if ok {
				want = vals[0]
			}
			if got[i] != want {
				t.Errorf("key %d %s: %s, want %s", i, k, got[i], want)
			}
		}
		if found < len(rows) {
			t.Errorf("%d keys of the state looked up, want at least %d", found, len(rows))
		}
	}
}
