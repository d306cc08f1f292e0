package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The stage file keeps, per entity, one bucket of runs: every Stage call writes its rows sorted
// into a run of its own (a sub-bucket named by a sequence number) or, while the newest run is
// small, into that one. A run is written append-only into fresh pages, where staging into one
// bucket in AFAS's order rewrote pages across the whole bucket in every call. Readers merge the
// runs in key order; of a key staged more than once the newest row wins.
//
// A Stage call of blockMin rows or more writes a block run (its name ends in blockSuffix): its
// rows packed in order into blocks of about blockBytes, each stored under its last key, so a
// run of 4,096 rows costs bbolt a few dozen puts instead of one per row. Smaller calls, and
// stages written by earlier versions, keep a bbolt key per row; readers take both.

// stageRun is the size a run may grow to by later Stage calls; a run this size is left as it is.
const stageRun = 4096

const (
	blockMin    = 256
	blockBytes  = 16 << 10
	blockSuffix = 'b'
)

// runCursor walks one run in key order: a bbolt cursor over its rows, or over its blocks and
// the rows packed in the current one.
type runCursor struct {
	c      *bolt.Cursor
	blocks bool
	block  []byte // the rows of the current block not yet returned
	last   []byte // the current block's key: its last row's
	done   bool   // no block after the current one
}

// first returns the run's first row.
func (r *runCursor) first() (key, val []byte) {
	k, v := r.c.First()
	if !r.blocks {
		return k, v
	}
	r.block, r.last, r.done = v, k, k == nil
	return r.take()
}

// after returns the run's first row with a key after after.
func (r *runCursor) after(after []byte) (key, val []byte) {
	if key, val = r.at(after); val != nil && bytes.Equal(key, after) {
		return r.next()
	}
	return key, val
}

// at returns the run's first row with a key at or after key.
func (r *runCursor) at(key []byte) (k, val []byte) {
	k, v := r.c.Seek(key)
	if !r.blocks {
		return k, v
	}
	// The block stored under the first last key at or after key holds that row.
	r.block, r.last, r.done = v, k, k == nil
	for k, val = r.take(); val != nil && bytes.Compare(k, key) < 0; k, val = r.take() {
	}
	return k, val
}

// within returns, when key is after the row last returned but not after the current block's
// last key, the first row at or after key, read on from there (ok): a lookup in key order then
// reads each block once instead of seeking into it for every key. Not so, ok is false.
func (r *runCursor) within(key string) (k, val []byte, ok bool) {
	if !r.blocks || len(r.block) == 0 || key > string(r.last) {
		return nil, nil, false
	}
	for k, val = r.take(); val != nil && string(k) < key; k, val = r.take() {
	}
	return k, val, true
}

// next returns the run's next row.
func (r *runCursor) next() (key, val []byte) {
	if !r.blocks {
		return r.c.Next()
	}
	return r.take()
}

// take unpacks the next row of the current block, going on to the next block once it is used
// up. A block that does not unpack ends the run with a nil value, which every reader reports
// as a corrupt staged row.
func (r *runCursor) take() (key, val []byte) {
	for len(r.block) == 0 {
		if r.done {
			return nil, nil
		}
		if r.last, r.block = r.c.Next(); r.last == nil {
			r.done = true
			return nil, nil
		}
	}
	key, rest, ok := unpackField(r.block)
	if ok {
		val, rest, ok = unpackField(rest)
	}
	if !ok {
		r.block, r.done = nil, true
		if key == nil {
			key = []byte{}
		}
		return key, nil
	}
	r.block = rest
	return key, val
}

// unpackField reads one length-prefixed field of a block.
func unpackField(b []byte) (field, rest []byte, ok bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return nil, nil, false
	}
	return b[w : w+int(n)], b[w+int(n):], true
}

// stagedRows walks an entity's staged rows in key order, merging its runs through a tree of
// losers (one comparison per level for each row, half of what a heap needs). Its keys and
// values are valid for the life of the transaction.
type stagedRows struct {
	curs []runCursor
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
		s.curs = append(s.curs, runCursor{c: c})
		return s
	}
	for ; k != nil; k, v = c.Next() {
		if v != nil {
			continue
		}
		if run := b.Bucket(k); run != nil {
			s.curs = append(s.curs, runCursor{c: run.Cursor(), blocks: isBlockRun(k)})
		}
	}
	return s
}

// seek positions the walk at the first key after after (nil: at the first key).
func (s *stagedRows) seek(after []byte) {
	k := len(s.curs)
	s.keys = make([][]byte, k)
	s.vals = make([][]byte, k)
	for i := range s.curs {
		var key, v []byte
		if after == nil {
			key, v = s.curs[i].first()
		} else {
			key, v = s.curs[i].after(after)
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
		s.keys[w], s.vals[w] = s.curs[w].next()
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

// isBlockRun tells a block run's name (a sequence number and blockSuffix: 9 bytes) from a run
// of a bbolt key per row (the sequence number only).
func isBlockRun(name []byte) bool { return len(name) == 9 }

// blockRunKey names block run seq.
func blockRunKey(seq uint64) []byte { return append(seqKey(seq), blockSuffix) }

// blockWriter packs a run's rows, given in key order, into blocks.
type blockWriter struct {
	b     *bolt.Bucket
	block []byte
	// last and lastLen place the last key packed in block: the block is stored under it.
	last, lastLen int
}

// add packs a row: its key, then its kind code and encoded values. The room is made first, so
// w.block is only resliced from 0 (which the compiler writes as its length alone): a slice
// stored anew for every row would cost a write barrier each while the collector marks.
func (w *blockWriter) add(key string, code byte, vals []string) error {
	vlen := 1 + encodedLen(vals)
	need := 2*binary.MaxVarintLen64 + len(key) + vlen
	if w.block == nil {
		w.block = make([]byte, 0, max(blockBytes+blockBytes/4, need))
	}
	n := len(w.block)
	if cap(w.block)-n < need {
		w.block = slices.Grow(w.block, need)
	}
	b := binary.AppendUvarint(w.block[n:n:cap(w.block)], uint64(len(key)))
	w.last, w.lastLen = n+len(b), len(key)
	b = append(binary.AppendUvarint(append(b, key...), uint64(vlen)), code)
	b = AppendValues(b, vals)
	w.block = w.block[:n+len(b)]
	if len(w.block) >= blockBytes {
		return w.flush()
	}
	return nil
}

// flush stores the block being packed under its last key. bbolt keeps the value until the
// transaction commits, so the next block starts in a buffer of its own.
func (w *blockWriter) flush() error {
	if len(w.block) == 0 {
		return nil
	}
	err := w.b.Put(w.block[w.last:w.last+w.lastLen], w.block) // Put copies the key
	w.block = nil
	return err
}
