package store

import (
	"encoding/json"

	bolt "go.etcd.io/bbolt"
)

// SetHook makes a Store call fn at the named points of its commit protocol (tests only).
func SetHook(s *Store, fn func(point string)) { s.hook = fn }

// ApplyBatch is the number of staged rows one apply transaction writes.
const ApplyBatch = applyBatch

// PutRunsFast records runs of one profile in one transaction, without retention (benchmark
// fixtures: thousands of runs without thousands of fsyncs).
func PutRunsFast(s *Store, name string, runs []*Run) error {
	h, err := s.Hold(name)
	if err != nil {
		return err
	}
	defer h.Close()
	h.h.db.NoSync = true
	defer func() { h.h.db.NoSync = false }()
	return h.h.update(func(tx *bolt.Tx) error {
		for _, r := range runs {
			if _, err := putRun(tx, r, nil, nil, -1); err != nil {
				return err
			}
		}
		return nil
	})
}

// RawRun returns a run record as stored, by sequence position (0 = oldest), for tests that
// look at the file's order.
func RawRun(s *Store, name string, i int) (*Run, error) {
	var r *Run
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		c := tx.Bucket(bRuns).Cursor()
		k, v := c.First()
		for ; k != nil && i > 0; i-- {
			k, v = c.Next()
		}
		if k == nil {
			return nil
		}
		r = &Run{}
		return json.Unmarshal(v, r)
	})
	return r, err
}

// OpenNoSync opens a store whose writes skip fsync (test runs that make thousands of stores).
func OpenNoSync(path string, key []byte) (*Store, error) { return openStore(path, key, true) }

// StageRun is the size a run of the stage may grow to by later Stage calls.
const StageRun = stageRun

// HasShadow tells whether a profile file holds prepared states (shadow.go).
func HasShadow(s *Store, name string) (bool, error) {
	found := false
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		found = tx.Bucket(bShadow) != nil
		return nil
	})
	return found, err
}
