package store

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// A stage an earlier version wrote (an entity's rows in its bucket, without runs) reads as one
// run: a commit of it that a killed process left is completed by this version.
func TestStageWithoutRunsReadsAsOneRun(t *testing.T) {
	st, err := openStage(filepath.Join(t.TempDir(), "old.stage"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	err = st.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("e"))
		if err != nil {
			return err
		}
		for _, k := range []string{"c", "a", "b"} {
			if err := b.Put([]byte(k), append([]byte{'N'}, EncodeValues([]string{k + "1"})...)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = st.view(func(tx *bolt.Tx) error {
		rows := newStagedRows(tx.Bucket([]byte("e")))
		for _, after := range []string{"", "a"} {
			var a []byte
			if after != "" {
				a = []byte(after)
			}
			rows.seek(a)
			for k, v := rows.next(); k != nil; k, v = rows.next() {
				kind, vals, err := decodeStaged(v)
				if err != nil {
					return err
				}
				got = append(got, fmt.Sprintf("%s:%s=%s", kind, k, vals[0]))
			}
			got = append(got, "|")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, " "); s != "Nieuw:a=a1 Nieuw:b=b1 Nieuw:c=c1 | Nieuw:b=b1 Nieuw:c=c1 |" {
		t.Errorf("walk %s", s)
	}
}

// Resuming after a key (an interrupted apply) goes on in every run after it.
func TestStagedRunsSeekAfter(t *testing.T) {
	st, err := openStage(filepath.Join(t.TempDir(), "runs.stage"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	runs := [][]string{{"a", "c", "e", "g"}, {"b", "c", "f"}, {"d"}}
	err = st.update(func(tx *bolt.Tx) error {
		eb, err := tx.CreateBucket([]byte("e"))
		if err != nil {
			return err
		}
		for i, keys := range runs {
			b, err := eb.CreateBucket(seqKey(uint64(i + 1)))
			if err != nil {
				return err
			}
			for _, k := range keys {
				if err := b.Put([]byte(k), []byte{'N', '0' + byte(i)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	walk := func(after string) string {
		var got []string
		err := st.view(func(tx *bolt.Tx) error {
			rows := newStagedRows(tx.Bucket([]byte("e")))
			var a []byte
			if after != "" {
				a = []byte(after)
			}
			rows.seek(a)
			for k, v := rows.next(); k != nil; k, v = rows.next() {
				got = append(got, string(k)+string(v[1:]))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(got, " ")
	}
	for after, want := range map[string]string{
		"":   "a0 b1 c1 d2 e0 f1 g0",
		"c":  "d2 e0 f1 g0",
		"cc": "d2 e0 f1 g0",
		"b":  "c1 d2 e0 f1 g0",
		"g":  "",
	} {
		if got := walk(after); got != want {
			t.Errorf("after %q: %s, want %s", after, got, want)
		}
	}
}

// The merge of any number of runs, with keys in several runs, is every key once in order with
// its newest row.
func TestStagedRunsMergeAnyNumber(t *testing.T) {
	st, err := openStage(filepath.Join(t.TempDir(), "many.stage"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	for k := 1; k <= 9; k++ {
		ent := []byte(fmt.Sprintf("e%d", k))
		want := map[string]string{}
		err := st.update(func(tx *bolt.Tx) error {
			eb, err := tx.CreateBucket(ent)
			if err != nil {
				return err
			}
			for run := 0; run < k; run++ {
				b, err := eb.CreateBucket(seqKey(uint64(run + 1)))
				if err != nil {
					return err
				}
				for i := 0; i < 40; i++ {
					key := fmt.Sprintf("%03d", (i*(run+3)+run*7)%97)
					if err := b.Put([]byte(key), []byte(fmt.Sprintf("N%d", run))); err != nil {
						return err
					}
					want[key] = fmt.Sprintf("%d", run) // later runs replace
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.view(func(tx *bolt.Tx) error {
			rows := newStagedRows(tx.Bucket(ent))
			rows.seek(nil)
			n, prev := 0, ""
			for key, v := rows.next(); key != nil; key, v = rows.next() {
				if string(key) <= prev {
					t.Errorf("%d runs: %s after %s", k, key, prev)
				}
				if want[string(key)] != string(v[1:]) {
					t.Errorf("%d runs: %s from run %s, want %s", k, key, v[1:], want[string(key)])
				}
				prev = string(key)
				n++
			}
			if n != len(want) {
				t.Errorf("%d runs: %d keys, want %d", k, n, len(want))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Block runs (a Stage call of blockMin rows or more) merge with rows-per-key runs as any run
// does: every key once, in order, with its newest row, also when a walk resumes after a key
// that ends a block, sits inside one or is not staged at all.
func TestBlockRunsMergeAndSeek(t *testing.T) {
	st, err := openStage(filepath.Join(t.TempDir(), "blocks.stage"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.db.Close()
	want := map[string]string{}
	var blockEnds []string
	err = st.update(func(tx *bolt.Tx) error {
		eb, err := tx.CreateBucket([]byte("e"))
		if err != nil {
			return err
		}
		pad := strings.Repeat("x", 90)
		block := func(seq uint64, step int) error {
			b, err := eb.CreateBucket(blockRunKey(seq))
			if err != nil {
				return err
			}
			w := &blockWriter{b: b}
			for i := 0; i < 400; i++ {
				key := fmt.Sprintf("k%04d", i*step)
				val := fmt.Sprintf("%d%s", seq, pad)
				if err := w.add(key, 'N', []string{val}); err != nil {
					return err
				}
				want[key] = val
			}
			if err := w.flush(); err != nil {
				return err
			}
			return b.ForEach(func(k, _ []byte) error { blockEnds = append(blockEnds, string(k)); return nil })
		}
		if err := block(1, 3); err != nil {
			return err
		}
		rows, err := eb.CreateBucket(seqKey(2))
		if err != nil {
			return err
		}
		for i := 0; i < 50; i++ {
			key := fmt.Sprintf("k%04d", i*7)
			if err := rows.Put([]byte(key), append([]byte{'G'}, EncodeValues([]string{"2"})...)); err != nil {
				return err
			}
			want[key] = "2"
		}
		return block(3, 5)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(blockEnds) < 6 {
		t.Fatalf("%d blocks in two runs of 400 rows, want several each", len(blockEnds))
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	walk := func(after []byte) (got []string) {
		err := st.view(func(tx *bolt.Tx) error {
			rows := newStagedRows(tx.Bucket([]byte("e")))
			rows.seek(after)
			for k, v := rows.next(); k != nil; k, v = rows.next() {
				_, vals, err := decodeStaged(v)
				if err != nil {
					return fmt.Errorf("%s: %w", k, err)
				}
				got = append(got, string(k)+"="+vals[0])
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	expect := func(after string) (out []string) {
		for _, k := range keys {
			if k > after {
				out = append(out, k+"="+want[k])
			}
		}
		return out
	}
	if got, exp := walk(nil), expect(""); !slices.Equal(got, exp) {
		t.Fatalf("whole walk: %d rows, want %d\n%v", len(got), len(exp), got)
	}
	afters := append([]string{"", "a", "k0000", "k0001", "k0600", "k9999", "z"}, blockEnds...)
	for _, e := range blockEnds {
		afters = append(afters, e+"0", e[:len(e)-1]) // just after, and before, a block's last key
	}
	for _, after := range afters {
		if got, exp := walk([]byte(after)), expect(after); !slices.Equal(got, exp) {
			t.Errorf("after %q: %d rows, want %d", after, len(got), len(exp))
		}
	}
}

// A block that does not unpack reads as a corrupt staged row, not as the end of the stage.
func TestCorruptBlockIsReported(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h, err := s.Hold("p")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	rows := make([]Staged, blockMin)
	for i := range rows {
		rows[i] = Staged{Key: fmt.Sprintf("k%04d", i), Vals: []string{"v"}, Kind: Nieuw}
	}
	if err := h.Stage("e", rows); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := h.EachStagedRaw("e", func(_, _ []byte, _ string) error { n++; return nil }); err != nil || n != blockMin {
		t.Fatalf("before: %d rows, %v", n, err)
	}
	err = h.stage.update(func(tx *bolt.Tx) error {
		run := tx.Bucket([]byte("e")).Bucket(blockRunKey(1))
		if run == nil {
			return fmt.Errorf("no block run 1")
		}
		k, v := run.Cursor().First()
		return run.Put(k, v[:len(v)-3]) // the last row cut short
	})
	if err != nil {
		t.Fatal(err)
	}
	err = h.EachStagedRaw("e", func(_, _ []byte, _ string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "corrupt staged row") {
		t.Errorf("walk of a cut block: %v, want a corrupt staged row", err)
	}
}
