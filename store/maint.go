package store

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Check runs bbolt's full consistency check over the catalog and every profile file, and checks
// that the run records, their index and the state decode. Every problem found is returned (a
// *DamagedError per damaged file, joined); a profile a run holds in another process cannot be
// checked and gives its *HeldError.
func (s *Store) Check() error {
	var errs []error
	if err := s.withCatalog(func(h *handle) error { return checkBolt(h, nil) }); err != nil {
		errs = append(errs, err)
	}
	names, err := s.profileFiles()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range names {
		h, err := s.acquire(s.profilePath(n), false, n)
		if errors.Is(err, errNoFile) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h.commit.RLock()
		err = checkBolt(h, checkProfile)
		h.commit.RUnlock()
		s.release(h)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkBolt runs bbolt's check and then app, in one read transaction.
func checkBolt(h *handle, app func(tx *bolt.Tx) []string) error {
	var problems []string
	err := h.view(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			problems = append(problems, err.Error())
		}
		if len(problems) == 0 && app != nil {
			problems = app(tx)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) == 0 {
		return nil
	}
	reason := strings.Join(problems[:min(len(problems), 5)], "; ")
	if len(problems) > 5 {
		reason += fmt.Sprintf("; and %d more", len(problems)-5)
	}
	return &DamagedError{Path: h.path, Reason: reason}
}

// checkProfile checks a profile file's records beyond bbolt's structure.
func checkProfile(tx *bolt.Tx) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	runs, ids := tx.Bucket(bRuns), tx.Bucket(bRunIDs)
	if runs == nil || ids == nil || tx.Bucket(bMeta) == nil {
		return []string{"buckets missing"}
	}
	n := 0
	_ = runs.ForEach(func(k, v []byte) error {
		n++
		r, err := decodeRun(v)
		switch {
		case err != nil:
			add("run %x: %v", k, err)
		case !bytes.Equal(ids.Get([]byte(r.ID)), k):
			add("run %s is missing from the index", r.ID)
		}
		return nil
	})
	if m := ids.Stats().KeyN; m != n {
		add("the run index has %d entries for %d runs", m, n)
	}
	for _, parent := range [][]byte{bLogs, bChanges} {
		if pb := tx.Bucket(parent); pb != nil {
			_ = pb.ForEachBucket(func(k []byte) error {
				if runs.Get(k) == nil {
					add("%s of run %x without its run", parent, k)
				}
				return nil
			})
		}
	}
	if d := tx.Bucket(bMeta).Get(kDelivery); d != nil && runs.Get(d) == nil {
		add("the last delivery points at no run")
	}
	if sb := tx.Bucket(bState); sb != nil {
		_ = sb.ForEachBucket(func(ent []byte) error {
			rc := stateCursor(sb.Bucket(ent))
			for k, v := rc.first(); k != nil; k, v = rc.next() {
				if v == nil {
					add("state %s: %v", ent, errCorruptBlock)
					break
				} else if _, err := DecodeValues(v); err != nil {
					add("state %s %q: %v", ent, k, err)
				}
			}
			return nil
		})
	}
	return problems
}

// Backup writes a consistent copy of the store to w as a tar archive: the catalog under its own
// base name (e.g. koppel.db) and each profile file under BASE.d/ (e.g. koppel.db.d/acme.db),
// each copied in one read transaction (bbolt's hot backup), so runs go on meanwhile. Extracted
// into a folder, it is a store again. The key file is not in it: keep the key (or KOPPEL_KEY)
// apart. A profile a run holds in another process cannot be copied: it is left out, and after
// writing the rest Backup returns a *PartialError naming it (the archive is complete for what
// it holds, so a nightly backup still saves every other customer).
func (s *Store) Backup(w io.Writer) error {
	tw := tar.NewWriter(w)
	base := filepath.Base(s.path)
	now := time.Now()
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: base + ".d/", Mode: 0o700, ModTime: now}); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	copyFile := func(h *handle, name string) error {
		return h.view(func(tx *bolt.Tx) error {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, Size: tx.Size(), ModTime: now}); err != nil {
				return err
			}
			_, err := tx.WriteTo(tw)
			return err
		})
	}
	if err := s.withCatalog(func(h *handle) error { return copyFile(h, base) }); err != nil {
		return fmt.Errorf("backup %s: %w", s.path, err)
	}
	names, err := s.profileFiles()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	var partial PartialError
	for _, n := range names {
		h, err := s.acquire(s.profilePath(n), false, n)
		if errors.Is(err, errNoFile) {
			continue
		}
		var held *HeldError
		if errors.As(err, &held) {
			if partial.Held == nil {
				partial.Held = map[string]*HeldError{}
			}
			partial.Held[n] = held
			continue
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		h.commit.RLock()
		err = copyFile(h, base+".d/"+filepath.Base(h.path))
		h.commit.RUnlock()
		s.release(h)
		if err != nil {
			return fmt.Errorf("backup %s: %w", h.path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if partial.Held != nil {
		return &partial
	}
	return nil
}

// BackupTo writes Backup's archive to a file (0600), complete or not at all; an archive
// without the profiles held elsewhere is written, and their *PartialError returned.
func (s *Store) BackupTo(path string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+randHex(6))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp)
	err = s.Backup(f)
	var partial *PartialError
	if errors.As(err, &partial) {
		err = nil
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	if partial != nil {
		return partial
	}
	return nil
}
