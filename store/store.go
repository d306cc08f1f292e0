// Package store keeps koppel's data: profiles (tokens encrypted with AES-GCM) in a small catalog
// file, and per profile its run history (runs, logs, changes), the last delivered value of every
// record ("state") and the pending folder rename, each profile in its own bbolt file.
//
// On disk, for a store at PATH (e.g. ~/.local/share/koppel/koppel.db):
//
//	PATH                     catalog: profiles with sealed tokens (bbolt, 0600)
//	PATH.key                 the AES key, hex (0600), unless KOPPEL_KEY gives it
//	PATH.d/                  one folder for the profiles' data (0700)
//	PATH.d/NAME.db           a profile's history, state (in blocks; blocks.go), pending rename,
//	                         page bounds (bbolt);
//	                         during a run also the state it prepares for entities that had
//	                         none, moved into place by its commit (shadow.go)
//	PATH.d/NAME.held         while a run holds the profile: who (pid, host, since), flock-ed
//	PATH.d/NAME.stage        while a run holds the profile: the delta it staged, in sorted runs
//	                         per entity (bbolt, NoSync; staged.go)
//
// A Store keeps no file open between calls: each method opens the file(s) it needs and closes
// them, so any number of koppel processes share one store. bbolt's flock serialises the brief
// operations; a run holds its profile's file for its whole duration (Hold), which is what refuses
// a second run of the same profile (HeldError) and what a SIGKILL releases. Within one process,
// share one *Store: it shares open files between goroutines (two file descriptors of one process
// would lock each other out).
//
// While a run of another process holds profile P:
//
//	ProfileNames, Profile, PutProfile           work (catalog only)
//	Hold(P), DeleteProfile(P)                   *HeldError at once
//	Runs(P), LastRun(P), LastDelivery(P)        *HeldError at once
//	Run, RunLogs, RunChanges of a run of P      *HeldError at once
//	State, EachState, PendingOf of P            *HeldError at once
//	Commit, RecordRun, ClearPending for P       *HeldError at once (they hold P for a moment)
//	Runs(""), LastRuns                          the other profiles, with a *PartialError
//	Check                                       *HeldError (P cannot be read)
//	Backup                                      the others, with a *PartialError
//	anything on other profiles                  works
//
// A run of this Store holding P (the TUI's own run) does not lock out the Store's readers: they
// share its open file. A file another process uses briefly (not held) is waited for, a few
// seconds at most, then ErrLocked.
//
// A damaged file (truncated, emptied, overwritten, inconsistent) gives a *DamagedError: the
// catalog's at Open, a profile file's on every call that needs that profile.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/sync/profile"
)

// Catalog buckets.
var (
	bProfiles = []byte("profiles")
	bCatMeta  = []byte("meta")
	kFormat   = []byte("format")
)

// catalogFormat is the catalog's layout version: 2 is the catalog with one file per profile.
const catalogFormat = "2"

// ErrNotFound is returned for an unknown profile or run.
var ErrNotFound = errors.New("not found")

// ErrLocked is returned when another koppel process holds the file an operation needs: a
// profile a run holds (then the error is a *HeldError) or, for longer than a few seconds, a file
// another process briefly uses.
var ErrLocked = errors.New("the store is in use by another koppel process")

// ErrKeyMissing is returned when a store exists without its key file and no key is given: a new
// key would make every token unreadable.
var ErrKeyMissing = errors.New("the store's key file is missing")

// errClosed is returned by a closed Store.
var errClosed = errors.New("the store is closed")

// Timeouts for file locks.
const (
	// briefTimeout bounds the wait for a file another process uses briefly.
	briefTimeout = 5 * time.Second
	// lockPoll is the interval between attempts to lock a file.
	lockPoll = 20 * time.Millisecond
)

// Store is an open koppel store.
type Store struct {
	path string
	dir  string // path + ".d": the profiles' files
	key  []byte
	pid  int
	host string

	// hook, when set (tests only), is called at named points of the commit protocol.
	hook func(point string)
	// noSync (tests only) skips fsync: for test runs that open thousands of stores.
	noSync bool

	mu       sync.Mutex
	closed   bool
	files    map[string]*handle  // open bbolt files by path
	sessions map[string]*Session // profiles this Store holds
	runOf    map[string]string   // run id → profile, learnt while reading
}

// Open opens the store at path, creating it (catalog 0600, folder 0700) when no file is there.
// With key nil the AES key is read from the file path+".key" (0600), which is created only with
// a new store: an existing store without it fails with ErrKeyMissing. A damaged catalog fails
// with a *DamagedError. A store of the single-file layout of earlier versions is migrated to one
// file per profile.
func Open(path string, key []byte) (*Store, error) { return openStore(path, key, false) }

func openStore(path string, key []byte, noSync bool) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	if key != nil && len(key) != KeySize {
		return nil, fmt.Errorf("open store: key must be %d bytes", KeySize)
	}
	host, _ := os.Hostname()
	s := &Store{
		path: path, dir: path + ".d", key: key, pid: os.Getpid(), host: host, noSync: noSync,
		files: map[string]*handle{}, sessions: map[string]*Session{}, runOf: map[string]string{},
	}
	_, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if has, _ := s.hasProfileFiles(); has {
			return nil, &DamagedError{Path: path, Reason: "the catalog is missing while " + s.dir + " holds profile data"}
		}
		if s.key == nil {
			if s.key, err = loadOrCreateKey(path + ".key"); err != nil {
				return nil, err
			}
		}
		if err := createBolt(path, initCatalog); err != nil {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	// Check the catalog (and migrate it) before the key: a damaged store says so first.
	if err := s.openCatalog(); err != nil {
		return nil, err
	}
	if s.key == nil {
		if s.key, err = loadKey(path + ".key"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// openCatalog checks the catalog, creates missing buckets and migrates the old layout.
func (s *Store) openCatalog() error {
	h, err := s.acquire(s.path, false, "")
	if errors.Is(err, errNoFile) {
		return &DamagedError{Path: s.path, Reason: "the file is missing"}
	}
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	defer s.release(h)
	var ready bool
	var format string
	err = h.view(func(tx *bolt.Tx) error {
		ready = tx.Bucket(bProfiles) != nil && tx.Bucket(bCatMeta) != nil && !isLegacy(tx)
		if mb := tx.Bucket(bCatMeta); mb != nil {
			format = string(mb.Get(kFormat))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if format != "" && format != catalogFormat {
		return fmt.Errorf("open store %s: its layout %s is of another koppel version", s.path, format)
	}
	if ready {
		return nil
	}
	if err := h.update(initCatalog); err != nil {
		return fmt.Errorf("open store %s: %w", s.path, err)
	}
	return s.migrate(h)
}

func initCatalog(tx *bolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bProfiles); err != nil {
		return err
	}
	mb, err := tx.CreateBucketIfNotExists(bCatMeta)
	if err != nil {
		return err
	}
	if mb.Get(kFormat) == nil && !isLegacy(tx) {
		return mb.Put(kFormat, []byte(catalogFormat))
	}
	return nil
}

// Close closes the store, ending the sessions it holds (their staged changes are dropped).
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	sessions := make([]*Session, 0, len(s.sessions))
	for _, h := range s.sessions {
		if h != nil {
			sessions = append(sessions, h)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, h := range sessions {
		errs = append(errs, h.Close())
	}
	s.mu.Lock()
	s.closed = true
	for p, h := range s.files {
		if h.db != nil {
			errs = append(errs, h.db.Close())
			h.db = nil
		}
		delete(s.files, p)
	}
	s.mu.Unlock()
	return errors.Join(errs...)
}

// Path is the store's catalog file.
func (s *Store) Path() string { return s.path }

// withCatalog runs fn on the catalog, open for the duration of the call.
func (s *Store) withCatalog(fn func(h *handle) error) error {
	h, err := s.acquire(s.path, false, "")
	if errors.Is(err, errNoFile) {
		return &DamagedError{Path: s.path, Reason: "the file is missing"}
	}
	if err != nil {
		return err
	}
	defer s.release(h)
	return fn(h)
}

type storedProfile struct {
	Profile     profile.Profile `json:"profile"`
	SealedToken []byte          `json:"sealed_token"`
	SealedSFTP  []byte          `json:"sealed_sftp,omitempty"` // delivery.sftp's key (sftpkey.go)
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
}

// PutProfile creates or replaces a profile. Its run history and delivered state are kept. It
// needs only the catalog, so it works while a run holds the profile.
func (s *Store) PutProfile(p *profile.Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	sealed, err := seal(s.key, p.Account.Token)
	if err != nil {
		return fmt.Errorf("encrypt token: %w", err)
	}
	sp := storedProfile{Profile: *p, SealedToken: sealed, Updated: time.Now().UTC()}
	if sp.SealedSFTP, err = sealSFTP(s.key, p); err != nil {
		return err
	}
	sp.Profile.Account.Token = ""
	err = s.withCatalog(func(h *handle) error {
		return h.update(func(tx *bolt.Tx) error {
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
	})
	if err != nil {
		return fmt.Errorf("store profile %q: %w", p.Name, err)
	}
	return nil
}

// Profile returns a profile with its token decrypted.
func (s *Store) Profile(name string) (*profile.Profile, error) {
	var sp storedProfile
	err := s.withCatalog(func(h *handle) error {
		return h.view(func(tx *bolt.Tx) error {
			data := tx.Bucket(bProfiles).Get([]byte(name))
			if data == nil {
				return fmt.Errorf("profile %q: %w", name, ErrNotFound)
			}
			if err := json.Unmarshal(data, &sp); err != nil {
				return fmt.Errorf("profile %q: %w", name, err)
			}
			return nil
		})
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
	if err := openSFTP(s.key, sp.SealedSFTP, &p); err != nil {
		return nil, fmt.Errorf("profile %q: %w", name, err)
	}
	return &p, nil
}

// ProfileNames lists the profiles, sorted.
func (s *Store) ProfileNames() ([]string, error) {
	var names []string
	err := s.withCatalog(func(h *handle) error {
		return h.view(func(tx *bolt.Tx) error {
			return tx.Bucket(bProfiles).ForEach(func(k, _ []byte) error {
				names = append(names, string(k))
				return nil
			})
		})
	})
	return names, err
}

// hasProfile tells whether the catalog has a profile.
func (s *Store) hasProfile(name string) (bool, error) {
	var ok bool
	err := s.withCatalog(func(h *handle) error {
		return h.view(func(tx *bolt.Tx) error {
			ok = tx.Bucket(bProfiles).Get([]byte(name)) != nil
			return nil
		})
	})
	return ok, err
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
	// Bytes are the bytes of the files delivered (AFAS Documenten).
	Bytes int64 `json:"bytes,omitempty"`
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
	ID      string `json:"run"`
	Profile string `json:"profile"`
	Status  string `json:"status"` // ok, failed, blocked
	// Kind is empty for a run; KindMatch for the first-sync match (koppel match), which is
	// never a delivery of the coupling.
	Kind      string    `json:"kind,omitempty"`
	Mode      string    `json:"mode"`
	Couplings []string  `json:"couplings"`
	DateFrom  string    `json:"date_from"`
	DryRun    bool      `json:"dry_run,omitempty"`
	Started   time.Time `json:"started"`
	Finished  time.Time `json:"finished"`
	Delivery  string    `json:"delivery"`
	Error     string    `json:"error,omitempty"`
	// ErrorCode and ErrorArgs say the error in the catalog's terms, so that it reads in the
	// language of whoever looks at the run later; Error is the same in English.
	ErrorCode string                   `json:"error_code,omitempty"`
	ErrorArgs []string                 `json:"error_args,omitempty"`
	Entities  map[string]*EntityCounts `json:"entities"`
	Blocked   []GuardHit               `json:"blocked,omitempty"`
	Levels    map[string]int           `json:"levels,omitempty"`
	// Timings are the seconds each stage took (fetch, map, compare, deliver, commit).
	Timings map[string]float64 `json:"timings,omitempty"`
	// StateWrites counts the delivered-state records this run wrote (0 when nothing changed).
	StateWrites int `json:"state_writes"`
	// ChangesKept tells how many changes are stored for inspection (at most MaxChanges).
	ChangesKept int `json:"changes_kept,omitempty"`
	// Upload is the delivery's upload over SFTP (upload.go); nil when the profile has none.
	Upload *Upload `json:"upload,omitempty"`
}

// StatusOK is the status of a run that succeeded.
const StatusOK = "ok"

// isDelivery tells whether a run is a delivery: ok and not a preview.
func (r *Run) isDelivery() bool { return r.Status == StatusOK && !r.DryRun && r.Kind == "" }

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

// AppendValues appends EncodeValues' form of vals to b.
func AppendValues(b []byte, vals []string) []byte {
	for _, v := range vals {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// EncodeValues writes a row's values compactly: a uvarint length before each value.
func EncodeValues(vals []string) []byte {
	return AppendValues(make([]byte, 0, encodedLen(vals)), vals)
}

// encodedLen is the length of EncodeValues(vals).
func encodedLen(vals []string) int {
	n := 0
	for _, v := range vals {
		n += len(v) + uvarintLen(uint64(len(v)))
	}
	return n
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// SplitValues reads what EncodeValues wrote into buf (reused): each value a part of b, so
// valid as long as b is. A walk that writes the values out reads them so, without a string
// per record.
func SplitValues(b []byte, buf [][]byte) ([][]byte, error) {
	buf = buf[:0]
	for i := 0; i < len(b); {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > uint64(len(b)-i-k) {
			return buf, errors.New("corrupt value")
		}
		i += k
		buf = append(buf, b[i:i+int(n):i+int(n)])
		i += int(n)
	}
	return buf, nil
}

// DecodeValues reads what EncodeValues wrote. The values share one copy of b (two allocations
// a record, not two a value: a run decodes every stored record it compares).
func DecodeValues(b []byte) ([]string, error) {
	count := 0
	for i := 0; i < len(b); count++ {
		n, k := binary.Uvarint(b[i:])
		if k <= 0 || n > uint64(len(b)-i-k) {
			return nil, errors.New("corrupt value")
		}
		i += k + int(n)
	}
	if count == 0 {
		return nil, nil
	}
	all := string(b)
	out := make([]string, 0, count)
	for i := 0; i < len(b); {
		n, k := binary.Uvarint(b[i:])
		i += k
		out = append(out, all[i:i+int(n)])
		i += int(n)
	}
	return out, nil
}
