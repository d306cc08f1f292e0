package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// The stage file keeps, per entity, one bucket of runs: every Stage call writes its rows sorted
// into a run of its own (a sub-bucket named by a sequence number) or, while the newest run is
// small, into that one. A run is written append-only into fresh pages, where staging into one
// bucket in AFAS's order rewrote pages across the whole bucket in every call. Readers merge the
// runs in key order; of a key staged more than once the newest row wins.

// stageRun is the size a run may grow to by later Stage calls; a run this size is left as it is.
const stageRun = 4096

// stagedRows walks an entity's staged rows in key order, merging its runs. Its keys and values
// are valid for the life of the transaction.
type stagedRows struct {
	curs []*bolt.Cursor
	keys [][]byte // each run's current key, nil when the run is done
	vals [][]byte
	heap []int // runs not done, a min-heap by (key, newest run first)
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
	s.keys = make([][]byte, len(s.curs))
	s.vals = make([][]byte, len(s.curs))
	s.heap = s.heap[:0]
	for i, c := range s.curs {
		var k, v []byte
		if after == nil {
			k, v = c.First()
		} else if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
			k, v = c.Next()
		}
		s.keys[i], s.vals[i] = k, v
		if k != nil {
			s.heap = append(s.heap, i)
		}
	}
	for i := len(s.heap)/2 - 1; i >= 0; i-- {
		s.down(i)
	}
}

// next returns the next key and its newest row, nil after the last.
func (s *stagedRows) next() (key, val []byte) {
	if len(s.heap) == 0 {
		return nil, nil
	}
	top := s.heap[0]
	key, val = s.keys[top], s.vals[top]
	// Advance every run at this key: the top first, then the older rows of the key.
	for len(s.heap) > 0 && bytes.Equal(s.keys[s.heap[0]], key) {
		i := s.heap[0]
		s.keys[i], s.vals[i] = s.curs[i].Next()
		if s.keys[i] == nil {
			last := len(s.heap) - 1
			s.heap[0] = s.heap[last]
			s.heap = s.heap[:last]
		}
		s.down(0)
	}
	return key, val
}

func (s *stagedRows) less(a, b int) bool {
	if c := bytes.Compare(s.keys[a], s.keys[b]); c != 0 {
		return c < 0
	}
	return a > b // the newer run first
}

func (s *stagedRows) down(i int) {
	h := s.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && s.less(h[r], h[l]) {
			m = r
		}
		if !s.less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
