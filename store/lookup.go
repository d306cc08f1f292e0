package store

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// GetMany looks up a batch of keys of the last delivered state in one read transaction: fn gets
// each key's stored value as encoded by EncodeValues (nil when the key is not there), valid only
// during the call. A run compares whole pages this way: one transaction per page instead of one
// per record, and an unchanged record is recognised by its bytes without decoding it.
func (h *Session) GetMany(entity string, keys []string, fn func(i int, raw []byte) error) error {
	if _, err := h.currentStage(); err != nil {
		return err
	}
	err := h.h.view(func(tx *bolt.Tx) error {
		eb := entityBucket(tx, entity)
		// One cursor for the batch: bbolt's Get makes a cursor, and grows its stack, per call.
		var c *runCursor
		if eb != nil {
			c = stateCursor(eb)
		}
		var cur, curV []byte // where the cursor is (nil: nowhere yet, or past the last key)
		var kb []byte
		for i, k := range keys {
			var v []byte
			if c != nil {
				cur, curV = lookup(c, k, cur, curV, &kb)
				if cur != nil && curV == nil {
					return fmt.Errorf("%q: %w", k, errCorruptBlock)
				}
				if string(cur) == k {
					v = curV
				}
			}
			if err := fn(i, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("state %s/%s: %w", h.name, entity, err)
	}
	return nil
}

// lookup positions c at the first key >= key, from where it is (cur, curV). AFAS answers in
// pages sorted on the connector's key, often koppel's order too: then the key looked for is
// mostly the one after the cursor, and a step replaces a search from the root.
func lookup(c *runCursor, key string, cur, curV []byte, kb *[]byte) ([]byte, []byte) {
	switch {
	case cur == nil:
	case string(cur) == key:
		return cur, curV
	case string(cur) < key:
		// The next key: it is the one looked for, or after it (then key is not there).
		if next, v := c.next(); next == nil || string(next) >= key {
			return next, v
		}
	}
	*kb = append((*kb)[:0], key...)
	return c.at(*kb)
}
