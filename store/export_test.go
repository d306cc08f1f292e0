package store

import (
	"strings"

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

// ShadowOf lists the prepared state of an entity as "key=values" (values joined by ","), in
// key order.
func ShadowOf(s *Store, name, entity string) (string, error) {
	var parts []string
	err := s.readProfile(name, false, func(tx *bolt.Tx) error {
		sh := tx.Bucket(bShadow)
		if sh == nil || sh.Bucket([]byte(entity)) == nil {
			return nil
		}
		return EachStateEntry(sh.Bucket([]byte(entity)), func(k, v []byte) error {
			vals, err := DecodeValues(v)
			parts = append(parts, string(k)+"="+strings.Join(vals, ","))
			return err
		})
	})
	return strings.Join(parts, " "), err
}

// EachStateEntry walks a state bucket, in either form, in key order.
func EachStateEntry(b *bolt.Bucket, fn func(k, v []byte) error) error {
	rc := stateCursor(b)
	for k, v := rc.first(); k != nil; k, v = rc.next() {
		if v == nil {
			return errCorruptBlock
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// InBlocks tells whether a state bucket holds blocks.
func InBlocks(b *bolt.Bucket) bool { return inBlocks(b) }

// StateInBlocks tells whether entity's state in profile name is stored in blocks.
func StateInBlocks(s *Store, name, entity string) (blocks bool, err error) {
	err = s.readProfile(name, false, func(tx *bolt.Tx) error {
		if eb := entityBucket(tx, entity); eb != nil {
			blocks = inBlocks(eb)
		}
		return nil
	})
	return blocks, err
}
