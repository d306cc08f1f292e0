package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// PartialError comes, together with what could be read, from a call over all profiles when some
// profiles could not be read: held by a run of another process, or failing otherwise.
type PartialError struct {
	Held   map[string]*HeldError
	Failed map[string]error
}

func (e *PartialError) Error() string {
	var parts []string
	for _, n := range sortedKeys(e.Held) {
		parts = append(parts, e.Held[n].Error())
	}
	for _, n := range sortedKeys(e.Failed) {
		parts = append(parts, fmt.Sprintf("profile %s: %v", n, e.Failed[n]))
	}
	return strings.Join(parts, "; ")
}

// Unwrap gives the errors of the profiles, so errors.Is(err, ErrLocked) and errors.As work.
func (e *PartialError) Unwrap() []error {
	var out []error
	for _, n := range sortedKeys(e.Held) {
		out = append(out, e.Held[n])
	}
	for _, n := range sortedKeys(e.Failed) {
		out = append(out, e.Failed[n])
	}
	return out
}

func (e *PartialError) add(name string, err error) {
	var he *HeldError
	if errors.As(err, &he) {
		if e.Held == nil {
			e.Held = map[string]*HeldError{}
		}
		e.Held[name] = he
		return
	}
	if e.Failed == nil {
		e.Failed = map[string]error{}
	}
	e.Failed[name] = err
}

// orNil returns e as an error when it holds something.
func (e *PartialError) orNil() error {
	if len(e.Held) == 0 && len(e.Failed) == 0 {
		return nil
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// readProfile runs fn in a read transaction of a profile's file; a profile without a file has
// no data: fn is not called. With whole, it waits for a commit of this process to be applied.
func (s *Store) readProfile(name string, whole bool, fn func(tx *bolt.Tx) error) error {
	h, err := s.acquire(s.profilePath(name), false, name)
	if errors.Is(err, errNoFile) {
		return nil
	}
	if err != nil {
		return err
	}
	defer s.release(h)
	if whole {
		h.commit.RLock()
		defer h.commit.RUnlock()
	}
	return h.view(fn)
}

// learnRuns remembers which profile runs belong to, and forgets pruned ones.
func (s *Store) learnRuns(name string, pruned []string, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range pruned {
		delete(s.runOf, id)
	}
	for _, id := range ids {
		s.runOf[id] = name
	}
}

func (s *Store) learnList(name string, runs []*Run) {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	s.learnRuns(name, nil, ids...)
}

// Runs lists a profile's runs, newest first; name "" lists all profiles' runs, merged newest
// first. A profile a run holds in another process fails with a *HeldError; for name "" the
// other profiles' runs come with a *PartialError.
func (s *Store) Runs(name string) ([]*Run, error) {
	if name == "" {
		return s.allRuns()
	}
	var runs []*Run
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			r, err := decodeRun(v)
			if err != nil {
				return err
			}
			runs = append(runs, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("runs of %s: %w", name, err)
	}
	s.learnList(name, runs)
	return runs, nil
}

func (s *Store) allRuns() ([]*Run, error) {
	names, err := s.profileFiles()
	if err != nil {
		return nil, err
	}
	var lists [][]*Run
	partial := &PartialError{}
	for _, n := range names {
		runs, err := s.Runs(n)
		if err != nil {
			partial.add(n, err)
			continue
		}
		lists = append(lists, runs)
	}
	// Merge the lists, each newest first, keeping each profile's own order.
	var out []*Run
	for {
		best := -1
		for i, l := range lists {
			if len(l) == 0 {
				continue
			}
			if best < 0 || newer(l[0], lists[best][0]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		out = append(out, lists[best][0])
		lists[best] = lists[best][1:]
	}
	return out, partial.orNil()
}

func newer(a, b *Run) bool {
	if !a.Started.Equal(b.Started) {
		return a.Started.After(b.Started)
	}
	return a.ID > b.ID
}

// LastRun returns a profile's newest run (a preview too), or nil.
func (s *Store) LastRun(name string) (*Run, error) {
	var run *Run
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		b := tx.Bucket(bRuns)
		if b == nil {
			return nil
		}
		if _, v := b.Cursor().Last(); v != nil {
			var err error
			run, err = decodeRun(v)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("last run of %s: %w", name, err)
	}
	return run, nil
}

// LastDelivery returns a profile's newest successful run that was not a preview, or nil.
func (s *Store) LastDelivery(name string) (*Run, error) {
	var run *Run
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		mb, b := tx.Bucket(bMeta), tx.Bucket(bRuns)
		if mb == nil || b == nil || mb.Get(kDelivery) == nil {
			return nil
		}
		if v := b.Get(mb.Get(kDelivery)); v != nil {
			var err error
			run, err = decodeRun(v)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("last delivery of %s: %w", name, err)
	}
	return run, nil
}

// LastRuns returns every profile's newest run (profiles without runs are absent), opening each
// profile's file once. Profiles that could not be read (held by a run of another process, or
// damaged) come in a *PartialError, with the others' runs.
func (s *Store) LastRuns() (map[string]*Run, error) {
	names, err := s.profileFiles()
	if err != nil {
		return nil, err
	}
	out := map[string]*Run{}
	partial := &PartialError{}
	for _, n := range names {
		r, err := s.LastRun(n)
		if err != nil {
			partial.add(n, err)
			continue
		}
		if r != nil {
			out[n] = r
			s.learnRuns(n, nil, r.ID)
		}
	}
	return out, partial.orNil()
}

// findRun calls fn in a read transaction of the profile file that has the run, with the run's
// sequence key. The profile is known when the run was listed before; otherwise every profile's
// index is looked at.
func (s *Store) findRun(id string, fn func(tx *bolt.Tx, seq []byte) error) error {
	try := func(name string) (bool, error) {
		found := false
		err := s.readProfile(name, false, func(tx *bolt.Tx) error {
			ids := tx.Bucket(bRunIDs)
			if ids == nil {
				return nil
			}
			seq := ids.Get([]byte(id))
			if seq == nil {
				return nil
			}
			found = true
			return fn(tx, seq)
		})
		return found, err
	}
	s.mu.Lock()
	known, ok := s.runOf[id]
	s.mu.Unlock()
	if ok {
		found, err := try(known)
		if err != nil || found {
			return err
		}
	}
	names, err := s.profileFiles()
	if err != nil {
		return err
	}
	partial := &PartialError{}
	for _, n := range names {
		if ok && n == known {
			continue
		}
		found, err := try(n)
		if err != nil {
			partial.add(n, err)
			continue
		}
		if found {
			s.learnRuns(n, nil, id)
			return nil
		}
	}
	if err := partial.orNil(); err != nil {
		return fmt.Errorf("run %q is not in the profiles that could be read: %w", id, err)
	}
	return fmt.Errorf("run %q: %w", id, ErrNotFound)
}

// Run returns one run.
func (s *Store) Run(id string) (*Run, error) {
	var run *Run
	err := s.findRun(id, func(tx *bolt.Tx, seq []byte) (err error) {
		v := tx.Bucket(bRuns).Get(seq)
		if v == nil {
			return fmt.Errorf("run %q: index without record", id)
		}
		run, err = decodeRun(v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// RunLogs returns a run's log entries in order (none for an unknown run).
func (s *Store) RunLogs(id string) ([]runlog.Log, error) {
	var out []runlog.Log
	err := s.readSeq(bLogs, id, func(v []byte) error {
		var l runlog.Log
		if err := json.Unmarshal(v, &l); err != nil {
			return err
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// RunChanges returns the changes kept for a run (none for an unknown run).
func (s *Store) RunChanges(id string) ([]Change, error) {
	var out []Change
	err := s.readSeq(bChanges, id, func(v []byte) error {
		var c Change
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func (s *Store) readSeq(parent []byte, id string, fn func([]byte) error) error {
	err := s.findRun(id, func(tx *bolt.Tx, seq []byte) error {
		pb := tx.Bucket(parent)
		if pb == nil || pb.Bucket(seq) == nil {
			return nil
		}
		return pb.Bucket(seq).ForEach(func(_, v []byte) error { return fn(v) })
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("run %s: %w", id, err)
	}
	return nil
}

// State loads the last delivered records of a profile's entity: key to values.
func (s *Store) State(name, entity string) (map[string][]string, error) {
	out := map[string][]string{}
	err := s.EachState(name, entity, func(k string, vals []string) error {
		out[k] = vals
		return nil
	})
	return out, err
}

// EachState calls fn for every last delivered record of a profile's entity, in key order,
// without loading them all.
func (s *Store) EachState(name, entity string, fn func(key string, vals []string) error) error {
	defer unwrapUserPanic()
	h, err := s.acquire(s.profilePath(name), false, name)
	if errors.Is(err, errNoFile) {
		return nil
	}
	if err != nil {
		return err
	}
	defer s.release(h)
	h.commit.RLock()
	defer h.commit.RUnlock()
	return eachState(h, entity, func(key, raw []byte) error {
		vals, err := DecodeValues(raw)
		if err != nil {
			return fmt.Errorf("state %s/%s %q: %w", name, entity, key, err)
		}
		return fn(string(key), vals)
	})
}

// PendingOf returns a profile's unconfirmed rename, or nil.
func (s *Store) PendingOf(name string) (*Pending, error) {
	h, err := s.acquire(s.profilePath(name), false, name)
	if errors.Is(err, errNoFile) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer s.release(h)
	return readPending(h)
}

// ClearPending confirms a rename. It holds the profile for the moment.
func (s *Store) ClearPending(name string) error {
	h, err := s.Hold(name)
	if err != nil {
		return err
	}
	err = h.ClearPending()
	return errors.Join(err, h.Close())
}

// RecordRun stores a run that delivered nothing (failed, blocked or dry), without state. It
// holds the profile for the moment, and keeps DefaultRetention runs.
func (s *Store) RecordRun(run *Run, logs []runlog.Log, changes []Change) error {
	h, err := s.Hold(run.Profile)
	if err != nil {
		return err
	}
	err = h.RecordRun(run, logs, changes)
	return errors.Join(err, h.Close())
}

// Commit records a run and, in the same transaction, its state updates and pending rename: this
// transaction is the moment a delivery becomes final. It holds the profile for the moment, and
// keeps DefaultRetention runs. (A Session stages and commits a run's delta without holding it
// all in memory or in one transaction.)
func (s *Store) Commit(run *Run, logs []runlog.Log, changes []Change, updates []StateUpdate, pending *Pending) error {
	h, err := s.Hold(run.Profile)
	if err != nil {
		return err
	}
	err = h.commitUpdates(run, logs, changes, updates, pending)
	return errors.Join(err, h.Close())
}

func (h *Session) commitUpdates(run *Run, logs []runlog.Log, changes []Change, updates []StateUpdate, pending *Pending) error {
	h.h.commit.Lock()
	defer h.h.commit.Unlock()
	var pruned []string
	err := h.h.update(func(tx *bolt.Tx) error {
		var err error
		if pruned, err = putRun(tx, run, logs, changes, h.retention()); err != nil {
			return err
		}
		if len(updates) > 0 {
			sb, err := bucket(tx, bState)
			if err != nil {
				return err
			}
			for _, u := range updates {
				eb, err := newStateBucket(sb, []byte(u.Entity))
				if err != nil {
					return err
				}
				// A key both dropped and put is put.
				byKey := map[string]edit{}
				for _, k := range u.Delete {
					byKey[k] = edit{key: []byte(k), del: true}
				}
				for k, vals := range u.Put {
					byKey[k] = edit{key: []byte(k), val: EncodeValues(vals)}
				}
				edits := make([]edit, 0, len(byKey))
				for _, e := range byKey {
					edits = append(edits, e)
				}
				slices.SortFunc(edits, func(a, b edit) int { return bytes.Compare(a.key, b.key) })
				if _, _, err := putState(eb, edits); err != nil {
					return err
				}
			}
		}
		if pending != nil {
			data, err := json.Marshal(pending)
			if err != nil {
				return err
			}
			return tx.Bucket(bMeta).Put(kPending, data)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("commit run %s: %w", run.ID, err)
	}
	h.s.learnRuns(h.name, pruned, run.ID)
	return nil
}

// Erased is what deleting a profile removed.
type Erased struct {
	Runs         int      // run records
	StateRecords int      // delivered-state records
	Files        []string // files removed
}

// DeleteProfile removes a profile with its delivered state and run history.
func (s *Store) DeleteProfile(name string) error {
	_, err := s.DeleteProfileInfo(name)
	return err
}

// DeleteProfileInfo removes a profile: its catalog entry and its file (history, state, pending
// rename) as a whole, and tells what was erased. A profile a run holds is refused (*HeldError).
func (s *Store) DeleteProfileInfo(name string) (*Erased, error) {
	if name == "" {
		return nil, fmt.Errorf("profile %q: %w", name, ErrNotFound)
	}
	s.mu.Lock()
	if held, ok := s.sessions[name]; ok {
		s.mu.Unlock()
		he := &HeldError{Profile: name, PID: s.pid, Host: s.host}
		if held != nil {
			he.Since = held.since
		}
		return nil, he
	}
	s.sessions[name] = nil // no Hold while we delete
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.sessions, name)
		s.mu.Unlock()
	}()
	inCatalog, err := s.hasProfile(name)
	if err != nil {
		return nil, err
	}
	h, err := s.acquire(s.profilePath(name), false, name)
	if errors.Is(err, errNoFile) {
		h, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("delete profile %s: %w", name, err)
	}
	if !inCatalog && h == nil {
		return nil, fmt.Errorf("profile %q: %w", name, ErrNotFound)
	}
	erased := &Erased{}
	if h != nil {
		defer s.release(h)
		err := h.view(func(tx *bolt.Tx) error {
			if b := tx.Bucket(bRuns); b != nil {
				erased.Runs = b.Stats().KeyN
			}
			if sb := tx.Bucket(bState); sb != nil {
				return sb.ForEachBucket(func(k []byte) error {
					n, _ := countState(sb.Bucket(k)) // what is readable of a damaged state
					erased.StateRecords += n
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("delete profile %s: %w", name, err)
		}
	}
	if inCatalog {
		err := s.withCatalog(func(ch *handle) error {
			return ch.update(func(tx *bolt.Tx) error { return tx.Bucket(bProfiles).Delete([]byte(name)) })
		})
		if err != nil {
			return nil, fmt.Errorf("delete profile %s: %w", name, err)
		}
	}
	if h != nil {
		// The file is removed while still locked: a process waiting for it finds it gone.
		for _, p := range []string{s.profilePath(name), s.stagePath(name), s.heldPath(name)} {
			err := os.Remove(p)
			if err == nil {
				erased.Files = append(erased.Files, p)
			} else if !errors.Is(err, os.ErrNotExist) {
				return erased, fmt.Errorf("delete profile %s: %w", name, err)
			}
		}
		s.forget(h)
	}
	s.mu.Lock()
	for id, n := range s.runOf {
		if n == name {
			delete(s.runOf, id)
		}
	}
	s.mu.Unlock()
	return erased, nil
}
