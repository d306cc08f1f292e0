package store

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A run's commit applies what it staged to the state after the commit's own transaction: a
// copy of every staged row, which for a first run is every row. For an entity that had no state
// yet, Prepare builds the state after the run in the profile file ahead of the commit, in a
// bucket of its own under bShadow, while the run still works on other entities; the commit's
// transaction moves it into place, and the apply leaves the entity out. Anything but that commit
// drops the shadow: a failed or cancelled run (Discard, RecordRun, Close), a process killed
// before its commit (the next Hold), a later Stage of the entity (the commit).
var bShadow = []byte("shadow")

// prepared is how far an entity's state after the run is built ahead of the commit.
type prepared struct {
	stage   *handle // the stage it is copied from
	after   []byte  // the last key copied (nil: none yet)
	top     []byte  // the highest key staged so far
	inOrder bool    // every Stage of the entity came after the rows staged before
	state   int8    // whether the entity has state stored: 0 not known yet, 1 empty, -1 not
	copied  int     // the rows copied up to after
}

// notePrepared keeps, after a Stage of rows from first to last (in key order), whether the
// entity is still staged in key order. h.mu is held.
func (h *Session) notePrepared(entity string, st *handle, first, last string) {
	if h.prep == nil {
		h.prep = map[string]*prepared{}
	}
	p := h.prep[entity]
	if p == nil || p.stage != st {
		p = &prepared{stage: st, inOrder: true}
		h.prep[entity] = p
	}
	if p.top != nil && first <= string(p.top) {
		p.inOrder = false
	}
	p.top = []byte(last)
}

// PrepareSoFar builds what is staged of entity so far into its state after the run, while the
// run still stages it, when the entity has no state stored and every Stage of it came after the
// rows staged before (an entity compared in key order, as a first run reads most): Prepare then
// copies only the rest. For an entity staged out of order it does nothing; Prepare then copies
// all of it.
func (h *Session) PrepareSoFar(entity string) error {
	return h.prepare(entity, false)
}

// Prepare builds entity's state in advance when it has none stored. Call it once nothing more
// is staged for entity; it may run while other entities are staged and read.
func (h *Session) Prepare(entity string) error {
	return h.prepare(entity, true)
}

// prepare copies the staged rows of entity into its state after the run: from the last row
// copied while it is staged in order, from the first for a final copy otherwise.
func (h *Session) prepare(entity string, final bool) error {
	h.prepMu.Lock()
	defer h.prepMu.Unlock()
	h.mu.Lock()
	if err := h.usable(); err != nil {
		h.mu.Unlock()
		return err
	}
	st, gen, p := h.stage, h.stageGen[entity], h.prep[entity]
	var after []byte
	copied := 0
	inOrder := p != nil && p.stage == st && p.inOrder
	if inOrder {
		after = bytes.Clone(p.after) // the copy below moves it on row by row; p.after only once done
		copied = p.copied
	}
	h.mu.Unlock()
	if st == nil || gen == 0 || p == nil || p.stage != st || !final && !inOrder {
		return nil // nothing staged, or staged out of order: the final Prepare copies it all
	}
	if p.state == 0 {
		p.state = -1
		if err := h.h.view(func(tx *bolt.Tx) error {
			if eb := entityBucket(tx, entity); eb != nil {
				if k, _ := eb.Cursor().First(); k != nil {
					return nil
				}
			}
			p.state = 1
			return nil
		}); err != nil {
			p.state = 0
			return err
		}
	}
	if p.state < 0 {
		return nil
	}
	// After rows staged out of order a partial copy is gone over again from the first key: each
	// staged row is put once more, and the shadow holds no key the stage does not.
	for done := false; !done; {
		err := st.view(func(stx *bolt.Tx) error {
			staged := newStagedRows(stx.Bucket([]byte(entity)))
			staged.seek(after)
			if staged.peek() == nil {
				done = true // nothing new: no write (and no sync) of the profile file
				return nil
			}
			return h.h.update(func(tx *bolt.Tx) error {
				sh, err := bucket(tx, bShadow)
				if err != nil {
					return err
				}
				eb, err := sh.CreateBucketIfNotExists([]byte(entity))
				if err != nil {
					return err
				}
				eb.FillPercent = 1 // keys come in order into an empty bucket: full pages
				var last []byte
				last, done, err = staged.copyBatch(func(k, v []byte) error {
					if v[0] == 'V' {
						return fmt.Errorf("staged row %q cannot be new", k)
					}
					h.s.at("prepare")
					copied++
					return eb.Put(k, v[1:])
				})
				if last != nil {
					after = append(after[:0], last...) // the stage's bytes are valid in its transaction only
				}
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("prepare the state of %s: %w", entity, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stage != st {
		return nil
	}
	if inOrder {
		p.after, p.copied = after, copied
	}
	// The copy is the entity's state after the run as of gen: the commit moves it in unless the
	// entity was staged since. After the final copy it is every staged row (of a key staged twice,
	// one), so the commit need not walk the stage to count them (a file written as it streamed
	// did not walk it either).
	if h.shadows == nil {
		h.shadows = map[string]int{}
	}
	h.shadows[entity] = gen
	if final && h.counted != nil {
		h.counted[entity] = walkCount{gen, copied}
	}
	return nil
}

// moveShadows moves the prepared states into place inside the commit's transaction and returns
// the entities the apply leaves out; it drops whatever else was prepared. h.mu is held.
func (h *Session) moveShadows(tx *bolt.Tx) ([]string, error) {
	sh := tx.Bucket(bShadow)
	if sh == nil {
		return nil, nil
	}
	var moved []string
	for ent, gen := range h.shadows {
		if h.stageGen[ent] != gen || sh.Bucket([]byte(ent)) == nil {
			continue // staged again since: the apply copies it as usual
		}
		sb, err := bucket(tx, bState)
		if err != nil {
			return nil, err
		}
		if eb := sb.Bucket([]byte(ent)); eb != nil {
			if k, _ := eb.Cursor().First(); k != nil {
				continue // not empty after all: the apply copies it
			}
			if err := sb.DeleteBucket([]byte(ent)); err != nil {
				return nil, err
			}
		}
		if err := tx.MoveBucket([]byte(ent), sh, sb); err != nil {
			return nil, err
		}
		moved = append(moved, ent)
	}
	return moved, tx.DeleteBucket(bShadow)
}

// dropShadows removes prepared states that no commit will use (a profile file it is held for).
func dropShadows(ph *handle) error {
	found := false
	if err := ph.view(func(tx *bolt.Tx) error { found = tx.Bucket(bShadow) != nil; return nil }); err != nil || !found {
		return err
	}
	return ph.update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bShadow) })
}
