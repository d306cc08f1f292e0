package store_test

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/store"
)

// filledStore makes a store with two profiles, some history and state, and closes it.
func filledStore(t *testing.T) string {
	t.Helper()
	s, path := newStore(t)
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
		put := map[string][]string{}
		for i := 0; i < 300; i++ {
			put[strings.Repeat("k", 20)+string(rune('a'+i%26))+string(rune('a'+i/26))] = []string{strings.Repeat("value", 10)}
		}
		for _, id := range []string{"r1", "r2"} {
			if err := s.Commit(&store.Run{ID: id + n, Profile: n, Status: "ok"}, nil, nil, []store.StateUpdate{{Entity: "e", Put: put}}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func damaged(t *testing.T, err error, want string) {
	t.Helper()
	var de *store.DamagedError
	if !errors.As(err, &de) {
		t.Fatalf("not a DamagedError: %v", err)
	}
	if !strings.Contains(err.Error(), "is damaged (") || !strings.HasSuffix(err.Error(), "— restore a backup") || !strings.Contains(de.Reason, want) {
		t.Errorf("message %q, want reason with %q", err, want)
	}
}

func truncate(t *testing.T, path string, size func(int64) int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, size(fi.Size())); err != nil {
		t.Fatal(err)
	}
}

func flip(t *testing.T, path string, offset int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, offset); err != nil {
		t.Fatal(err)
	}
}

func TestDamagedCatalogIsRefused(t *testing.T) {
	ps := int64(os.Getpagesize())
	for _, c := range []struct {
		name, want string
		harm       func(t *testing.T, path string)
	}{
		{"half", "truncated", func(t *testing.T, p string) { truncate(t, p, func(n int64) int64 { return n / 2 }) }},
		{"8KiB", "", func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return 8192 }) }},
		{"two pages", "truncated", func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return 2 * ps }) }},
		{"one page", "shorter than its two meta pages", func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return ps + 100 }) }},
		{"a few bytes", "only 40 bytes", func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return 40 }) }},
		{"emptied", "the file is empty", func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return 0 }) }},
		{"meta 0 checksum", "meta page 0: bad checksum", func(t *testing.T, p string) { flip(t, p, 16+40) }},
		{"meta 1 checksum", "meta page 1: bad checksum", func(t *testing.T, p string) { flip(t, p, ps+16+48) }},
		{"meta 0 magic", "meta page 0: bad magic", func(t *testing.T, p string) { flip(t, p, 16) }},
		{"meta 1 version", "meta page 1: version", func(t *testing.T, p string) { flip(t, p, ps+16+4) }},
		{"meta 0 page id", "meta page 0: page id", func(t *testing.T, p string) { flip(t, p, 0) }},
		{"meta 1 flags", "meta page 1: page flags", func(t *testing.T, p string) { flip(t, p, ps+8) }},
		{"overwritten", "meta page 0", func(t *testing.T, p string) {
			if err := os.WriteFile(p, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filledStore(t)
			c.harm(t, path)
			size := func() int64 { fi, _ := os.Stat(path); return fi.Size() }
			before := size()
			_, err := store.Open(path, nil)
			damaged(t, err, c.want)
			if !strings.Contains(err.Error(), path) {
				t.Errorf("the message does not name the file: %v", err)
			}
			if size() != before {
				t.Errorf("opening changed the damaged file: %d → %d bytes", before, size())
			}
		})
	}
}

func TestMissingCatalogWithDataIsRefused(t *testing.T) {
	path := filledStore(t)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(path, nil)
	damaged(t, err, "catalog is missing")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new catalog was made: %v", err)
	}
}

func TestDamagedProfileFileFailsItsProfileOnly(t *testing.T) {
	for _, harm := range []func(t *testing.T, p string){
		// Half of its pages: a written profile file has room to grow beyond them.
		func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return usedSize(t, p) / 2 }) },
		func(t *testing.T, p string) { truncate(t, p, func(int64) int64 { return 0 }) },
		func(t *testing.T, p string) { flip(t, p, 16+8) },
	} {
		path := filledStore(t)
		file := filepath.Join(path+".d", "acme.db")
		harm(t, file)
		s := openStore(t, path)
		_, err := s.Runs("acme")
		damaged(t, err, "")
		_, err = s.Hold("acme")
		damaged(t, err, "")
		damaged(t, s.EachState("acme", "e", func(string, []string) error { return nil }), "")
		last, err := s.LastRuns()
		var pe *store.PartialError
		if !errors.As(err, &pe) || pe.Failed["acme"] == nil || last["beta"] == nil {
			t.Errorf("last runs: %v %v", last, err)
		}
		damaged(t, err, "")
		damaged(t, s.Check(), "")
		if err := s.Backup(io.Discard); err == nil {
			t.Error("backup of a damaged store")
		}
		// The other profile and the catalog work.
		if _, err := s.Runs("beta"); err != nil {
			t.Errorf("runs of beta: %v", err)
		}
		if _, err := s.Profile("acme"); err != nil {
			t.Errorf("profile acme: %v", err)
		}
		h, err := s.Hold("beta")
		if err != nil {
			t.Fatal(err)
		}
		h.Close()
	}
}

// metaOf reads the current meta page of a bbolt file: root page, freelist page.
func metaOf(t *testing.T, data []byte) (root, freelist uint64) {
	t.Helper()
	ps := os.Getpagesize()
	ne := binary.NativeEndian
	m := data[16:]
	if ne.Uint64(data[ps+16+48:]) > ne.Uint64(m[48:]) {
		m = data[ps+16:]
	}
	return ne.Uint64(m[16:]), ne.Uint64(m[32:])
}

// usedSize is the size of the pages a bbolt file's current meta page counts (its high water mark).
func usedSize(t *testing.T, path string) int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := os.Getpagesize()
	ne := binary.NativeEndian
	m := data[16:]
	if ne.Uint64(data[ps+16+48:]) > ne.Uint64(m[48:]) {
		m = data[ps+16:]
	}
	return int64(ne.Uint64(m[40:])) * int64(ps)
}

// garble overwrites the pages of a profile file from page 2 on that keep(id) rejects.
func garble(t *testing.T, file string, fill byte, keep func(id int, data []byte) bool) {
	t.Helper()
	ps := os.Getpagesize()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for id := 2; id*ps < len(data); id++ {
		if keep(id, data) {
			continue
		}
		for i := id * ps; i < (id+1)*ps && i < len(data); i++ {
			data[i] = fill
		}
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Pages garbled behind valid meta pages would make bbolt panic, fault, or allocate without
// bound: each is a DamagedError, found before bbolt maps the file or caught while it reads.
func TestGarbledPagesDoNotPanic(t *testing.T) {
	for _, c := range []struct {
		name, want string
		fill       byte
		keep       func(id int, data []byte) bool
	}{
		{"all zero", "freelist page", 0x00, func(int, []byte) bool { return false }},
		{"all ones", "freelist page", 0xff, func(int, []byte) bool { return false }},
		{"root", "no root", 0x5a, func(id int, data []byte) bool { _, fl := metaOf(t, data); return uint64(id) == fl }},
		{"data pages", "", 0x5a, func(id int, data []byte) bool {
			root, fl := metaOf(t, data)
			return uint64(id) == root || uint64(id) == fl
		}},
		{"freelist count", "do not fit", 0, func(id int, data []byte) bool {
			if _, fl := metaOf(t, data); uint64(id) == fl {
				ps := os.Getpagesize()
				binary.NativeEndian.PutUint16(data[id*ps+10:], 0xFFFF)
				binary.NativeEndian.PutUint64(data[id*ps+16:], 1<<50)
			}
			return true
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filledStore(t)
			garble(t, filepath.Join(path+".d", "acme.db"), c.fill, c.keep)
			s := openStore(t, path)
			start := time.Now()
			errs := map[string]error{
				"state": s.EachState("acme", "e", func(string, []string) error { return nil }),
				"check": s.Check(),
			}
			if c.name != "data pages" { // these live in the root page there
				_, errs["runs"] = s.Runs("acme")
				_, errs["hold"] = s.Hold("acme")
			}
			for what, err := range errs {
				var de *store.DamagedError
				if !errors.As(err, &de) {
					t.Errorf("%s: %v", what, err)
				} else if !strings.Contains(de.Reason, c.want) {
					t.Errorf("%s: reason %q, want %q", what, de.Reason, c.want)
				}
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("took %s: a lock was left behind", d)
			}
			if _, err := s.Runs("beta"); err != nil {
				t.Errorf("runs of beta: %v", err)
			}
		})
	}
}

func TestCheckSoundStore(t *testing.T) {
	path := filledStore(t)
	s := openStore(t, path)
	if err := s.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

func TestCheckFindsInconsistentRecords(t *testing.T) {
	for _, c := range []struct {
		want string
		harm func(tx *bolt.Tx) error
	}{
		{"missing from the index", func(tx *bolt.Tx) error { return tx.Bucket([]byte("runids")).Delete([]byte("r1acme")) }},
		{"run record", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("runs")).Put([]byte("\x00\x00\x00\x00\x00\x00\x00\x09"), []byte("{"))
		}},
		{"index has 3 entries for 2 runs", func(tx *bolt.Tx) error { return tx.Bucket([]byte("runids")).Put([]byte("zz"), []byte("x")) }},
		{"without its run", func(tx *bolt.Tx) error {
			_, err := tx.Bucket([]byte("runlogs")).CreateBucket([]byte("nope"))
			return err
		}},
		{"last delivery points at no run", func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("delivery"), []byte("nope")) }},
		{"the staged state of committed run r9 is missing", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("apply"), []byte(`{"run":"r9"}`))
		}},
		{"apply marker", func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("apply"), []byte(`{`)) }},
		{"corrupt value", func(tx *bolt.Tx) error { // a block of one record, "bad", whose value does not decode
			return tx.Bucket([]byte("state")).Bucket([]byte("e")).Put([]byte("bad"), []byte{3, 'b', 'a', 'd', 1, 0x09})
		}},
		{"state e: corrupt block", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("state")).Bucket([]byte("e")).Put([]byte("zz"), []byte{9, 'z'})
		}},
		{"buckets missing", func(tx *bolt.Tx) error { return tx.DeleteBucket([]byte("runids")) }},
		{"the run index has 2 entries for 6 runs", func(tx *bolt.Tx) error { // five problems, all told
			for i := 0; i < 4; i++ {
				if err := tx.Bucket([]byte("runs")).Put([]byte{0, 0, 0, 0, 0, 0, 1, byte(i)}, []byte("{")); err != nil {
					return err
				}
			}
			return nil
		}},
		{"; and 3 more", func(tx *bolt.Tx) error {
			for i := 0; i < 7; i++ {
				if err := tx.Bucket([]byte("runs")).Put([]byte{0, 0, 0, 0, 0, 0, 1, byte(i)}, []byte("{")); err != nil {
					return err
				}
			}
			return nil
		}},
	} {
		t.Run(c.want, func(t *testing.T) {
			path := filledStore(t)
			db, err := bolt.Open(filepath.Join(path+".d", "acme.db"), 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Update(c.harm); err != nil {
				t.Fatal(err)
			}
			db.Close()
			s := openStore(t, path)
			err = s.Check()
			damaged(t, err, c.want)
			if strings.Contains(err.Error(), "more") != strings.Contains(c.want, "more") {
				t.Errorf("problems counted: %v", err)
			}
			if !strings.Contains(err.Error(), "acme.") {
				t.Errorf("check does not name the file: %v", err)
			}
		})
	}
}

// rewriteMeta changes a meta page of a bbolt file and gives it a valid checksum again, so only
// the change itself is wrong.
func rewriteMeta(t *testing.T, path string, page int, change func(m []byte)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := data[page*os.Getpagesize()+16:]
	change(m)
	sum := fnv.New64a()
	sum.Write(m[:56])
	binary.NativeEndian.PutUint64(m[56:], sum.Sum64())
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestImplausibleMetaIsRefused(t *testing.T) {
	ne := binary.NativeEndian
	newer := func(t *testing.T, p string) int {
		data, _ := os.ReadFile(p)
		if ne.Uint64(data[os.Getpagesize()+16+48:]) > ne.Uint64(data[16+48:]) {
			return 1
		}
		return 0
	}
	for _, c := range []struct {
		name, want string
		harm       func(t *testing.T, p string)
	}{
		{"small pages", "page size 256", func(t *testing.T, p string) {
			rewriteMeta(t, p, 0, func(m []byte) { ne.PutUint32(m[8:], 256) })
		}},
		{"huge pages", "page size 33554432", func(t *testing.T, p string) {
			rewriteMeta(t, p, 0, func(m []byte) { ne.PutUint32(m[8:], 1<<25) })
		}},
		{"odd pages", "page size 4097", func(t *testing.T, p string) {
			rewriteMeta(t, p, 1, func(m []byte) { ne.PutUint32(m[8:], 4097) })
		}},
		{"pages disagree", "disagree on the page size", func(t *testing.T, p string) {
			rewriteMeta(t, p, 1, func(m []byte) { ne.PutUint32(m[8:], 8192) })
		}},
		{"root beyond", "beyond its high-water mark", func(t *testing.T, p string) {
			rewriteMeta(t, p, 0, func(m []byte) { ne.PutUint64(m[16:], ne.Uint64(m[40:])) })
		}},
		{"freelist beyond", "beyond its high-water mark", func(t *testing.T, p string) {
			rewriteMeta(t, p, 1, func(m []byte) { ne.PutUint64(m[32:], ne.Uint64(m[40:])) })
		}},
		{"newer meta claims more", "truncated", func(t *testing.T, p string) {
			fi, _ := os.Stat(p)
			rewriteMeta(t, p, newer(t, p), func(m []byte) { ne.PutUint64(m[40:], uint64(fi.Size())/uint64(os.Getpagesize())+1) })
		}},
		{"freelist on a leaf", "freelist page", func(t *testing.T, p string) {
			rewriteMeta(t, p, newer(t, p), func(m []byte) { ne.PutUint64(m[32:], ne.Uint64(m[16:])) })
		}},
		{"root on the freelist", "is no root", func(t *testing.T, p string) {
			rewriteMeta(t, p, newer(t, p), func(m []byte) { ne.PutUint64(m[16:], ne.Uint64(m[32:])) })
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filledStore(t)
			c.harm(t, path)
			_, err := store.Open(path, nil)
			damaged(t, err, c.want)
		})
	}
	// The older meta page may claim less than the file: bbolt reads the newer.
	path := filledStore(t)
	rewriteMeta(t, path, 1-newer(t, path), func(m []byte) { ne.PutUint64(m[40:], 4) })
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatalf("open with an older meta page claiming less: %v", err)
	}
	s.Close()
}

// A freelist too long for the page it says it has: bbolt would believe its count.
func TestLongFreelistCount(t *testing.T) {
	path := filledStore(t)
	file := filepath.Join(path+".d", "acme.db")
	data, _ := os.ReadFile(file)
	_, fl := metaOf(t, data)
	ps := os.Getpagesize()
	room := (len(data) - int(fl)*ps - 16) / 8
	for _, c := range []struct {
		count uint64
		ok    bool
	}{{uint64(room) - 1, true}, {uint64(room), false}} {
		binary.NativeEndian.PutUint16(data[int(fl)*ps+10:], 0xFFFF)
		binary.NativeEndian.PutUint64(data[int(fl)*ps+16:], c.count)
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, path)
		_, err := s.LastRun("acme")
		var de *store.DamagedError
		// Within the page ids may still be wrong (bbolt may fail on them); beyond it, the
		// count is refused before bbolt reads it.
		if c.ok && err != nil && strings.Contains(err.Error(), "do not fit") || !c.ok && (!errors.As(err, &de) || !strings.Contains(de.Reason, "do not fit")) {
			t.Errorf("count %d of room %d: %v", c.count, room, err)
		}
		s.Close()
	}
}

// A block of the state that does not unpack fails the readers that meet it, never reads as a
// record that is not there (a run would then deliver it anew).
func TestACorruptBlockFailsItsReaders(t *testing.T) {
	path := filledStore(t)
	db, err := bolt.Open(filepath.Join(path+".d", "acme.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("state")).Bucket([]byte("e")).Put([]byte("zzzz"), []byte{9, 'z'})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path)
	h, err := s.Hold("acme")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if _, _, err := h.Get("e", "zzz"); err == nil || !strings.Contains(err.Error(), "corrupt block") {
		t.Errorf("Get: %v", err)
	}
	err = h.GetMany("e", []string{"zzz"}, func(int, []byte) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "corrupt block") {
		t.Errorf("GetMany: %v", err)
	}
	if err := h.EachStateRaw("e", func(k, raw []byte) error { return nil }); err == nil || !strings.Contains(err.Error(), "corrupt block") {
		t.Errorf("EachStateRaw: %v", err)
	}
	err = h.EachDeliveredRaw("e", func(k, raw []byte, kind string) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "corrupt block") {
		t.Errorf("EachDeliveredRaw: %v", err)
	}
}
