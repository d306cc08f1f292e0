package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The stage file keeps, per entity, one bucket of runs: every Stage call writes its rows sorted
// into a run of its own (a sub-bucket named by a sequence number) or, while the newest run is
// small, into that one. A run is written append-only into fresh pages, where staging into one
// bucket in AFAS's order rewrote pages across the whole bucket in every call. Readers merge the
// runs in key order; of a key staged more than once the newest row wins.

// stageRun is the size a run may grow to by later Stage calls; a run this size is left as it is.
const stageRun = 4096

// stagedRows walks an entity's staged rows in key order, merging its runs through a tree of
// losers (one comparison per level for each row, half of what a heap needs). Its keys and
// values are valid for the life of the transaction.
type stagedRows struct {
	curs []*bolt.Cursor
	keys [][]byte // each run's current key, nil when the run is done
	vals [][]byte
	tree []int // tree[0] the run with the next row; tree[1:] the losers of the matches
}

// newStagedRows opens the runs of an entity's stage bucket (nil: nothing staged). A bucket of
// rows without runs (a stage an earlier version wrote) is one run.
func newStagedRows(b *bolt.Bucket) *stagedRows {
	s := &stagedRows{}
	if b == nil {
		return s
	}
	c := b.Cursor()
	k, v := c.First()
	if k != nil && v != nil {
		s.curs = append(s.curs, c)
		return s
	}
	for ; k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		if run := b.Bucket(k); run != nil {
			s.curs = append(s.curs, run.Cursor())
		}
	}
	return s
}

// seek positions the walk at the first key after after (nil: at the first key).
func (s *stagedRows) seek(after []byte) {
	k := len(s.curs)
	s.keys = make([][]byte, k)
	s.vals = make([][]byte, k)
	for i, c := range s.curs {
		var key, v []byte
		if after == nil {
			key, v = c.First()
		} else if key, v = c.Seek(after); key != nil && bytes.Equal(key, after) {
			key, v = c.Next()
		}
		s.keys[i], s.vals[i] = key, v
	}
	// Every match starts lost by a virtual run k that beats any; each run's climb replaces it.
	s.tree = make([]int, max(k, 1))
	for i := range s.tree {
		s.tree[i] = k
	}
	for i := k - 1; i >= 0; i-- {
		s.climb(i)
	}
}

// climb plays run i's way up from its leaf after its row changed: at each match the winner goes
// on, the loser stays.
func (s *stagedRows) climb(i int) {
	k := len(s.curs)
	for t := (i + k) / 2; t > 0; t /= 2 {
		if s.beats(s.tree[t], i) {
			s.tree[t], i = i, s.tree[t]
		}
	}
	s.tree[0] = i
}

// beats tells whether run a's row comes before run b's: the virtual run k before any, a done
// run after any, and of two rows of a key the newer run's first.
func (s *stagedRows) beats(a, b int) bool {
	k := len(s.curs)
	switch {
	case a == k:
		return true
	case b == k:
		return false
	case s.keys[a] == nil:
		return false
	case s.keys[b] == nil:
		return true
	}
	if c := bytes.Compare(s.keys[a], s.keys[b]); c != 0 {
		return c < 0
	}
	return a > b
}

// next returns the next key and its newest row, nil after the last.
func (s *stagedRows) next() (key, val []byte) {
	if len(s.curs) == 0 {
		return nil, nil
	}
	w := s.tree[0]
	if s.keys[w] == nil {
		return nil, nil
	}
	key, val = s.keys[w], s.vals[w]
	// Advance every run at this key: the winner first, then the older rows of the key.
	for {
		s.keys[w], s.vals[w] = s.curs[w].Next()
		s.climb(w)
		if w = s.tree[0]; s.keys[w] == nil || !bytes.Equal(s.keys[w], key) {
			return key, val
		}
	}
}

// peek returns the next key without moving on (nil after the last).
func (s *stagedRows) peek() []byte {
	if len(s.curs) == 0 {
		return nil
	}
	return s.keys[s.tree[0]]
}

// copyBatch hands row the staged rows from the walk's position on, one transaction's worth
// (applyBatch rows or applyBytes bytes), and returns the last key it handed and whether the
// walk is done. Used by the apply and by Prepare.
func (s *stagedRows) copyBatch(row func(k, v []byte) error) (last []byte, done bool, err error) {
	k, v := s.next()
	for n, size := 0, 0; k != nil && n < applyBatch && size < applyBytes; k, v = s.next() {
		if len(v) == 0 {
			return nil, false, fmt.Errorf("corrupt staged row %q", k)
		}
		if err := row(k, v); err != nil {
			return nil, false, err
		}
		last = k
		n++
		size += len(k) + len(v)
	}
	return last, k == nil, nil
}
