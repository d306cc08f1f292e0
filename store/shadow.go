package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// A run's commit applies what it staged to the state after the commit's own transaction: a
// copy of every staged row, which for a first run is every row. For an entity that had no state
// yet, that state after the run is built in the profile file ahead of the commit, in a bucket of
// its own under bShadow — by Stage itself (StageIntoState), or by a copy of the staged rows
// (Prepare) — while the run still works on other entities; the commit's
// transaction moves it into place, and the apply leaves the entity out. Anything but that commit
// drops the shadow: a failed or cancelled run (Discard, RecordRun, Close), a process killed
// before its commit (the next Hold), a later Stage of the entity (the commit).
var bShadow = []byte("shadow")

// prepared is how an entity's state after the run is built ahead of the commit.
type prepared struct {
	stage *handle // the stage it is copied from
	state int8    // whether the entity has state stored: 0 not known yet, 1 empty, -1 not
	// copied is, for an entity staged straight into its shadow, the keys in the shadow.
	copied int
	// direct is an entity staged straight into its shadow (StageIntoState): nothing of it is in
	// the stage file, and its staged rows are the shadow's, every one Nieuw.
	direct bool
}

// StageIntoState lets Stage write entity's rows straight into its state after the run while
// the entity has no state stored (a first run): each row is then written once, where staging
// it and copying it into place wrote it twice. Call it before the entity's first Stage, in a
// run meant to commit; anything but the commit drops that state as it drops the stage.
func (h *Session) StageIntoState(entity string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.intoState == nil {
		h.intoState = map[string]bool{}
	}
	h.intoState[entity] = true
}

// stageDirect decides, at a Stage of entity, whether its rows go straight into the shadow: the
// entity was let (StageIntoState), has no state stored, and every row staged of it so far and
// now is Nieuw. A row of another kind ends it: what the shadow holds moves into the stage
// (spill), and the entity is staged as any other from then on. stageMu is held.
func (h *Session) stageDirect(entity string, stage *handle, rows []Staged) (bool, error) {
	h.mu.Lock()
	p, let := h.prep[entity], h.intoState[entity]
	h.mu.Unlock()
	if !let {
		return false, nil
	}
	allNew := true
	for i := range rows {
		if rows[i].Kind != Nieuw {
			allNew = false
			break
		}
	}
	if p != nil && p.stage == stage {
		if p.direct && !allNew {
			return false, h.spill(entity, stage, p)
		}
		return p.direct, nil
	}
	if !allNew {
		return false, nil
	}
	if stored, err := hasState(h.h, entity); err != nil || stored {
		return false, err
	}
	h.mu.Lock()
	if h.prep == nil {
		h.prep = map[string]*prepared{}
	}
	h.prep[entity] = &prepared{stage: stage, state: 1, direct: true}
	h.mu.Unlock()
	return true, nil
}

// putDirect writes a Stage's rows, sorted by key (order), into entity's shadow. Of a key given
// more than once the last is kept; a key already in the shadow is replaced, and counted once.
func (h *Session) putDirect(entity string, rows []Staged, order []int) error {
	h.mu.Lock()
	p := h.prep[entity]
	h.mu.Unlock()
	copied := p.copied
	err := h.h.update(func(tx *bolt.Tx) error {
		eb, err := shadowBucket(tx, entity)
		if err != nil {
			return err
		}
		size := 0
		for _, r := range rows {
			size += len(r.Key)
		}
		// The keys as bytes, in one arena; the values are encoded straight into the blocks.
		keys := make([]byte, 0, size)
		edits := make([]edit, 0, len(order))
		for j, i := range order {
			r := &rows[i]
			if j+1 < len(order) && rows[order[j+1]].Key == r.Key {
				continue // a later row of the key in this call replaces it
			}
			start := len(keys)
			keys = append(keys, r.Key...)
			edits = append(edits, edit{key: keys[start:len(keys):len(keys)], vals: r.Vals, enc: true})
		}
		added, _, err := putState(eb, edits)
		copied += added
		return err
	})
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	p.copied = copied
	h.stageGen[entity]++
	if h.shadows == nil {
		h.shadows = map[string]int{}
	}
	// The shadow is the entity's state after the run as of this Stage, and its staged rows.
	h.shadows[entity] = h.stageGen[entity]
	h.counted[entity] = walkCount{h.stageGen[entity], copied}
	return nil
}

// shadowOf returns entity's bucket of the state after the run, nil when there is none.
func shadowOf(tx *bolt.Tx, entity string) *bolt.Bucket {
	if sh := tx.Bucket(bShadow); sh != nil {
		return sh.Bucket([]byte(entity))
	}
	return nil
}

// hasState tells whether entity has state stored in the profile file.
func hasState(ph *handle, entity string) (stored bool, err error) {
	err = ph.view(func(tx *bolt.Tx) error {
		if eb := entityBucket(tx, entity); eb != nil {
			k, _ := eb.Cursor().First()
			stored = k != nil
		}
		return nil
	})
	return stored, err
}

// shadowBucket returns entity's bucket of the state after the run, made (in blocks) when
// missing.
func shadowBucket(tx *bolt.Tx, entity string) (*bolt.Bucket, error) {
	sh, err := bucket(tx, bShadow)
	if err != nil {
		return nil, err
	}
	return newStateBucket(sh, []byte(entity))
}

// spill moves what entity staged straight into its shadow into the stage, as rows Nieuw, a
// run of stageRun rows at a time, and drops the shadow: the entity is then staged as any other.
// stageMu is held.
func (h *Session) spill(entity string, stage *handle, p *prepared) error {
	h.mu.Lock()
	p.direct, p.copied = false, 0
	delete(h.shadows, entity)
	delete(h.counted, entity)
	h.mu.Unlock()
	err := h.h.view(func(tx *bolt.Tx) error {
		eb := shadowOf(tx, entity)
		if eb == nil {
			return nil
		}
		var rows []Staged
		var order []int
		flush := func() error {
			if len(rows) == 0 {
				return nil
			}
			err := h.stageRows(entity, stage, rows, order)
			rows, order = rows[:0], order[:0]
			return err
		}
		rc := stateCursor(eb)
		for k, v := rc.first(); k != nil; k, v = rc.next() {
			if v == nil {
				return fmt.Errorf("%q: %w", k, errCorruptBlock)
			}
			vals, err := DecodeValues(v)
			if err != nil {
				return fmt.Errorf("%q: %w", k, err)
			}
			order = append(order, len(rows)) // the shadow's order is the keys'
			rows = append(rows, Staged{Key: string(k), Kind: Nieuw, Vals: vals})
			if len(rows) == stageRun {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err == nil {
		err = h.h.update(func(tx *bolt.Tx) error {
			if shadowOf(tx, entity) == nil {
				return nil
			}
			return tx.Bucket(bShadow).DeleteBucket([]byte(entity))
		})
	}
	if err != nil {
		return fmt.Errorf("move %s into the stage: %w", entity, err)
	}
	return nil
}

// notePrepared binds entity's preparation to the stage its rows went into. h.mu is held.
func (h *Session) notePrepared(entity string, st *handle) {
	if h.prep == nil {
		h.prep = map[string]*prepared{}
	}
	if p := h.prep[entity]; p == nil || p.stage != st {
		h.prep[entity] = &prepared{stage: st}
	}
}

// Prepare builds entity's state after the run ahead of the commit, when it has none stored and
// was not staged straight into it (StageIntoState): a copy of its staged rows, in bounded
// transactions. Call it once nothing more is staged for entity; it may run while other entities
// are staged and read.
func (h *Session) Prepare(entity string) error {
	h.prepMu.Lock()
	defer h.prepMu.Unlock()
	h.mu.Lock()
	if err := h.usable(); err != nil {
		h.mu.Unlock()
		return err
	}
	st, gen, p := h.stage, h.stageGen[entity], h.prep[entity]
	h.mu.Unlock()
	if st == nil || gen == 0 || p == nil || p.stage != st || p.direct {
		return nil // nothing staged, or staged into the shadow: it is prepared
	}
	if p.state == 0 {
		stored, err := hasState(h.h, entity)
		if err != nil {
			return err
		}
		p.state = 1
		if stored {
			p.state = -1
		}
	}
	if p.state < 0 {
		return nil
	}
	var after []byte
	copied := 0
	for done := false; !done; {
		err := st.view(func(stx *bolt.Tx) error {
			staged := newStagedRows(stx.Bucket([]byte(entity)))
			staged.seek(after)
			if staged.peek() == nil {
				done = true // nothing (more): no write (and no sync) of the profile file
				return nil
			}
			return h.h.update(func(tx *bolt.Tx) error {
				eb, err := shadowBucket(tx, entity)
				if err != nil {
					return err
				}
				var last []byte
				var edits []edit
				last, done, err = staged.copyBatch(func(k, v []byte) error {
					if v[0] == 'V' {
						return fmt.Errorf("staged row %q cannot be new", k)
					}
					h.s.at("prepare")
					edits = append(edits, edit{key: k, val: v[1:]}) // the stage's bytes, valid until the commit
					return nil
				})
				if err != nil {
					return err
				}
				if last != nil {
					after = append(after[:0], last...) // the stage's bytes are valid in its transaction only
				}
				added, _, err := putState(eb, edits)
				copied += added
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
	// The copy is the entity's state after the run as of gen: the commit moves it in unless the
	// entity was staged since. It is every staged row (of a key staged twice, one), so the
	// commit need not walk the stage to count them.
	if h.shadows == nil {
		h.shadows = map[string]int{}
	}
	h.shadows[entity] = gen
	if h.counted != nil {
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
				if p := h.prep[ent]; p != nil && p.direct {
					// Its rows are in the shadow only: nothing else could apply them.
					return nil, fmt.Errorf("%s was staged as a first delivery, but has state stored", ent)
				}
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

// directOf tells whether entity is staged straight into its shadow in stage st (h.mu not held).
func (h *Session) directOf(entity string, st *handle) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.prep[entity]
	return st != nil && p != nil && p.stage == st && p.direct
}

// eachDirect walks the rows of an entity staged straight into its shadow, in key order: every
// one Nieuw.
func (h *Session) eachDirect(entity string, fn func(key, raw []byte, kind string) error) error {
	return walkBucket(h.h, func(tx *bolt.Tx) *bolt.Bucket { return shadowOf(tx, entity) },
		func(k, v []byte) error { return fn(k, v, Nieuw) })
}
