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

// Prepare builds entity's state in advance when it has none stored. Call it once nothing more
// is staged for entity; it may run while other entities are staged and read.
func (h *Session) Prepare(entity string) error {
	h.mu.Lock()
	if err := h.usable(); err != nil {
		h.mu.Unlock()
		return err
	}
	st, gen := h.stage, h.stageGen[entity]
	h.mu.Unlock()
	if st == nil || gen == 0 {
		return nil // nothing staged
	}
	empty := true
	if err := h.h.view(func(tx *bolt.Tx) error {
		if eb := entityBucket(tx, entity); eb != nil {
			k, _ := eb.Cursor().First()
			empty = k == nil
		}
		return nil
	}); err != nil || !empty {
		return err
	}
	var after []byte
	for done := false; !done; {
		err := st.view(func(stx *bolt.Tx) error {
			staged := newStagedRows(stx.Bucket([]byte(entity)))
			staged.seek(after)
			var last []byte
			defer func() { after = bytes.Clone(last) }() // the stage's bytes, valid in its transaction only
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
				last, done, err = staged.copyBatch(func(k, v []byte) error {
					if v[0] == 'V' {
						return fmt.Errorf("staged row %q cannot be new", k)
					}
					return eb.Put(k, v[1:])
				})
				return err
			})
		})
		if err != nil {
			return fmt.Errorf("prepare the state of %s: %w", entity, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stage == st && h.stageGen[entity] == gen {
		if h.shadows == nil {
			h.shadows = map[string]int{}
		}
		h.shadows[entity] = gen
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
