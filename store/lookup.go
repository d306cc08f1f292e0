package store

import (
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// GetMany looks up a batch of keys of the last delivered state in one read transaction: fn gets
// each key's stored value as encoded by EncodeValues (nil when the key is not there), valid only
// during the call, in the order of keys. A run compares whole pages this way: one transaction
// per page instead of one per record, and an unchanged record is recognised by its bytes without
// decoding it. The keys are looked up in key order, whatever order they come in: a cursor then
// reads on through the state instead of searching it from the root for every key.
func (h *Session) GetMany(entity string, keys []string, fn func(i int, raw []byte) error) error {
	if _, err := h.currentStage(); err != nil {
		return err
	}
	err := h.h.view(func(tx *bolt.Tx) error {
		eb := entityBucket(tx, entity)
		if eb == nil {
			for i := range keys {
				if err := fn(i, nil); err != nil {
					return err
				}
			}
			return nil
		}
		// One cursor for the batch: bbolt's Get makes a cursor, and grows its stack, per call.
		c := stateCursor(eb)
		var cur, curV []byte // where the cursor is (nil: nowhere yet, or past the last key)
		var kb []byte
		find := func(k string) ([]byte, error) {
			cur, curV = lookup(c, k, cur, curV, &kb)
			if cur != nil && curV == nil {
				return nil, fmt.Errorf("%q: %w", k, errCorruptBlock)
			}
			if string(cur) == k {
				return curV, nil // valid for the transaction
			}
			return nil, nil
		}
		if slices.IsSorted(keys) {
			for i, k := range keys {
				raw, err := find(k)
				if err == nil {
					err = fn(i, raw)
				}
				if err != nil {
					return err
				}
			}
			return nil
		}
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		slices.SortFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
		raws := make([][]byte, len(keys))
		for _, i := range order {
			raw, err := find(keys[i])
			if err != nil {
				return err
			}
			raws[i] = raw
		}
		for i, raw := range raws {
			if err := fn(i, raw); err != nil {
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

// lookup positions c at the first key >= key, from where it is (cur, curV): the next key, or one
// further on in the same block, needs no search from the root.
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
		if k, v, ok := c.within(key); ok {
			return k, v
		}
	}
	*kb = append((*kb)[:0], key...)
	return c.at(*kb)
}
