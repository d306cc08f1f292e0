package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/koppel-nl/koppel/sync/runlog"
)

// A profile file's buckets.
var (
	bMeta    = []byte("meta")       // the keys below
	bRuns    = []byte("runs")       // sequence (8 bytes, big-endian) → Run (JSON)
	bRunIDs  = []byte("runids")     // run id → sequence
	bLogs    = []byte("runlogs")    // sequence → bucket: index → runlog.Log (JSON)
	bChanges = []byte("runchanges") // sequence → bucket: index → Change (JSON)
	bState   = []byte("state")      // entity → bucket: blocks of keys and EncodeValues (blocks.go), or key → EncodeValues
	bBounds  = []byte("bounds")     // connector → page boundaries (JSON)

	kProfile  = []byte("profile")  // the profile's name
	kDelivery = []byte("delivery") // sequence of the last successful delivery
	kPending  = []byte("pending")  // Pending (JSON)
	kApply    = []byte("apply")    // applyMarker (JSON): a committed delta not yet applied
	kMigrated = []byte("migrated") // the profile's data came from the single-file layout
)

// profileFormat is the profile file's layout version.
const profileFormat = "1"

// DefaultRetention is how many runs a profile keeps unless told otherwise; the last successful
// delivery is kept beyond it.
const DefaultRetention = 400

// applyBatch and applyBytes bound what one apply transaction writes: rows, and bytes of values
// (bbolt holds the transaction's nodes and, at its commit, their pages in memory). Fewer, larger
// transactions cost fewer fsyncs, and bbolt regrows the node a run of keys goes into once per
// transaction.
const (
	applyBatch = 10000
	applyBytes = 8 << 20
)

func initProfileFile(name string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bRuns, bRunIDs, bLogs, bChanges, bState, bBounds} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		mb := tx.Bucket(bMeta)
		if err := mb.Put(kFormat, []byte(profileFormat)); err != nil {
			return err
		}
		return mb.Put(kProfile, []byte(name))
	}
}

// bucket returns a top-level bucket, creating it in a write transaction.
func bucket(tx *bolt.Tx, name []byte) (*bolt.Bucket, error) {
	if b := tx.Bucket(name); b != nil || !tx.Writable() {
		return b, nil
	}
	return tx.CreateBucket(name)
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// putRun records a run (replacing a run of the same id in place) with its logs and changes, and
// prunes the history to keep runs (< 0: all). It returns the ids of the pruned runs.
func putRun(tx *bolt.Tx, run *Run, logs []runlog.Log, changes []Change, keep int) ([]string, error) {
	if run.ID == "" {
		return nil, errors.New("a run needs an id")
	}
	if len(changes) > MaxChanges {
		changes = changes[:MaxChanges]
	}
	run.ChangesKept = len(changes)
	data, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	var bs [5]*bolt.Bucket
	for i, name := range [][]byte{bMeta, bRuns, bRunIDs, bLogs, bChanges} {
		if bs[i], err = bucket(tx, name); err != nil {
			return nil, err
		}
	}
	meta, runs, ids, lb, cb := bs[0], bs[1], bs[2], bs[3], bs[4]
	var seq []byte
	if old := ids.Get([]byte(run.ID)); old != nil {
		seq = append([]byte(nil), old...)
		if err := dropRunData(lb, cb, seq); err != nil {
			return nil, err
		}
	} else {
		n, err := runs.NextSequence()
		if err != nil {
			return nil, err
		}
		seq = seqKey(n)
		if err := ids.Put([]byte(run.ID), seq); err != nil {
			return nil, err
		}
	}
	if err := runs.Put(seq, data); err != nil {
		return nil, err
	}
	if err := indexUpload(tx, run, seq); err != nil {
		return nil, err
	}
	if err := putSeq(lb, seq, len(logs), func(i int) any { return logs[i] }); err != nil {
		return nil, err
	}
	if err := putSeq(cb, seq, len(changes), func(i int) any { return changes[i] }); err != nil {
		return nil, err
	}
	switch {
	case run.isDelivery():
		err = meta.Put(kDelivery, seq)
	case bytes.Equal(meta.Get(kDelivery), seq): // a delivery replaced by a non-delivery
		err = findDelivery(meta, runs)
	}
	if err != nil {
		return nil, err
	}
	return prune(tx, keep)
}

// findDelivery sets the last-delivery pointer by walking the runs back.
func findDelivery(meta, runs *bolt.Bucket) error {
	c := runs.Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		var r Run
		if json.Unmarshal(v, &r) == nil && r.isDelivery() {
			return meta.Put(kDelivery, append([]byte(nil), k...))
		}
	}
	return meta.Delete(kDelivery)
}

func dropRunData(lb, cb *bolt.Bucket, seq []byte) error {
	for _, b := range []*bolt.Bucket{lb, cb} {
		if err := b.DeleteBucket(seq); err != nil && !errors.Is(err, bolterr.ErrBucketNotFound) {
			return err
		}
	}
	return nil
}

func putSeq(parent *bolt.Bucket, seq []byte, n int, item func(int) any) error {
	if n == 0 {
		return nil
	}
	b, err := parent.CreateBucket(seq)
	if err != nil {
		return err
	}
	b.FillPercent = 1 // append-only
	for i := 0; i < n; i++ {
		data, err := json.Marshal(item(i))
		if err != nil {
			return err
		}
		if err := b.Put(seqKey(uint64(i)), data); err != nil {
			return err
		}
	}
	return nil
}

// prune keeps the newest keep runs and the last successful delivery; older runs go with their
// logs and changes. It returns the pruned runs' ids.
func prune(tx *bolt.Tx, keep int) ([]string, error) {
	if keep < 0 {
		return nil, nil
	}
	if keep == 0 {
		keep = DefaultRetention
	}
	runs := tx.Bucket(bRuns)
	c := runs.Cursor()
	oldest, _ := c.Last()
	for i := 1; i < keep && oldest != nil; i++ {
		oldest, _ = c.Prev()
	}
	if oldest == nil {
		return nil, nil
	}
	delivery := tx.Bucket(bMeta).Get(kDelivery)
	var drop [][]byte
	for k, _ := c.First(); k != nil && bytes.Compare(k, oldest) < 0; k, _ = c.Next() {
		if !bytes.Equal(k, delivery) && !inQueue(tx, k) {
			drop = append(drop, append([]byte(nil), k...))
		}
	}
	ids, lb, cb := tx.Bucket(bRunIDs), tx.Bucket(bLogs), tx.Bucket(bChanges)
	pruned := make([]string, 0, len(drop))
	for _, seq := range drop {
		var r struct {
			ID string `json:"run"`
		}
		if err := json.Unmarshal(runs.Get(seq), &r); err == nil && r.ID != "" {
			if err := ids.Delete([]byte(r.ID)); err != nil {
				return nil, err
			}
			pruned = append(pruned, r.ID)
		}
		if err := dropRunData(lb, cb, seq); err != nil {
			return nil, err
		}
		if err := runs.Delete(seq); err != nil {
			return nil, err
		}
	}
	return pruned, nil
}

func decodeRun(v []byte) (*Run, error) {
	var r Run
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("run record: %w", err)
	}
	return &r, nil
}

// Staged row kinds, as in mode mutaties' Mutatie column.
const (
	Nieuw      = "Nieuw"
	Gewijzigd  = "Gewijzigd"
	Verwijderd = "Verwijderd"
)

func kindCode(kind string) (byte, bool) {
	switch kind {
	case Nieuw:
		return 'N', true
	case Gewijzigd:
		return 'G', true
	case Verwijderd:
		return 'V', true
	}
	return 0, false
}

// stagedKind is the kind of a staged row's first byte.
func stagedKind(code byte) (string, bool) {
	switch code {
	case 'N':
		return Nieuw, true
	case 'G':
		return Gewijzigd, true
	case 'V':
		return Verwijderd, true
	}
	return "", false
}

// decodeStaged reads a staged row: its kind and values.
func decodeStaged(v []byte) (string, []string, error) {
	if len(v) == 0 {
		return "", nil, errors.New("corrupt staged row")
	}
	kind, ok := stagedKind(v[0])
	if !ok {
		return "", nil, errors.New("corrupt staged row")
	}
	vals, err := DecodeValues(v[1:])
	return kind, vals, err
}

// applyMarker is a committed delta not yet (wholly) applied to the state: the stage file holds
// it; Entity and After tell how far the apply got.
type applyMarker struct {
	Run    string `json:"run"`
	Rows   int    `json:"rows"`
	Entity string `json:"entity,omitempty"`
	After  []byte `json:"after,omitempty"`
	// Skip names the entities whose state the commit moved into place (shadow.go).
	Skip []string `json:"skip,omitempty"`
}

func readMarker(tx *bolt.Tx) (*applyMarker, error) {
	mb := tx.Bucket(bMeta)
	if mb == nil {
		return nil, nil
	}
	data := mb.Get(kApply)
	if data == nil {
		return nil, nil
	}
	var m applyMarker
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("apply marker: %w", err)
	}
	return &m, nil
}

// applyStage applies a committed delta from the stage to the state in bounded transactions,
// recording its progress in each, and drops the marker with the last. Applying twice is
// harmless: puts and deletes are idempotent.
func (s *Store) applyStage(h, st *handle, m *applyMarker) error {
	var entities [][]byte
	err := st.view(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
			if string(name) >= m.Entity && !slices.Contains(m.Skip, string(name)) {
				entities = append(entities, append([]byte(nil), name...))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	after := m.After
	if len(entities) == 0 || string(entities[0]) != m.Entity {
		after = nil
	}
	for i, ent := range entities {
		for {
			done := false
			var last []byte
			// The stage's read transaction encloses the state's write transaction: bbolt holds
			// the values it is given until the commit, and so they can be the stage's own bytes
			// rather than copies.
			err := st.view(func(stx *bolt.Tx) error {
				staged := newStagedRows(stx.Bucket(ent))
				staged.seek(after)
				defer func() { last = bytes.Clone(last) }() // last is the stage's, valid in its transaction only
				return h.update(func(tx *bolt.Tx) error {
					sb, err := bucket(tx, bState)
					if err != nil {
						return err
					}
					eb, err := newStateBucket(sb, ent)
					if err != nil {
						return err
					}
					if k := staged.peek(); k != nil && !inBlocks(eb) {
						if lk, _ := eb.Cursor().Last(); lk == nil || bytes.Compare(k, lk) > 0 {
							// Every key goes after the last one stored: full pages, as nothing
							// is inserted before them.
							eb.FillPercent = 1
						}
					}
					var edits []edit
					last, done, err = staged.copyBatch(func(k, v []byte) error {
						if v[0] == 'V' {
							edits = append(edits, edit{key: k, del: true})
						} else {
							edits = append(edits, edit{key: k, val: v[1:]})
						}
						return nil
					})
					if err != nil {
						return err
					}
					if _, _, err := putState(eb, edits); err != nil {
						return err
					}
					if done && i == len(entities)-1 {
						return tx.Bucket(bMeta).Delete(kApply)
					}
					at := after
					if last != nil {
						at = last
					}
					data, err := json.Marshal(applyMarker{Run: m.Run, Rows: m.Rows, Entity: string(ent), After: at, Skip: m.Skip})
					if err != nil {
						return err
					}
					return tx.Bucket(bMeta).Put(kApply, data)
				})
			})
			if err != nil {
				return fmt.Errorf("apply the state of run %s: %w", m.Run, err)
			}
			if last != nil {
				after = last
			}
			s.at("apply")
			if done {
				break
			}
		}
		after = nil
	}
	if len(entities) == 0 {
		if err := h.update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Delete(kApply) }); err != nil {
			return fmt.Errorf("apply the state of run %s: %w", m.Run, err)
		}
	}
	return nil
}

// finishApply completes a commit whose process died while applying its delta (the file is
// open and this Store holds it).
func (s *Store) finishApply(h *handle, name string) error {
	var m *applyMarker
	var bad error
	err := h.view(func(tx *bolt.Tx) error {
		m, bad = readMarker(tx)
		return nil
	})
	if err != nil {
		return err
	}
	if bad != nil {
		return &DamagedError{Path: h.path, Reason: bad.Error()}
	}
	if m == nil {
		return nil
	}
	path := s.stagePath(name)
	st, err := openStage(path, true)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return &DamagedError{Path: path, Reason: "the staged state of committed run " + m.Run + " is missing"}
		}
		return err
	}
	err = s.applyStage(h, st, m)
	if cerr := st.db.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	s.at("applied")
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// openStage opens a profile's stage file: read-only (an existing one, checked, to complete an
// apply) or new and without fsync (a Session's scratch: it becomes durable with one fsync at
// the commit, and is thrown away on any failure before).
func openStage(path string, readOnly bool) (st *handle, err error) {
	opts := &bolt.Options{Timeout: time.Second, NoSync: true, NoGrowSync: true, NoFreelistSync: true, ReadOnly: readOnly}
	if !readOnly {
		opts.InitialMmapSize = mmapReserve
	}
	if readOnly {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		reason := checkFile(f)
		f.Close()
		if reason != "" {
			return nil, &DamagedError{Path: path, Reason: reason}
		}
	} else if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove %s: %w", path, err)
	}
	st = &handle{path: path}
	err = func() (err error) {
		defer st.guard(&err)
		st.db, err = bolt.Open(path, 0o600, opts)
		return err
	}()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return st, nil
}
