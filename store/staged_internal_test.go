package store

import (
	"fmt"
	"path/filepath"
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
