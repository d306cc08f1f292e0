package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"
)

// DamagedError is a store file that cannot be read safely: truncated, emptied, overwritten or
// inconsistent. koppel refuses to use it rather than panic or start afresh.
type DamagedError struct {
	Path   string
	Reason string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the store %s is damaged (%s) — restore a backup", e.Path, e.Reason)
}

// errNoFile is returned by acquire for a file that does not exist and is not to be created.
var errNoFile = errors.New("no such store file")

// handle is one open bbolt file, shared by the goroutines of one Store.
type handle struct {
	path string
	// opening is held while the file is opened, so a second goroutine waits for the first.
	opening sync.Mutex
	db      *bolt.DB
	refs    int // guarded by Store.mu
	// commit is held (write) by a Session's commit and apply, and (read) by readers that need
	// the state whole.
	commit sync.RWMutex
}

// acquire opens a file, or shares it when this Store has it open already. A profile file
// (profile != "") held by another process fails at once with a *HeldError; a file another
// process uses briefly is waited for. With create, a missing file is created; without it,
// acquire returns errNoFile.
func (s *Store) acquire(path string, create bool, profile string) (*handle, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errClosed
	}
	h := s.files[path]
	if h == nil {
		h = &handle{path: path}
		s.files[path] = h
	}
	h.refs++
	s.mu.Unlock()

	h.opening.Lock()
	defer h.opening.Unlock()
	if h.db != nil {
		return h, nil
	}
	db, err := s.openBolt(path, create, profile)
	if err == nil {
		h.db = db
		if profile != "" {
			// A commit whose process died while applying its delta is completed before
			// anything reads the profile.
			err = s.finishApply(h, profile)
		}
	}
	if err != nil {
		if h.db != nil {
			_ = h.db.Close()
			h.db = nil
		}
		s.mu.Lock()
		h.refs--
		if h.refs == 0 && s.files[path] == h {
			delete(s.files, path)
		}
		s.mu.Unlock()
		return nil, err
	}
	return h, nil
}

// release gives back an acquired handle, closing the file with the last user.
func (s *Store) release(h *handle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h.refs--
	if h.refs > 0 {
		return
	}
	if s.files[h.path] == h {
		delete(s.files, h.path)
	}
	if h.db != nil {
		_ = h.db.Close()
		h.db = nil
	}
}

// forget detaches a handle from the Store, so the next acquire opens the path anew (used when
// its file is deleted); the handle closes with its last user.
func (s *Store) forget(h *handle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files[h.path] == h {
		delete(s.files, h.path)
	}
}

// openBolt opens a bbolt file after locking and checking it.
func (s *Store) openBolt(path string, create bool, profile string) (*bolt.DB, error) {
	deadline := time.Now().Add(briefTimeout)
	for {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			if !create {
				return nil, errNoFile
			}
			init := initCatalog
			if profile != "" {
				init = initProfileFile(profile)
				if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
					return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
				}
			}
			if err := createBolt(path, init); err != nil {
				return nil, fmt.Errorf("create %s: %w", path, err)
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		for {
			ok, err := tryLock(f, true)
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("lock %s: %w", path, err)
			}
			if ok {
				break
			}
			if profile != "" {
				if he := s.heldBy(profile); he != nil {
					f.Close()
					return nil, he
				}
			}
			if time.Now().After(deadline) {
				f.Close()
				return nil, fmt.Errorf("%s (waited %s): %w", path, briefTimeout, ErrLocked)
			}
			time.Sleep(lockPoll)
		}
		// The file may have been deleted or replaced while we waited for its lock.
		if fi, err := f.Stat(); err != nil {
			f.Close()
			return nil, fmt.Errorf("stat %s: %w", path, err)
		} else if pi, err := os.Stat(path); err != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		if reason := checkFile(f); reason != "" {
			f.Close()
			return nil, &DamagedError{Path: path, Reason: reason}
		}
		db, err := boltOpen(path, f, s.noSync)
		if err != nil {
			return nil, err
		}
		// bbolt keeps an existing file's mode; a store file must never be readable by others.
		_ = f.Chmod(0o600)
		return db, nil
	}
}

// boltOpen opens an already locked and checked file with bbolt; a panic or a fault (a read
// beyond the end of the mapped file) becomes a DamagedError.
func boltOpen(path string, f *os.File, noSync bool) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			// bbolt's mapping of the file outlives the descriptor, and with it the lock:
			// release the lock itself.
			_ = unlockFile(f)
			f.Close()
			db, err = nil, &DamagedError{Path: path, Reason: fmt.Sprint(r)}
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  briefTimeout, // the file is locked already: bbolt's own flock succeeds at once
		OpenFile: func(string, int, os.FileMode) (*os.File, error) { return f, nil },
		NoSync:   noSync,
		// A run's commit writes the state; see mmapReserve.
		InitialMmapSize: mmapReserve,
	})
	if err != nil {
		if errors.Is(err, bolterr.ErrInvalid) || errors.Is(err, bolterr.ErrChecksum) || errors.Is(err, bolterr.ErrVersionMismatch) {
			return nil, &DamagedError{Path: path, Reason: err.Error()}
		}
		if errors.Is(err, bolterr.ErrTimeout) {
			return nil, fmt.Errorf("%s: %w", path, ErrLocked)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// createBolt creates an initialised bbolt file at path without ever showing a half-made one:
// it is made under a temporary name and linked into place (a file another process created
// first wins).
func createBolt(path string, init func(*bolt.Tx) error) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+randHex(6))
	defer os.Remove(tmp)
	db, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := db.Update(init); err != nil {
		db.Close()
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return err
	}
	err = os.Link(tmp, path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return nil
	}
	// A file system without hard links: rename, unless someone made the file meanwhile.
	if _, serr := os.Stat(path); serr == nil {
		return nil
	}
	return os.Rename(tmp, path)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// bbolt's on-disk constants (go.etcd.io/bbolt/internal/common).
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16
	metaSize         = 64
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	noFreelist       = 0xffffffffffffffff
)

type boltMeta struct {
	pageSize, version, magic  uint32
	root, freelist, hwm, txid uint64
}

// readMeta decodes the meta page in buf (page header included) and says what is wrong with it.
func readMeta(buf []byte, id uint64) (boltMeta, string) {
	var m boltMeta
	if len(buf) < pageHeaderSize+metaSize {
		return m, "too short"
	}
	ne := binary.NativeEndian
	if got := ne.Uint64(buf[0:]); got != id {
		return m, fmt.Sprintf("page id %d", got)
	}
	if flags := ne.Uint16(buf[8:]); flags != metaPageFlag {
		return m, fmt.Sprintf("page flags %#x", flags)
	}
	b := buf[pageHeaderSize:]
	m.magic, m.version, m.pageSize = ne.Uint32(b[0:]), ne.Uint32(b[4:]), ne.Uint32(b[8:])
	m.root, m.freelist, m.hwm, m.txid = ne.Uint64(b[16:]), ne.Uint64(b[32:]), ne.Uint64(b[40:]), ne.Uint64(b[48:])
	sum := fnv.New64a()
	_, _ = sum.Write(b[:56])
	switch {
	case m.magic != boltMagic:
		return m, "bad magic"
	case m.version != boltVersion:
		return m, fmt.Sprintf("version %d", m.version)
	case ne.Uint64(b[56:]) != sum.Sum64():
		return m, "bad checksum"
	case m.pageSize < 512 || m.pageSize > 1<<24 || m.pageSize&(m.pageSize-1) != 0:
		return m, fmt.Sprintf("page size %d", m.pageSize)
	case m.root >= m.hwm || (m.freelist >= m.hwm && m.freelist != noFreelist):
		return m, "pages beyond its high-water mark"
	}
	return m, ""
}

// checkFile checks a bbolt file before bbolt maps it: both meta pages valid, and the file as long
// as the pages they claim (bbolt would fault reading beyond the end). It returns the reason the
// file is damaged, or "". Both meta pages of a sound file are always valid: bbolt writes them
// whole, alternately.
func checkFile(f *os.File) string {
	fi, err := f.Stat()
	if err != nil {
		return err.Error()
	}
	size := fi.Size()
	if size == 0 {
		return "the file is empty"
	}
	buf := make([]byte, pageHeaderSize+metaSize)
	if n, _ := f.ReadAt(buf, 0); n < len(buf) {
		return fmt.Sprintf("the file is only %d bytes", size)
	}
	m0, bad := readMeta(buf, 0)
	if bad != "" {
		return "meta page 0: " + bad
	}
	ps := int64(m0.pageSize)
	if size < 2*ps {
		return fmt.Sprintf("the file is %d bytes, shorter than its two meta pages", size)
	}
	if n, _ := f.ReadAt(buf, ps); n < len(buf) {
		return "meta page 1 cannot be read"
	}
	m1, bad := readMeta(buf, 1)
	if bad != "" {
		return "meta page 1: " + bad
	}
	if m1.pageSize != m0.pageSize {
		return "the meta pages disagree on the page size"
	}
	m := m0
	if m1.txid > m0.txid {
		m = m1
	}
	if need := int64(m.hwm) * ps; size < need {
		return fmt.Sprintf("the file is %d bytes, its meta page needs %d: truncated", size, need)
	}
	// The pages the meta points at must be what it says they are.
	pageFlags := func(id uint64) uint16 {
		b := make([]byte, pageHeaderSize)
		if n, _ := f.ReadAt(b, int64(id)*ps); n < len(b) {
			return 0
		}
		return binary.NativeEndian.Uint16(b[8:])
	}
	if m.freelist != noFreelist {
		if reason := checkFreelist(f, int64(m.freelist)*ps, size); reason != "" {
			return fmt.Sprintf("freelist page %d: %s", m.freelist, reason)
		}
	}
	if fl := pageFlags(m.root); fl != leafPageFlag && fl != branchPageFlag {
		return fmt.Sprintf("page %d is no root", m.root)
	}
	return ""
}

// checkFreelist checks the freelist page at off: bbolt trusts its count, and a wild one makes
// it allocate without bound.
func checkFreelist(f *os.File, off, size int64) string {
	b := make([]byte, pageHeaderSize+8)
	if n, _ := f.ReadAt(b, off); n < len(b) {
		return "cannot be read"
	}
	ne := binary.NativeEndian
	if flags := ne.Uint16(b[8:]); flags != freelistPageFlag {
		return fmt.Sprintf("page flags %#x", flags)
	}
	n := uint64(ne.Uint16(b[10:]))
	if n == 0xFFFF {
		n = ne.Uint64(b[pageHeaderSize:]) + 1
	}
	if room := uint64(size-off-pageHeaderSize) / 8; n > room {
		return fmt.Sprintf("%d page ids do not fit in the file", n)
	}
	return ""
}

// userPanic carries a panic of a caller's callback through the guard that turns bbolt's panics
// into DamagedErrors.
type userPanic struct{ v any }

// callUser calls a caller's callback inside a transaction, marking its panic as the caller's.
func callUser(fn func() error) error {
	defer func() {
		if r := recover(); r != nil {
			panic(&userPanic{r})
		}
	}()
	return fn()
}

// guard turns a panic or a memory fault inside bbolt into a DamagedError; callers' panics go on.
func (h *handle) guard(err *error) {
	if r := recover(); r != nil {
		if up, ok := r.(*userPanic); ok {
			panic(up) // unwrapped where the callback was given
		}
		*err = &DamagedError{Path: h.path, Reason: fmt.Sprintf("reading it failed: %v", r)}
	}
}

// view runs a read transaction.
func (h *handle) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer h.guard(&err)
	return h.db.View(func(tx *bolt.Tx) error {
		err := fn(tx)
		h.releaseMapped(tx)
		return err
	})
}

// update runs a durable write transaction.
func (h *handle) update(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer h.guard(&err)
	return h.db.Update(func(tx *bolt.Tx) error {
		err := fn(tx)
		h.releaseMapped(tx)
		return err
	})
}

// Profile file names: a profile name as koppel validates it is used as it is; any other name is
// written as "~" and its hex, so no name can reach outside the folder.
var plainName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

func fileBase(name string) string {
	if plainName.MatchString(name) {
		return name
	}
	return "~" + hex.EncodeToString([]byte(name))
}

func nameOfFile(file string) (string, bool) {
	base, ok := strings.CutSuffix(file, ".db")
	if !ok {
		return "", false
	}
	if plainName.MatchString(base) {
		return base, true
	}
	if h, ok := strings.CutPrefix(base, "~"); ok {
		if b, err := hex.DecodeString(h); err == nil && len(b) > 0 {
			return string(b), true
		}
	}
	return "", false
}

func (s *Store) profilePath(name string) string {
	return filepath.Join(s.dir, fileBase(name)+".db")
}

func (s *Store) stagePath(name string) string {
	return filepath.Join(s.dir, fileBase(name)+".stage")
}

func (s *Store) heldPath(name string) string {
	return filepath.Join(s.dir, fileBase(name)+".held")
}

// profileFiles lists the profiles that have a file, sorted.
func (s *Store) profileFiles() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list profiles: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n, ok := nameOfFile(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

func (s *Store) hasProfileFiles() (bool, error) {
	names, err := s.profileFiles()
	return len(names) > 0, err
}
