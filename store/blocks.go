package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// An entity's delivered state (and the shadow a first run builds it in) is stored in one of two
// forms. Versions before this one wrote a bbolt key per record. A bucket whose sequence number
// is stateBlocks holds its records in blocks instead: packed in key order into blocks of
// stateBlockBytes to 2×stateBlockBytes, each stored under its last key, the form of the stage's
// block runs (staged.go) without the kind code. A first run's 224,000 records then cost bbolt
// about 1,500 puts instead of 224,000, which was a fifth of a large first run's CPU. Every new bucket is
// made in blocks; one of records stays so, and readers take both (stateCursor). A writer hands
// its puts and deletes in key order to putState, which merges them into the blocks they fall
// in: a later run rewrites the blocks its changes touch and nothing else. An entry's value is
// what EncodeValues wrote.
const stateBlocks = 1

// stateBlockBytes is the size a block of the state is packed to, and splits at twice of: the
// stage's block size. Blocks of a page (4 KiB) made lookups out of key order no faster and a
// first run's commit and a later run's apply slower (store benchmarks).
const stateBlockBytes = blockBytes

// errCorruptBlock is a block of the state that does not unpack.
var errCorruptBlock = errors.New("corrupt block of the state")

// inBlocks tells whether a state bucket holds blocks.
func inBlocks(b *bolt.Bucket) bool { return b.Sequence() == stateBlocks }

// stateCursor walks a state bucket in key order, in either form. A key with a nil value is a
// block that does not unpack (errCorruptBlock).
func stateCursor(b *bolt.Bucket) *runCursor {
	return &runCursor{c: b.Cursor(), blocks: inBlocks(b)}
}

// newStateBucket returns entity's state bucket under parent, made in blocks when missing; an
// empty bucket of records (an earlier version's) becomes one in blocks.
func newStateBucket(parent *bolt.Bucket, entity []byte) (*bolt.Bucket, error) {
	eb, err := parent.CreateBucketIfNotExists(entity)
	if err != nil {
		return nil, err
	}
	if !inBlocks(eb) {
		if k, _ := eb.Cursor().First(); k == nil {
			if err := eb.SetSequence(stateBlocks); err != nil {
				return nil, err
			}
		}
	}
	return eb, nil
}

// edit is a put of a record, its values encoded (val) or to encode (vals, with enc), or a delete.
type edit struct {
	key, val []byte
	vals     []string
	enc, del bool
}

// value returns an edit's encoded values (encoding them when they are not yet).
func (e *edit) value() []byte {
	if e.enc {
		return EncodeValues(e.vals)
	}
	return e.val
}

// putState applies edits, in strictly ascending key order, to a state bucket, and returns how
// many records it added and removed. The values must stay valid until the transaction commits.
func putState(b *bolt.Bucket, edits []edit) (added, removed int, err error) {
	if !inBlocks(b) {
		for _, e := range edits {
			had := b.Get(e.key) != nil
			if e.del {
				if had {
					removed++
				}
				err = b.Delete(e.key)
			} else {
				if !had {
					added++
				}
				err = b.Put(e.key, e.value())
			}
			if err != nil {
				return added, removed, err
			}
		}
		return added, removed, nil
	}
	for len(edits) > 0 {
		// The block an edit falls in is the first whose last key is not before it; after the
		// last block, the last (a bucket's first block, when it is empty).
		c := b.Cursor()
		last, block := c.Seek(edits[0].key)
		n := len(edits)
		if last == nil {
			last, block = c.Last()
		} else {
			n = 1
			for n < len(edits) && bytes.Compare(edits[n].key, last) <= 0 {
				n++
			}
		}
		a, r, err := mergeBlock(b, last, block, edits[:n])
		added, removed = added+a, removed+r
		if err != nil {
			return added, removed, err
		}
		edits = edits[n:]
	}
	return added, removed, nil
}

// mergeBlock rewrites the block stored under last (none when last is nil) with edits merged
// in, as one block or, past 2×stateBlockBytes, several of about stateBlockBytes.
func mergeBlock(b *bolt.Bucket, last, block []byte, edits []edit) (added, removed int, err error) {
	size := len(block)
	for i := range edits {
		e := &edits[i]
		size += len(e.key) + len(e.val) + 2*binary.MaxVarintLen32
		if e.enc {
			size += encodedLen(e.vals)
		}
	}
	out := make([]byte, 0, size)           // bbolt keeps the values until the commit: a buffer per merge
	ends := make([]int, 0, len(edits))     // where each entry of out ends
	keyAt := make([][2]int, 0, len(edits)) // where each entry's key is in out
	put := func(k, v []byte, e *edit) {
		out = binary.AppendUvarint(out, uint64(len(k)))
		at := len(out)
		out = append(out, k...)
		if e != nil && e.enc { // encoded in place: no copy of its own
			out = AppendValues(binary.AppendUvarint(out, uint64(encodedLen(e.vals))), e.vals)
		} else {
			out = append(binary.AppendUvarint(out, uint64(len(v))), v...)
		}
		ends = append(ends, len(out))
		keyAt = append(keyAt, [2]int{at, at + len(k)})
	}
	rest := block
	var k, v []byte
	next := func() bool {
		if len(rest) == 0 {
			k = nil
			return true
		}
		var ok bool
		if k, rest, ok = unpackField(rest); ok {
			v, rest, ok = unpackField(rest)
		}
		return ok
	}
	if !next() {
		return 0, 0, fmt.Errorf("%q: %w", last, errCorruptBlock)
	}
	for i := range edits {
		e := &edits[i]
		for k != nil && bytes.Compare(k, e.key) < 0 {
			put(k, v, nil)
			if !next() {
				return 0, 0, fmt.Errorf("%q: %w", last, errCorruptBlock)
			}
		}
		had := k != nil && bytes.Equal(k, e.key)
		if had && !next() {
			return 0, 0, fmt.Errorf("%q: %w", last, errCorruptBlock)
		}
		switch {
		case !e.del:
			put(e.key, e.val, e)
			if !had {
				added++
			}
		case had:
			removed++
		}
	}
	for k != nil {
		put(k, v, nil)
		if !next() {
			return 0, 0, fmt.Errorf("%q: %w", last, errCorruptBlock)
		}
	}
	if last != nil {
		if err := b.Delete(last); err != nil {
			return 0, 0, err
		}
	}
	// As many blocks as stateBlockBytes fit in the whole, of about equal size: block n ends with
	// the first record that reaches n parts of the whole (the last block with the last record).
	parts := max(1, len(out)/stateBlockBytes)
	start, n := 0, 1
	for i, end := range ends {
		if end < n*len(out)/parts {
			continue
		}
		key := out[keyAt[i][0]:keyAt[i][1]]
		if err := b.Put(key, out[start:end:end]); err != nil {
			return 0, 0, err
		}
		start = end
		n++
	}
	return added, removed, nil
}

// countState counts the records of a state bucket.
func countState(b *bolt.Bucket) (int, error) {
	n := 0
	rc := stateCursor(b)
	for k, v := rc.first(); k != nil; k, v = rc.next() {
		if v == nil {
			return n, fmt.Errorf("%q: %w", k, errCorruptBlock)
		}
		n++
	}
	return n, nil
}
