package store

import (
	"bytes"
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
		var c *bolt.Cursor
		if eb != nil {
			c = eb.Cursor()
		}
		var kb []byte
		for i, k := range keys {
			var v []byte
			if c != nil {
				kb = append(kb[:0], k...)
				if fk, fv := c.Seek(kb); bytes.Equal(fk, kb) {
					v = fv
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
