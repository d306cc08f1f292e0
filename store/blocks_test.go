package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// blockDB is a bbolt file with one state bucket, "e", made as a run makes it.
func blockDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "blocks.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(func(tx *bolt.Tx) error {
		sb, err := tx.CreateBucket(bState)
		if err != nil {
			return err
		}
		_, err = newStateBucket(sb, []byte("e"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func stateOfE(tx *bolt.Tx) *bolt.Bucket { return tx.Bucket(bState).Bucket([]byte("e")) }

// apply puts (key=value) and deletes (key alone) in key order and returns what putState counted.
// Every second put hands its values to encode, as a first run's Stage does.
func apply(t *testing.T, db *bolt.DB, ops ...string) (added, removed int) {
	t.Helper()
	slices.SortFunc(ops, func(a, b string) int {
		ka, _, _ := strings.Cut(a, "=")
		kb, _, _ := strings.Cut(b, "=")
		return strings.Compare(ka, kb)
	})
	var edits []edit
	for i, op := range ops {
		k, v, put := strings.Cut(op, "=")
		switch {
		case put && i%2 == 1:
			edits = append(edits, edit{key: []byte(k), vals: []string{v}, enc: true})
		case put:
			edits = append(edits, edit{key: []byte(k), val: EncodeValues([]string{v})})
		default:
			edits = append(edits, edit{key: []byte(k), del: true})
		}
	}
	err := db.Update(func(tx *bolt.Tx) (err error) {
		added, removed, err = putState(stateOfE(tx), edits)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return added, removed
}

// records lists the state as key=value in the order read.
func records(t *testing.T, db *bolt.DB) string {
	t.Helper()
	var out []string
	err := db.View(func(tx *bolt.Tx) error {
		rc := stateCursor(stateOfE(tx))
		for k, v := rc.first(); k != nil; k, v = rc.next() {
			if v == nil {
				return errCorruptBlock
			}
			vals, err := DecodeValues(v)
			if err != nil {
				return err
			}
			out = append(out, string(k)+"="+strings.Join(vals, ","))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// blocks lists each block as its key and its size, and checks that it is stored under its
// last key.
func blocks(t *testing.T, db *bolt.DB) (keys []string, sizes []int) {
	t.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		return stateOfE(tx).ForEach(func(k, v []byte) error {
			var last []byte
			for rest := v; len(rest) > 0; {
				key, r, ok := unpackField(rest)
				if !ok {
					return errCorruptBlock
				}
				if _, rest, ok = unpackField(r); !ok {
					return errCorruptBlock
				}
				last = key
			}
			if !bytes.Equal(last, k) {
				return fmt.Errorf("block %q ends with %q", k, last)
			}
			keys, sizes = append(keys, string(k)), append(sizes, len(v))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys, sizes
}

func TestPutStateMergesIntoTheBlocksItTouches(t *testing.T) {
	db := blockDB(t)
	if a, r := apply(t, db, "c=3", "e=5"); a != 2 || r != 0 {
		t.Errorf("into an empty state: added %d, removed %d", a, r)
	}
	if a, r := apply(t, db, "a=1", "d=4", "f=6"); a != 3 || r != 0 { // before, between, after
		t.Errorf("added %d, removed %d", a, r)
	}
	if a, r := apply(t, db, "c=3b", "d", "x", "b=2"); a != 1 || r != 1 { // a change, a delete, a delete of nothing, a new
		t.Errorf("added %d, removed %d", a, r)
	}
	if got, want := records(t, db), "a=1 b=2 c=3b e=5 f=6"; got != want {
		t.Errorf("state %q, want %q", got, want)
	}
	if keys, _ := blocks(t, db); !slices.Equal(keys, []string{"f"}) {
		t.Errorf("blocks %q: a small state is one block", keys)
	}
	apply(t, db, "a", "b", "c", "e", "f")
	if keys, _ := blocks(t, db); len(keys) != 0 {
		t.Errorf("blocks %q left of an empty state", keys)
	}
}

// entries returns puts of n records whose entries in a block take 100 bytes each, keys k0000,
// k0002, … (every second number: room for records between them).
func entries(n int) []string {
	var ops []string
	for i := range n {
		k := fmt.Sprintf("k%04d", 2*i)
		ops = append(ops, k+"="+valueOfEntry(k, 100))
	}
	return ops
}

func TestPutStateSplitsABlockPastTwiceItsSize(t *testing.T) {
	db := blockDB(t)
	apply(t, db, entries(5*stateBlockBytes/200)...) // two and a half blocks: two of about equal size
	keys, sizes := blocks(t, db)
	if len(keys) != 2 || sizes[0] < stateBlockBytes || sizes[1] < stateBlockBytes || sizes[0]-sizes[1] > 100 || sizes[1]-sizes[0] > 100 {
		t.Fatalf("blocks %q of %v bytes, want two of about equal size", keys, sizes)
	}
	// A record more in the first block: it stays one block (below twice the size).
	apply(t, db, "k0001="+valueOfEntry("k0001", 100))
	keys2, sizes2 := blocks(t, db)
	if !slices.Equal(keys2, keys) || sizes2[0] != sizes[0]+100 || sizes2[1] != sizes[1] {
		t.Errorf("after one more: blocks %q of %v, before %q of %v", keys2, sizes2, keys, sizes)
	}
	// Two records of stateBlockBytes together are two blocks; a byte less, one.
	for _, c := range []struct {
		second, blocks int
	}{{stateBlockBytes, 2}, {stateBlockBytes - 1, 1}} {
		db := blockDB(t)
		apply(t, db, "a="+valueOfEntry("a", stateBlockBytes), "b="+valueOfEntry("b", c.second))
		if _, sizes := blocks(t, db); len(sizes) != c.blocks || sizes[0]+sizes[len(sizes)-1] != stateBlockBytes+c.second && c.blocks == 2 {
			t.Errorf("records of %d and %d bytes: blocks of %v, want %d", stateBlockBytes, c.second, sizes, c.blocks)
		}
	}
}

func TestPutStateSplitsAsManyBlocksAsTheSizeHolds(t *testing.T) {
	db := blockDB(t)
	apply(t, db, entries(2000)...)
	_, sizes := blocks(t, db)
	total := 0
	for _, s := range sizes {
		total += s
	}
	if total != 2000*100 || len(sizes) != total/stateBlockBytes {
		t.Fatalf("%d blocks for %d bytes, want %d", len(sizes), total, total/stateBlockBytes)
	}
	// Each a part of the whole, give or take a record.
	part := total / len(sizes)
	for i, s := range sizes {
		if s < part-100 || s > part+100 {
			t.Errorf("block %d of %d bytes, want about %d", i, s, part)
		}
	}
}

// A random series of edits against a map: the state reads back as the map after every batch,
// every key is found where it is and not where it is not, and the counts are the map's.
func TestPutStateAgreesWithAMap(t *testing.T) {
	db := blockDB(t)
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string]string{}
	for batch := range 60 {
		ops := map[string]string{}
		for range 1 + rng.IntN(300) {
			k := fmt.Sprintf("k%05d", rng.IntN(4000))
			if rng.IntN(4) == 0 {
				ops[k] = ""
			} else {
				ops[k] = fmt.Sprintf("%s-%d-%s", k, batch, strings.Repeat("z", rng.IntN(200)))
			}
		}
		var list []string
		wantAdded, wantRemoved := 0, 0
		for k, v := range ops {
			_, had := want[k]
			if v == "" {
				list = append(list, k)
				if had {
					wantRemoved++
				}
				delete(want, k)
			} else {
				list = append(list, k+"="+v)
				if !had {
					wantAdded++
				}
				want[k] = v
			}
		}
		if a, r := apply(t, db, list...); a != wantAdded || r != wantRemoved {
			t.Fatalf("batch %d: added %d, removed %d, want %d and %d", batch, a, r, wantAdded, wantRemoved)
		}
	}
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+want[k])
	}
	if got := records(t, db); got != strings.Join(parts, " ") {
		t.Fatalf("state differs from the map")
	}
	_, sizes := blocks(t, db)
	if len(sizes) < 10 {
		t.Errorf("%d blocks: the test should make many", len(sizes))
	}
	for i, s := range sizes {
		if s > 2*stateBlockBytes+300 {
			t.Errorf("block %d of %d bytes", i, s)
		}
	}
	// Every key is found by at, and a key between two is found as the next; the walk goes on
	// from there into the next block.
	err := db.View(func(tx *bolt.Tx) error {
		rc := stateCursor(stateOfE(tx))
		for i := range 4001 {
			k := fmt.Sprintf("k%05d", i)
			at := firstAt(keys, k)
			gotK, gotV := rc.at([]byte(k))
			switch {
			case at == len(keys) && gotK != nil:
				return fmt.Errorf("at(%s) = %q after the last key", k, gotK)
			case at < len(keys) && string(gotK) != keys[at]:
				return fmt.Errorf("at(%s) = %q, want %q", k, gotK, keys[at])
			case at < len(keys):
				if vals, err := DecodeValues(gotV); err != nil || vals[0] != want[keys[at]] {
					return fmt.Errorf("at(%s): values %q, %v", k, vals, err)
				}
				next, _ := rc.next()
				if at+1 < len(keys) && string(next) != keys[at+1] || at+1 == len(keys) && next != nil {
					return fmt.Errorf("after at(%s): next %q", k, next)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}

// valueOfEntry returns the value that makes key's entry in a block size bytes.
func valueOfEntry(key string, size int) string {
	for n := size; n > 0; n-- {
		v := strings.Repeat("x", n)
		enc := EncodeValues([]string{v})
		if len(binary.AppendUvarint(nil, uint64(len(key))))+len(key)+len(binary.AppendUvarint(nil, uint64(len(enc))))+len(enc) == size {
			return v
		}
	}
	panic("no value fits")
}

// firstAt returns the index of the first key at or after k.
func firstAt(keys []string, k string) int {
	i, _ := slices.BinarySearch(keys, k)
	return i
}

func TestPutStateKeepsAStateOfRecords(t *testing.T) {
	db := blockDB(t)
	// A state an earlier version wrote: a bbolt key per record.
	err := db.Update(func(tx *bolt.Tx) error {
		eb, err := tx.Bucket(bState).CreateBucket([]byte("old"))
		if err != nil {
			return err
		}
		for _, k := range []string{"a", "c"} {
			if err := eb.Put([]byte(k), EncodeValues([]string{k})); err != nil {
				return err
			}
		}
		// newStateBucket leaves it so, and makes an empty one into blocks.
		if eb, err = newStateBucket(tx.Bucket(bState), []byte("old")); err != nil || inBlocks(eb) {
			return fmt.Errorf("a state of records became blocks (%v)", err)
		}
		empty, err := tx.Bucket(bState).CreateBucket([]byte("empty"))
		if err != nil {
			return err
		}
		if empty, err = newStateBucket(tx.Bucket(bState), []byte("empty")); err != nil || !inBlocks(empty) {
			return fmt.Errorf("an empty state did not become blocks (%v)", err)
		}
		a, r, err := putState(eb, []edit{{key: []byte("a"), del: true}, {key: []byte("b"), vals: []string{"b"}, enc: true}, {key: []byte("c"), val: EncodeValues([]string{"c2"})}})
		if err != nil || a != 1 || r != 1 {
			return fmt.Errorf("added %d, removed %d, %v", a, r, err)
		}
		var got []string
		if err := eb.ForEach(func(k, v []byte) error { got = append(got, string(k)); return nil }); err != nil {
			return err
		}
		if !slices.Equal(got, []string{"b", "c"}) {
			return fmt.Errorf("records %q", got)
		}
		n, err := countState(eb)
		if err != nil || n != 2 {
			return fmt.Errorf("counted %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPutStateRefusesACorruptBlock(t *testing.T) {
	db := blockDB(t)
	apply(t, db, "a=1")
	if err := db.Update(func(tx *bolt.Tx) error { return stateOfE(tx).Put([]byte("m"), []byte{5, 'm'}) }); err != nil {
		t.Fatal(err)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		_, _, err := putState(stateOfE(tx), []edit{{key: []byte("l"), val: EncodeValues([]string{"x"})}})
		return err
	})
	if !errors.Is(err, errCorruptBlock) {
		t.Errorf("merge into a corrupt block: %v", err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		_, err := countState(stateOfE(tx))
		return err
	})
	if !errors.Is(err, errCorruptBlock) {
		t.Errorf("count of a corrupt state: %v", err)
	}
}
