package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// HeldError is a profile that a run holds, in another process or in this Store.
type HeldError struct {
	Profile string
	PID     int
	Host    string
	Since   time.Time
}

func (e *HeldError) Error() string {
	who := "another koppel process"
	if e.PID != 0 {
		who = fmt.Sprintf("koppel process %d", e.PID)
	}
	if e.Host != "" {
		who += " on " + e.Host
	}
	if !e.Since.IsZero() {
		who += " since " + e.Since.Local().Format("2006-01-02 15:04:05")
	}
	return fmt.Sprintf("profile %s is in use by %s", e.Profile, who)
}

// Unwrap makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Unwrap() error { return ErrLocked }

type heldInfo struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// heldBy returns who holds a profile, or nil when nobody does: the info file counts only while
// its holder keeps it locked (a killed holder's file is stale).
func (s *Store) heldBy(name string) *HeldError {
	f, err := os.Open(s.heldPath(name))
	if err != nil {
		return nil
	}
	defer f.Close()
	if canLock {
		free, err := tryLock(f, false)
		if err != nil || free {
			if free {
				_ = unlockFile(f)
			}
			return nil
		}
	}
	he := &HeldError{Profile: name}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	var info heldInfo
	if err == nil && json.Unmarshal(data, &info) == nil {
		he.PID, he.Host, he.Since = info.PID, info.Host, info.Since
	}
	return he
}

// writeHeld publishes who holds a profile: written under a temporary name, locked, and renamed
// into place, so a reader never sees it half-written. The returned file keeps the lock.
func (s *Store) writeHeld(name string, since time.Time) (*os.File, error) {
	data, err := json.Marshal(heldInfo{PID: s.pid, Host: s.host, Since: since})
	if err != nil {
		return nil, err
	}
	final := s.heldPath(name)
	if !canLock {
		return nil, os.WriteFile(final, data, 0o600)
	}
	tmp := filepath.Join(s.dir, "."+filepath.Base(final)+"-"+randHex(6))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*os.File, error) {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if ok, err := tryLock(f, true); err != nil || !ok {
		return fail(fmt.Errorf("lock %s: %v", tmp, err))
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fail(err)
	}
	return f, nil
}

// Staged is one record of a run's delta: Vals are the new values (Nieuw, Gewijzigd) or the old
// ones (Verwijderd, kept for mode mutaties' files).
type Staged struct {
	Key  string
	Kind string
	Vals []string
}

// Session is a profile held for one run: no other run of the profile, in any process, can start
// until Close (or the death of the process). Its methods may be called from several goroutines.
type Session struct {
	// Retention is how many runs of the profile the history keeps (0: DefaultRetention; below
	// 0: all). The last successful delivery is always kept.
	Retention int

	s     *Store
	name  string
	since time.Time
	h     *handle
	info  *os.File

	// stageMu lets one Stage write at a time, and none while the stage is committed or dropped;
	// it is taken before mu, which Stage holds only around its bookkeeping, so reads of the state
	// (GetMany) go on while a batch is staged.
	stageMu      sync.Mutex
	mu           sync.Mutex
	closed       bool
	stage        *handle              // the stage file, once something was staged
	runRows      map[string]int       // per entity: rows in the newest run of the stage (staged.go)
	stageGen     map[string]int       // per entity: Stage calls that wrote to it
	counted      map[string]walkCount // per entity: what the last whole walk of the stage counted
	applyPending bool                 // committed, and the stage is still to be applied
	shadows      map[string]int       // per entity: the stageGen its prepared state reflects (shadow.go)
	prep         map[string]*prepared // per entity: how far its state is prepared (shadow.go)
	intoState    map[string]bool      // the entities Stage may write straight into their shadow (shadow.go)
	prepMu       sync.Mutex           // one prepare at a time
}

// Hold takes a profile for a run. It fails at once with a *HeldError when a run holds the
// profile already (here or in another process), and waits a few seconds for another process's
// brief use of it. A commit that a killed process left half-applied is completed first; a stage
// it left is dropped.
func (s *Store) Hold(name string) (*Session, error) {
	if name == "" {
		return nil, errors.New("hold: no profile name")
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	if held, ok := s.sessions[name]; ok {
		s.mu.Unlock()
		he := &HeldError{Profile: name, PID: s.pid, Host: s.host}
		if held != nil {
			he.Since = held.since
		}
		return nil, he
	}
	s.sessions[name] = nil // reserved while we take it
	s.mu.Unlock()
	h, err := s.hold(name)
	s.mu.Lock()
	if err != nil {
		delete(s.sessions, name)
	} else {
		s.sessions[name] = h
	}
	s.mu.Unlock()
	return h, err
}

func (s *Store) hold(name string) (*Session, error) {
	ph, err := s.acquire(s.profilePath(name), true, name)
	if err != nil {
		return nil, fmt.Errorf("hold profile %s: %w", name, err)
	}
	fail := func(err error) (*Session, error) {
		s.release(ph)
		return nil, fmt.Errorf("hold profile %s: %w", name, err)
	}
	ph.commit.Lock()
	err = s.finishApply(ph, name)
	ph.commit.Unlock()
	if err == nil {
		err = dropShadows(ph) // a run killed before its commit
	}
	if err != nil {
		return fail(err)
	}
	if err := os.Remove(s.stagePath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(err)
	}
	since := time.Now().UTC()
	info, err := s.writeHeld(name, since)
	if err != nil {
		return fail(fmt.Errorf("write %s: %w", s.heldPath(name), err))
	}
	return &Session{s: s, name: name, since: since, h: ph, info: info}, nil
}

// Profile is the held profile's name.
func (h *Session) Profile() string { return h.name }

// Close ends the hold. What was staged and not committed is dropped.
func (h *Session) Close() error {
	h.stageMu.Lock()
	defer h.stageMu.Unlock()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	err := h.dropStage()
	h.mu.Unlock()
	if h.info != nil {
		_ = os.Remove(h.s.heldPath(h.name))
		_ = unlockFile(h.info)
		h.info.Close()
	} else if !canLock {
		_ = os.Remove(h.s.heldPath(h.name))
	}
	h.s.release(h.h)
	h.s.mu.Lock()
	if h.s.sessions[h.name] == h {
		delete(h.s.sessions, h.name)
	}
	h.s.mu.Unlock()
	return err
}

// dropStage closes the stage and removes it, unless a commit still needs it. h.mu is held.
func (h *Session) dropStage() error {
	if h.stage == nil {
		return nil
	}
	serr := dropShadows(h.h) // prepared for a commit that did not come (after one: none left)
	err := h.stage.db.Close()
	if err == nil {
		err = serr
	}
	h.stage, h.runRows, h.stageGen, h.counted, h.shadows, h.prep, h.intoState = nil, nil, nil, nil, nil, nil, nil
	if h.applyPending {
		return err
	}
	if rerr := os.Remove(h.s.stagePath(h.name)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	return err
}

func (h *Session) usable() error {
	if h.closed {
		return fmt.Errorf("profile %s: the session is closed", h.name)
	}
	if h.applyPending {
		return fmt.Errorf("profile %s: the last commit is not wholly applied", h.name)
	}
	return nil
}

// currentStage returns the stage, nil when nothing was staged.
func (h *Session) currentStage() (*handle, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return nil, err
	}
	return h.stage, nil
}

// walkCount is the staged rows of an entity that a whole walk of them counted, and the Stage
// calls before it: the commit needs the count, and the files' walks before it have it.
type walkCount struct{ gen, rows int }

// stageOf returns the stage (nil when nothing was staged) and the Stage calls to an entity so far.
func (h *Session) stageOf(entity string) (*handle, int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return nil, 0, err
	}
	return h.stage, h.stageGen[entity], nil
}

// counted notes what a whole walk of an entity's staged rows counted, begun after gen Stage calls.
func (h *Session) noteCount(st *handle, entity string, gen, rows int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stage == st && h.counted != nil {
		h.counted[entity] = walkCount{gen, rows}
	}
}

// Pending returns the profile's unconfirmed rename, or nil.
func (h *Session) Pending() (*Pending, error) {
	if _, err := h.currentStage(); err != nil {
		return nil, err
	}
	return readPending(h.h)
}

func readPending(ph *handle) (*Pending, error) {
	var p *Pending
	err := ph.view(func(tx *bolt.Tx) error {
		mb := tx.Bucket(bMeta)
		if mb == nil || mb.Get(kPending) == nil {
			return nil
		}
		p = &Pending{}
		return json.Unmarshal(mb.Get(kPending), p)
	})
	if err != nil {
		return nil, fmt.Errorf("pending rename: %w", err)
	}
	return p, nil
}

// ClearPending confirms the rename.
func (h *Session) ClearPending() error {
	if _, err := h.currentStage(); err != nil {
		return err
	}
	err := h.h.update(func(tx *bolt.Tx) error {
		mb, err := bucket(tx, bMeta)
		if err != nil {
			return err
		}
		return mb.Delete(kPending)
	})
	if err != nil {
		return fmt.Errorf("clear pending rename of %s: %w", h.name, err)
	}
	return nil
}

// Get returns a record's last delivered values.
func (h *Session) Get(entity, key string) (vals []string, ok bool, err error) {
	if _, err := h.currentStage(); err != nil {
		return nil, false, err
	}
	err = h.h.view(func(tx *bolt.Tx) error {
		eb := entityBucket(tx, entity)
		if eb == nil {
			return nil
		}
		k, v := stateCursor(eb).at([]byte(key))
		if k != nil && v == nil {
			return errCorruptBlock
		}
		if k == nil || string(k) != key {
			return nil
		}
		ok = true
		vals, err = DecodeValues(v)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("state %s/%s %q: %w", h.name, entity, key, err)
	}
	return vals, ok, nil
}

func entityBucket(tx *bolt.Tx, entity string) *bolt.Bucket {
	sb := tx.Bucket(bState)
	if sb == nil {
		return nil
	}
	return sb.Bucket([]byte(entity))
}

// EachState calls fn for every last delivered record of an entity, in key order.
func (h *Session) EachState(entity string, fn func(key string, vals []string) error) (err error) {
	return h.EachStateRaw(entity, func(key, raw []byte) error {
		vals, err := DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("state %s/%s %q: %w", h.name, entity, key, err)
		}
		return fn(string(key), vals)
	})
}

// EachStateRaw is EachState without decoding: raw is the record's values as EncodeValues wrote
// them; key and raw are valid during the call only. A walk that needs the values of few records
// (the run's walk for what is gone) decodes only those.
func (h *Session) EachStateRaw(entity string, fn func(key, raw []byte) error) (err error) {
	if _, err := h.currentStage(); err != nil {
		return err
	}
	defer unwrapUserPanic()
	return eachState(h.h, entity, fn)
}

func eachState(ph *handle, entity string, fn func(key, raw []byte) error) error {
	return walkBucket(ph, func(tx *bolt.Tx) *bolt.Bucket { return entityBucket(tx, entity) }, fn)
}

// walkBucket calls fn for every key of the bucket pick finds (none when nil), in key order, in
// one read transaction of ph, dropping the mapped pages from the resident set every
// releaseRecords records.
func walkBucket(ph *handle, pick func(*bolt.Tx) *bolt.Bucket, fn func(key, raw []byte) error) error {
	return ph.view(func(tx *bolt.Tx) error {
		eb := pick(tx)
		if eb == nil {
			return nil
		}
		n := 0
		rc := stateCursor(eb)
		for k, v := rc.first(); k != nil; k, v = rc.next() {
			if n++; n%releaseRecords == 0 {
				ph.releaseMapped(tx)
			}
			if v == nil {
				return fmt.Errorf("%q: %w", k, errCorruptBlock)
			}
			if err := callUser(func() error { return fn(k, v) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// unwrapUserPanic lets a caller's panic out of the guards with its own value.
func unwrapUserPanic() {
	if r := recover(); r != nil {
		if up, ok := r.(*userPanic); ok {
			panic(up.v)
		}
		panic(r)
	}
}

// Stage records part of the run's delta in its own transaction (call it per page or batch; a
// key staged again replaces its earlier row). Nothing of it is visible, or kept, until Commit.
// Do not call it from an EachStaged or EachDelivered callback.
func (h *Session) Stage(entity string, rows []Staged) error {
	if entity == "" {
		return errors.New("stage: no entity")
	}
	if len(rows) == 0 {
		return nil
	}
	order := make([]int, len(rows))
	for i, r := range rows {
		if _, ok := kindCode(r.Kind); !ok {
			return fmt.Errorf("stage %s %q: unknown kind %q", entity, r.Key, r.Kind)
		}
		if r.Key == "" {
			return fmt.Errorf("stage %s: a row without key", entity)
		}
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { // by key, then as given
		if c := strings.Compare(rows[a].Key, rows[b].Key); c != 0 {
			return c
		}
		return a - b
	})
	h.stageMu.Lock()
	defer h.stageMu.Unlock()
	h.mu.Lock()
	if err := h.usable(); err != nil {
		h.mu.Unlock()
		return err
	}
	if h.stage == nil {
		st, err := openStage(h.s.stagePath(h.name), false)
		if err != nil {
			h.mu.Unlock()
			return fmt.Errorf("stage %s: %w", entity, err)
		}
		h.stage = st
		h.runRows, h.stageGen, h.counted = map[string]int{}, map[string]int{}, map[string]walkCount{}
	}
	stage := h.stage
	h.mu.Unlock()
	direct, err := h.stageDirect(entity, stage, rows)
	if err == nil && direct {
		err = h.putDirect(entity, rows, order)
	}
	if err != nil {
		return fmt.Errorf("stage %s: %w", entity, err)
	}
	if !direct {
		if err := h.stageRows(entity, stage, rows, order); err != nil {
			return err
		}
	}
	h.s.at("stage")
	return nil
}

// stageRows writes a Stage's rows, sorted by key (order), into the stage file. stageMu is held.
func (h *Session) stageRows(entity string, stage *handle, rows []Staged, order []int) error {
	h.mu.Lock()
	runRows := h.runRows[entity]
	h.mu.Unlock()
	// bbolt keeps the values it is given (not the keys) until the transaction commits, so they
	// are laid out in one arena for the transaction rather than one allocation each.
	var arena []byte
	var kb []byte
	n := 0
	err := stage.update(func(tx *bolt.Tx) error {
		eb, err := tx.CreateBucketIfNotExists([]byte(entity))
		if err != nil {
			return err
		}
		// The rows to write: of a key given more than once, the last.
		each := func(fn func(r *Staged) error) error {
			for j, i := range order {
				if j+1 < len(order) && rows[order[j+1]].Key == rows[i].Key {
					continue // a later row of the key in this batch replaces it
				}
				if err := fn(&rows[i]); err != nil {
					return err
				}
			}
			return nil
		}
		if len(rows) >= blockMin {
			seq, err := eb.NextSequence()
			if err != nil {
				return err
			}
			b, err := eb.CreateBucket(blockRunKey(seq))
			if err != nil {
				return err
			}
			b.FillPercent = 1
			w := &blockWriter{b: b}
			err = each(func(r *Staged) error {
				code, _ := kindCode(r.Kind)
				return w.add(r.Key, code, r.Vals)
			})
			if err != nil {
				return err
			}
			n = 0 // a later small call starts a run of its own
			return w.flush()
		}
		var b *bolt.Bucket
		if n = runRows; n > 0 && n < stageRun {
			b = eb.Bucket(seqKey(eb.Sequence()))
		}
		if b == nil {
			seq, err := eb.NextSequence()
			if err != nil {
				return err
			}
			if b, err = eb.CreateBucket(seqKey(seq)); err != nil {
				return err
			}
			n = 0
		}
		// A new run takes its rows in key order: full pages, as nothing is inserted before.
		b.FillPercent = 1
		size := 0
		for _, r := range rows {
			size += 1 + encodedLen(r.Vals)
		}
		arena = make([]byte, 0, size)
		return each(func(r *Staged) error {
			code, _ := kindCode(r.Kind)
			start := len(arena)
			arena = AppendValues(append(arena, code), r.Vals)
			kb = append(kb[:0], r.Key...) // Put copies the key
			if err := b.Put(kb, arena[start:len(arena):len(arena)]); err != nil {
				return err
			}
			n++
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("stage %s: %w", entity, err)
	}
	h.mu.Lock()
	h.runRows[entity] = n
	h.stageGen[entity]++
	h.notePrepared(entity, stage)
	h.mu.Unlock()
	return nil
}

// EachStaged calls fn for every staged row of an entity, in key order.
func (h *Session) EachStaged(entity string, fn func(key string, vals []string, kind string) error) error {
	return h.EachStagedRaw(entity, func(key, raw []byte, kind string) error {
		vals, err := DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("staged %s %q: %w", entity, key, err)
		}
		return fn(string(key), vals, kind)
	})
}

// EachStagedRaw is EachStaged without decoding, as EachDeliveredRaw: the rows of EachDelivered
// with a kind, without the walk of the unchanged records (a file of mutations).
func (h *Session) EachStagedRaw(entity string, fn func(key, raw []byte, kind string) error) error {
	st, gen, err := h.stageOf(entity)
	if err != nil || st == nil {
		return err
	}
	defer unwrapUserPanic()
	if h.directOf(entity, st) {
		return h.eachDirect(entity, fn)
	}
	n := 0
	err = st.view(func(tx *bolt.Tx) error {
		rows := newStagedRows(tx.Bucket([]byte(entity)))
		rows.seek(nil)
		for k, v := rows.next(); k != nil; k, v = rows.next() {
			if n++; n%releaseRecords == 0 {
				st.releaseMapped(tx)
			}
			if len(v) == 0 {
				return fmt.Errorf("staged %s %q: corrupt staged row", entity, k)
			}
			kind, ok := stagedKind(v[0])
			if !ok {
				return fmt.Errorf("staged %s %q: corrupt staged row", entity, k)
			}
			if err := callUser(func() error { return fn(k, v[1:], kind) }); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		h.noteCount(st, entity, gen, n)
	}
	return err
}

// EachDelivered walks, in key order, what the entity's state is after this run: the last
// delivered records with the staged delta applied. kind is "" for a record unchanged, Nieuw or
// Gewijzigd for a staged one, and Verwijderd (with its old values) for one that goes.
func (h *Session) EachDelivered(entity string, fn func(key string, vals []string, kind string) error) error {
	return h.EachDeliveredRaw(entity, func(key, raw []byte, kind string) error {
		vals, err := DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("%s %q: %w", entity, key, err)
		}
		return fn(string(key), vals, kind)
	})
}

// EachDeliveredRaw is EachDelivered without decoding: raw is the record's values as
// EncodeValues wrote them (SplitValues reads them). key and raw are valid during the call only.
// The files are written this way, without a string per value.
func (h *Session) EachDeliveredRaw(entity string, fn func(key, raw []byte, kind string) error) error {
	st, gen, err := h.stageOf(entity)
	if err != nil {
		return err
	}
	defer unwrapUserPanic()
	if h.directOf(entity, st) {
		return h.eachDirect(entity, fn) // no state stored, the shadow is all there is
	}
	staged := 0
	err = h.h.view(func(tx *bolt.Tx) error {
		eb := entityBucket(tx, entity)
		if st == nil {
			_, err := merge(eb, nil, entity, fn, func() { h.h.releaseMapped(tx) })
			return err
		}
		return st.view(func(stx *bolt.Tx) (err error) {
			staged, err = merge(eb, stx.Bucket([]byte(entity)), entity, fn, func() { h.h.releaseMapped(tx); st.releaseMapped(stx) })
			return err
		})
	})
	if err == nil && st != nil {
		h.noteCount(st, entity, gen, staged)
	}
	return err
}

// merge walks state and stage side by side, calling release every releaseRecords records. It
// returns the number of staged rows.
func merge(state, stage *bolt.Bucket, entity string, fn func(key, raw []byte, kind string) error, release func()) (staged int, err error) {
	var sc *runCursor
	var k1, v1 []byte
	if state != nil {
		sc = stateCursor(state)
		k1, v1 = sc.first()
	}
	rows := newStagedRows(stage)
	rows.seek(nil)
	k2, v2 := rows.next()
	for n := 1; k1 != nil || k2 != nil; n++ {
		if n%releaseRecords == 0 {
			release()
		}
		cmp := 0
		switch {
		case k2 == nil:
			cmp = -1
		case k1 == nil:
			cmp = 1
		default:
			cmp = bytes.Compare(k1, k2)
		}
		key, raw, kind := k1, v1, ""
		if cmp <= 0 && v1 == nil {
			return staged, fmt.Errorf("%s %q: %w", entity, k1, errCorruptBlock)
		}
		if cmp >= 0 {
			if len(v2) == 0 {
				return staged, fmt.Errorf("%s %q: corrupt staged row", entity, k2)
			}
			var ok bool
			if kind, ok = stagedKind(v2[0]); !ok {
				return staged, fmt.Errorf("%s %q: corrupt staged row", entity, k2)
			}
			key, raw = k2, v2[1:]
			staged++
		}
		if err := callUser(func() error { return fn(key, raw, kind) }); err != nil {
			return staged, err
		}
		if cmp <= 0 {
			k1, v1 = sc.next()
		}
		if cmp >= 0 {
			k2, v2 = rows.next()
		}
	}
	return staged, nil
}

func (h *Session) retention() int {
	if h.Retention == 0 {
		return DefaultRetention
	}
	return h.Retention
}

func (h *Session) checkRun(run *Run) error {
	if run.Profile == "" {
		run.Profile = h.name
	}
	if run.Profile != h.name {
		return fmt.Errorf("run %s is of profile %q, the session holds %q", run.ID, run.Profile, h.name)
	}
	return nil
}

// Commit makes a delivery final. One transaction records the run (with its logs and changes,
// pruning the history to Retention), the pending rename, the page boundaries per connector
// (a connector given no boundaries loses its old ones; connectors not in bounds keep theirs)
// and marks the staged delta as to be applied; the delta is then applied to the state in
// bounded transactions. Should the process die while applying, the next Hold (or any read of
// the profile) completes it first, so the state, the run record and the pending rename become
// visible together. run.StateWrites is set to the number of staged rows.
func (h *Session) Commit(run *Run, logs []runlog.Log, changes []Change, pending *Pending, bounds map[string][]string) error {
	h.stageMu.Lock()
	defer h.stageMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return err
	}
	if err := h.checkRun(run); err != nil {
		return err
	}
	rows := 0
	if h.stage != nil {
		err := h.stage.view(func(tx *bolt.Tx) error {
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				if c, ok := h.counted[string(name)]; ok && c.gen == h.stageGen[string(name)] {
					rows += c.rows // the file's walk counted them, and nothing was staged since
					return nil
				}
				// Counted by a walk (a key staged twice is one row) that drops the pages it read
				// from the resident set as it goes.
				staged := newStagedRows(b)
				staged.seek(nil)
				for k, _ := staged.next(); k != nil; k, _ = staged.next() {
					if rows++; rows%releaseRecords == 0 {
						h.stage.releaseMapped(tx)
					}
				}
				return nil
			})
		})
		// The entities staged straight into their shadow have no rows in the stage file.
		for ent, p := range h.prep {
			if c, ok := h.counted[ent]; ok && p.direct && p.stage == h.stage && c.gen == h.stageGen[ent] {
				rows += c.rows
			}
		}
		if err == nil && rows > 0 {
			err = h.stage.db.Sync() // the staged delta is durable before the commit points at it
		}
		if err != nil {
			return fmt.Errorf("commit run %s: %w", run.ID, err)
		}
	}
	run.StateWrites = rows
	h.s.at("commit")
	h.h.commit.Lock()
	defer h.h.commit.Unlock()
	var pruned, skip []string
	err := h.h.update(func(tx *bolt.Tx) error {
		var err error
		if pruned, err = putRun(tx, run, logs, changes, h.retention()); err != nil {
			return err
		}
		mb := tx.Bucket(bMeta)
		if pending != nil {
			data, err := json.Marshal(pending)
			if err != nil {
				return err
			}
			if err := mb.Put(kPending, data); err != nil {
				return err
			}
		}
		if err := putBounds(tx, bounds); err != nil {
			return err
		}
		if skip, err = h.moveShadows(tx); err != nil {
			return err
		}
		if rows == 0 {
			return nil
		}
		data, err := json.Marshal(applyMarker{Run: run.ID, Rows: rows, Skip: skip})
		if err != nil {
			return err
		}
		return mb.Put(kApply, data)
	})
	if err != nil {
		return fmt.Errorf("commit run %s: %w", run.ID, err)
	}
	h.s.learnRuns(h.name, pruned, run.ID)
	h.s.at("committed")
	if rows > 0 {
		h.applyPending = true
		if err := h.s.applyStage(h.h, h.stage, &applyMarker{Run: run.ID, Rows: rows, Skip: skip}); err != nil {
			return fmt.Errorf("run %s is committed but its state is not yet written (the next run completes it): %w", run.ID, err)
		}
		h.applyPending = false
		h.s.at("applied")
	}
	return h.dropStage()
}

func putBounds(tx *bolt.Tx, bounds map[string][]string) error {
	if len(bounds) == 0 {
		return nil
	}
	bb, err := bucket(tx, bBounds)
	if err != nil {
		return err
	}
	for conn, list := range bounds {
		if len(list) == 0 {
			if err := bb.Delete([]byte(conn)); err != nil {
				return err
			}
			continue
		}
		data, err := json.Marshal(list)
		if err != nil {
			return err
		}
		if err := bb.Put([]byte(conn), data); err != nil {
			return err
		}
	}
	return nil
}

// RecordRun records a run that delivered nothing (failed, blocked or a preview), pruning the
// history to Retention; what was staged is dropped.
func (h *Session) RecordRun(run *Run, logs []runlog.Log, changes []Change) error {
	h.stageMu.Lock()
	defer h.stageMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.usable(); err != nil {
		return err
	}
	if err := h.checkRun(run); err != nil {
		return err
	}
	if err := h.dropStage(); err != nil {
		return err
	}
	h.h.commit.Lock()
	defer h.h.commit.Unlock()
	var pruned []string
	err := h.h.update(func(tx *bolt.Tx) (err error) {
		pruned, err = putRun(tx, run, logs, changes, h.retention())
		return err
	})
	if err != nil {
		return fmt.Errorf("record run %s: %w", run.ID, err)
	}
	h.s.learnRuns(h.name, pruned, run.ID)
	return nil
}

// Discard drops what was staged (a cancelled or failed run).
func (h *Session) Discard() error {
	h.stageMu.Lock()
	defer h.stageMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	return h.dropStage()
}

// Bounds returns the page boundaries of a connector that the last committed run recorded.
func (h *Session) Bounds(connector string) ([]string, error) {
	if _, err := h.currentStage(); err != nil {
		return nil, err
	}
	var out []string
	err := h.h.view(func(tx *bolt.Tx) error {
		bb := tx.Bucket(bBounds)
		if bb == nil || bb.Get([]byte(connector)) == nil {
			return nil
		}
		return json.Unmarshal(bb.Get([]byte(connector)), &out)
	})
	if err != nil {
		return nil, fmt.Errorf("bounds of %s: %w", connector, err)
	}
	return out, nil
}

// at calls the test hook at a named point of the commit protocol.
func (s *Store) at(point string) {
	if s.hook != nil {
		s.hook(point)
	}
}
