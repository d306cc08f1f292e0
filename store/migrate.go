package store

import (
	"encoding/json"
	"fmt"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// Buckets of the single-file layout (koppel up to the catalog): everything in one file.
var (
	bOldRuns    = []byte("runs")       // run id → Run
	bOldLogs    = []byte("runlogs")    // run id → bucket of logs
	bOldChanges = []byte("runchanges") // run id → bucket of changes
	bOldState   = []byte("state")      // profile → entity → key → values
	bOldPending = []byte("pending")    // profile → Pending
)

var legacyBuckets = [][]byte{bOldRuns, bOldLogs, bOldChanges, bOldState, bOldPending}

// isLegacy tells whether a catalog still has data of the single-file layout.
func isLegacy(tx *bolt.Tx) bool {
	for _, b := range legacyBuckets {
		if tx.Bucket(b) != nil {
			return true
		}
	}
	return false
}

type oldRun struct {
	id   string
	run  Run
	data []byte
}

// migrate moves the single-file layout's history, state and pending renames into one file per
// profile, each profile in one transaction of its file (all or nothing), then drops the old
// buckets from the catalog. Interrupted, it resumes: a profile file marked migrated is skipped.
// The catalog stays locked meanwhile (h is held), so no other process sees it half-way.
func (s *Store) migrate(h *handle) error {
	byProfile := map[string][]oldRun{}
	err := h.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bOldRuns); b != nil {
			err := b.ForEach(func(k, v []byte) error {
				var r Run
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("run %s: %w", k, err)
				}
				if r.Profile == "" {
					return nil
				}
				byProfile[r.Profile] = append(byProfile[r.Profile], oldRun{id: string(k), run: r, data: append([]byte(nil), v...)})
				return nil
			})
			if err != nil {
				return err
			}
		}
		if b := tx.Bucket(bOldState); b != nil {
			if err := b.ForEachBucket(func(k []byte) error {
				if _, ok := byProfile[string(k)]; !ok {
					byProfile[string(k)] = nil
				}
				return nil
			}); err != nil {
				return err
			}
		}
		if b := tx.Bucket(bOldPending); b != nil {
			return b.ForEach(func(k, _ []byte) error {
				if _, ok := byProfile[string(k)]; !ok {
					byProfile[string(k)] = nil
				}
				return nil
			})
		}
		return nil
	})
	if err != nil {
		return &DamagedError{Path: s.path, Reason: "migrating the single-file layout: " + err.Error()}
	}
	for _, name := range sortedKeys(byProfile) {
		if err := s.migrateProfile(h, name, byProfile[name]); err != nil {
			return fmt.Errorf("migrate profile %s of %s: %w", name, s.path, err)
		}
	}
	err = h.update(func(tx *bolt.Tx) error {
		for _, b := range legacyBuckets {
			if tx.Bucket(b) != nil {
				if err := tx.DeleteBucket(b); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bCatMeta).Put(kFormat, []byte(catalogFormat))
	})
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	return nil
}

// migrateProfile writes one profile's old data into its file in one transaction.
func (s *Store) migrateProfile(cat *handle, name string, runs []oldRun) error {
	ph, err := s.acquire(s.profilePath(name), true, name)
	if err != nil {
		return err
	}
	defer s.release(ph)
	sort.SliceStable(runs, func(i, j int) bool {
		if !runs[i].run.Started.Equal(runs[j].run.Started) {
			return runs[i].run.Started.Before(runs[j].run.Started)
		}
		return runs[i].id < runs[j].id
	})
	return ph.update(func(tx *bolt.Tx) error {
		if err := initProfileFile(name)(tx); err != nil {
			return err
		}
		mb := tx.Bucket(bMeta)
		if mb.Get(kMigrated) != nil {
			return nil
		}
		return cat.view(func(ctx *bolt.Tx) error {
			rb, ib, lb, cb := tx.Bucket(bRuns), tx.Bucket(bRunIDs), tx.Bucket(bLogs), tx.Bucket(bChanges)
			for _, r := range runs {
				if ib.Get([]byte(r.id)) != nil {
					continue
				}
				n, err := rb.NextSequence()
				if err != nil {
					return err
				}
				seq := seqKey(n)
				if err := rb.Put(seq, r.data); err != nil {
					return err
				}
				if err := ib.Put([]byte(r.id), seq); err != nil {
					return err
				}
				for _, pair := range [][2]*bolt.Bucket{{ctx.Bucket(bOldLogs), lb}, {ctx.Bucket(bOldChanges), cb}} {
					if err := copyNested(pair[0], pair[1], []byte(r.id), seq); err != nil {
						return err
					}
				}
				if r.run.isDelivery() {
					if err := mb.Put(kDelivery, seq); err != nil {
						return err
					}
				}
			}
			if ob := ctx.Bucket(bOldState); ob != nil && ob.Bucket([]byte(name)) != nil {
				src, dst := ob.Bucket([]byte(name)), tx.Bucket(bState)
				if err := src.ForEachBucket(func(ent []byte) error {
					return copyNested(src, dst, ent, ent)
				}); err != nil {
					return err
				}
			}
			if ob := ctx.Bucket(bOldPending); ob != nil {
				if v := ob.Get([]byte(name)); v != nil {
					if err := mb.Put(kPending, append([]byte(nil), v...)); err != nil {
						return err
					}
				}
			}
			return mb.Put(kMigrated, []byte("1"))
		})
	})
}

// copyNested copies the bucket from[fromKey] (flat) into to[toKey].
func copyNested(from, to *bolt.Bucket, fromKey, toKey []byte) error {
	if from == nil || from.Bucket(fromKey) == nil {
		return nil
	}
	dst, err := to.CreateBucketIfNotExists(toKey)
	if err != nil {
		return err
	}
	return from.Bucket(fromKey).ForEach(func(k, v []byte) error {
		if v == nil {
			return nil
		}
		return dst.Put(append([]byte(nil), k...), append([]byte(nil), v...))
	})
}
