// Package store keeps koppel's state in one bbolt file: profiles (tokens encrypted with AES-GCM),
// run history with logs and changes, and per profile the last delivered value of every record.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

var (
	bProfiles = []byte("profiles")
	bRuns     = []byte("runs")
	bLogs     = []byte("runlogs")
	bChanges  = []byte("runchanges")
	bState    = []byte("state")
	bPending  = []byte("pending")
)

// ErrNotFound is returned for an unknown profile or run.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned when another koppel process holds the store.
var ErrLocked = errors.New("the store is in use by another koppel process")

// Store is an open koppel store.
type Store struct {
	db  *bolt.DB
	key []byte
}

// Open opens or creates the store at path (mode 0600). With key nil the AES key is read from, or
// created in, the file path+".key" (0600).
func Open(path string, key []byte) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if key == nil {
		k, err := loadOrCreateKey(path + ".key")
		if err != nil {
			return nil, err
		}
		key = k
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("open store: key must be %d bytes", KeySize)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolterr.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// bbolt keeps an existing file's mode; a store must never be readable by others.
	_ = os.Chmod(path, 0o600)
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bProfiles, bRuns, bLogs, bChanges, bState, bPending} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db, key: key}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Path is the store file.
func (s *Store) Path() string { return s.db.Path() }

type storedProfile struct {
	Profile     profile.Profile `json:"profile"`
	SealedToken []byte          `json:"sealed_token"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
}

// PutProfile creates or replaces a profile. Its run history and delivered state are kept.
func (s *Store) PutProfile(p *profile.Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	sealed, err := seal(s.key, p.Account.Token)
	if err != nil {
		return fmt.Errorf("encrypt token: %w", err)
	}
	sp := storedProfile{Profile: *p, SealedToken: sealed, Updated: time.Now().UTC()}
	sp.Profile.Account.Token = ""
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bProfiles)
		sp.Created = sp.Updated
		if old := b.Get([]byte(p.Name)); old != nil {
			var prev storedProfile
			if json.Unmarshal(old, &prev) == nil && !prev.Created.IsZero() {
				sp.Created = prev.Created
			}
		}
		data, err := json.Marshal(sp)
		if err != nil {
			return err
		}
		return b.Put([]byte(p.Name), data)
	})
}

// Profile returns a profile with its token decrypted.
func (s *Store) Profile(name string) (*profile.Profile, error) {
	var sp storedProfile
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bProfiles).Get([]byte(name))
		if data == nil {
			return fmt.Errorf("profile %q: %w", name, ErrNotFound)
		}
		return json.Unmarshal(data, &sp)
	})
	if err != nil {
		return nil, err
	}
	tok, err := open(s.key, sp.SealedToken)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", name, err)
	}
	p := sp.Profile
	p.Account.Token = tok
	return &p, nil
}

// ProfileNames lists the profiles, sorted.
func (s *Store) ProfileNames() ([]string, error) {
	var names []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bProfiles).ForEach(func(k, _ []byte) error {
			names = append(names, string(k))
			return nil
		})
	})
	return names, err
}

// DeleteProfile removes a profile with its delivered state and run history.
func (s *Store) DeleteProfile(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bProfiles).Get([]byte(name)) == nil {
			return fmt.Errorf("profile %q: %w", name, ErrNotFound)
		}
		if err := tx.Bucket(bProfiles).Delete([]byte(name)); err != nil {
			return err
		}
		if tx.Bucket(bState).Bucket([]byte(name)) != nil {
			if err := tx.Bucket(bState).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		_ = tx.Bucket(bPending).Delete([]byte(name))
		runs := tx.Bucket(bRuns)
		var ids [][]byte
		_ = runs.ForEach(func(k, v []byte) error {
			var r Run
			if json.Unmarshal(v, &r) == nil && r.Profile == name {
				ids = append(ids, append([]byte(nil), k...))
			}
			return nil
		})
		for _, id := range ids {
			_ = runs.Delete(id)
			_ = tx.Bucket(bLogs).DeleteBucket(id)
			_ = tx.Bucket(bChanges).DeleteBucket(id)
		}
		return nil
	})
}

// EntityCounts are one entity's figures in a run.
type EntityCounts struct {
	Fetched   int `json:"fetched"`
	Delivered int `json:"delivered"`
	Rejected  int `json:"rejected"`
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
}

// GuardHit is an entity the deletion guard stopped.
type GuardHit struct {
	Entity   string  `json:"entity"`
	Deleted  int     `json:"deleted"`
	Previous int     `json:"previous"`
	Limit    float64 `json:"limit_percent"`
}

// Run is one run's record.
type Run struct {
	ID        string                   `json:"run"`
	Profile   string                   `json:"profile"`
	Status    string                   `json:"status"` // ok, failed, blocked
	Mode      string                   `json:"mode"`
	Couplings []string                 `json:"couplings"`
	DateFrom  string                   `json:"date_from"`
	DryRun    bool                     `json:"dry_run,omitempty"`
	Started   time.Time                `json:"started"`
	Finished  time.Time                `json:"finished"`
	Delivery  string                   `json:"delivery"`
	Error     string                   `json:"error,omitempty"`
	Entities  map[string]*EntityCounts `json:"entities"`
	Blocked   []GuardHit               `json:"blocked,omitempty"`
	Levels    map[string]int           `json:"levels,omitempty"`
	// Timings are the seconds each stage took (fetch, map, compare, deliver, commit).
	Timings map[string]float64 `json:"timings,omitempty"`
	// StateWrites counts the delivered-state records this run wrote (0 when nothing changed).
	StateWrites int `json:"state_writes"`
	// ChangesKept tells how many changes are stored for inspection (at most MaxChanges).
	ChangesKept int `json:"changes_kept,omitempty"`
}

// Change is one record that differs from the last delivery, kept for the run history.
type Change struct {
	Entity string   `json:"entity"`
	Key    string   `json:"key"`
	Kind   string   `json:"kind"` // Nieuw, Gewijzigd, Verwijderd
	Before []string `json:"before,omitempty"`
	After  []string `json:"after,omitempty"`
}

// MaxChanges bounds the changes kept per run: a first run of a large customer is all new, and
// history need not hold a second copy of it.
const MaxChanges = 5000

// StateUpdate is the new delivered state of one entity: keys to put (with values), keys to drop.
type StateUpdate struct {
	Entity string
	Put    map[string][]string
	Delete []string
}

// Pending is a delivery folder whose rename was not yet confirmed; see the engine's commit.
type Pending struct {
	Temp  string `json:"temp"`
	Final string `json:"final"`
}

// Commit records a run and, in the same transaction, its state updates and pending rename: this
// transaction is the moment a delivery becomes final.
func (s *Store) Commit(run *Run, logs []runlog.Log, changes []Change, updates []StateUpdate, pending *Pending) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		if err := putRun(tx, run, logs, changes); err != nil {
			return err
		}
		if len(updates) > 0 {
			pb, err := tx.Bucket(bState).CreateBucketIfNotExists([]byte(run.Profile))
			if err != nil {
				return err
			}
			for _, u := range updates {
				eb, err := pb.CreateBucketIfNotExists([]byte(u.Entity))
				if err != nil {
					return err
				}
				for _, k := range u.Delete {
					if err := eb.Delete([]byte(k)); err != nil {
						return err
					}
				}
				keys := make([]string, 0, len(u.Put))
				for k := range u.Put {
					keys = append(keys, k)
				}
				sort.Strings(keys) // sequential inserts keep bbolt's pages dense
				for _, k := range keys {
					if err := eb.Put([]byte(k), EncodeValues(u.Put[k])); err != nil {
						return err
					}
				}
			}
		}
		if pending != nil {
			data, _ := json.Marshal(pending)
			return tx.Bucket(bPending).Put([]byte(run.Profile), data)
		}
		return nil
	})
}

// RecordRun stores a run that delivered nothing (failed, blocked or dry), without state.
func (s *Store) RecordRun(run *Run, logs []runlog.Log, changes []Change) error {
	return s.db.Update(func(tx *bolt.Tx) error { return putRun(tx, run, logs, changes) })
}

func putRun(tx *bolt.Tx, run *Run, logs []runlog.Log, changes []Change) error {
	if len(changes) > MaxChanges {
		changes = changes[:MaxChanges]
	}
	run.ChangesKept = len(changes)
	data, err := json.Marshal(run)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bRuns).Put([]byte(run.ID), data); err != nil {
		return err
	}
	if err := putSeq(tx.Bucket(bLogs), run.ID, len(logs), func(i int) any { return logs[i] }); err != nil {
		return err
	}
	return putSeq(tx.Bucket(bChanges), run.ID, len(changes), func(i int) any { return changes[i] })
}

func putSeq(parent *bolt.Bucket, id string, n int, item func(int) any) error {
	if n == 0 {
		return nil
	}
	b, err := parent.CreateBucketIfNotExists([]byte(id))
	if err != nil {
		return err
	}
	b.FillPercent = 1 // append-only
	for i := 0; i < n; i++ {
		data, err := json.Marshal(item(i))
		if err != nil {
			return err
		}
		if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), data); err != nil {
			return err
		}
	}
	return nil
}

// PendingOf returns a profile's unconfirmed rename, or nil.
func (s *Store) PendingOf(name string) (*Pending, error) {
	var p *Pending
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bPending).Get([]byte(name))
		if data == nil {
			return nil
		}
		p = &Pending{}
		return json.Unmarshal(data, p)
	})
	return p, err
}

// ClearPending confirms a rename.
func (s *Store) ClearPending(name string) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bPending).Delete([]byte(name)) })
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
	return s.db.View(func(tx *bolt.Tx) error {
		pb := tx.Bucket(bState).Bucket([]byte(name))
		if pb == nil {
			return nil
		}
		eb := pb.Bucket([]byte(entity))
		if eb == nil {
			return nil
		}
		return eb.ForEach(func(k, v []byte) error {
			vals, err := DecodeValues(v)
			if err != nil {
				return fmt.Errorf("state %s/%s %q: %w", name, entity, k, err)
			}
			return fn(string(k), vals)
		})
	})
}

// Run returns one run.
func (s *Store) Run(id string) (*Run, error) {
	var r Run
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(bRuns).Get([]byte(id))
		if data == nil {
			return fmt.Errorf("run %q: %w", id, ErrNotFound)
		}
		return json.Unmarshal(data, &r)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// Runs lists runs, newest first; name "" lists all profiles' runs.
func (s *Store) Runs(name string) ([]*Run, error) {
	var runs []*Run
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bRuns).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var r Run
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if name == "" || r.Profile == name {
				runs = append(runs, &r)
			}
		}
		return nil
	})
	// Ids sort by second; within one second the start time decides.
	sort.SliceStable(runs, func(i, j int) bool { return runs[i].Started.After(runs[j].Started) })
	return runs, err
}

// LastRun returns a profile's newest run, or nil.
func (s *Store) LastRun(name string) (*Run, error) {
	runs, err := s.Runs(name)
	if err != nil || len(runs) == 0 {
		return nil, err
	}
	return runs[0], nil
}

// RunLogs returns a run's log entries in order.
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

// RunChanges returns the changes kept for a run.
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
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(parent).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		return b.ForEach(func(_, v []byte) error { return fn(v) })
	})
}

// EncodeValues writes a row's values compactly: a uvarint length before each value.
func EncodeValues(vals []string) []byte {
	n := 0
	for _, v := range vals {
		n += len(v) + 2
	}
	b := make([]byte, 0, n)
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// DecodeValues reads what EncodeValues wrote.
func DecodeValues(b []byte) ([]string, error) {
	var out []string
	r := bytes.NewReader(b)
	for r.Len() > 0 {
		n, err := binary.ReadUvarint(r)
		if err != nil || n > uint64(r.Len()) {
			return nil, errors.New("corrupt value")
		}
		buf := make([]byte, n)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, errors.New("corrupt value")
		}
		out = append(out, string(buf))
	}
	return out, nil
}
