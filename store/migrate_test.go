package store_test

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/runlog"
)

// oldStore writes a store of the single-file layout, as koppel wrote it before the catalog: the
// profiles as today, and runs, logs, changes, state and pending renames of every profile in the
// same file.
func oldStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "koppel.db")
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"acme", "beta"} {
		if err := s.PutProfile(named(n)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if err := os.RemoveAll(path + ".d"); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	err = db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("meta")); err != nil {
			return err
		}
		b := map[string]*bolt.Bucket{}
		for _, name := range []string{"runs", "runlogs", "runchanges", "state", "pending"} {
			var err error
			if b[name], err = tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		put := func(bk *bolt.Bucket, k string, v any) {
			data, _ := json.Marshal(v)
			if err := bk.Put([]byte(k), data); err != nil {
				t.Fatal(err)
			}
		}
		// acme: three runs (ids out of time order: the old store ordered by id), beta: one, and a
		// run of a profile no longer in the catalog.
		runs := []store.Run{
			{ID: "20250601-100000-aaaa", Profile: "acme", Status: "ok", Started: t0.Add(2 * time.Hour)},
			{ID: "20250601-080000-bbbb", Profile: "acme", Status: "ok", Started: t0},
			{ID: "20250601-090000-cccc", Profile: "acme", Status: "failed", Started: t0.Add(time.Hour)},
			{ID: "20250601-083000-dddd", Profile: "beta", Status: "ok", Started: t0.Add(30 * time.Minute), DryRun: true},
			{ID: "20250601-070000-eeee", Profile: "gone", Status: "ok", Started: t0.Add(-time.Hour)},
		}
		for i, r := range runs {
			put(b["runs"], r.ID, r)
			lb, _ := b["runlogs"].CreateBucket([]byte(r.ID))
			put(lb, string(binary.BigEndian.AppendUint64(nil, 0)), runlog.Log{Level: runlog.Melding, Code: "log-" + r.ID})
			if i%2 == 0 {
				cb, _ := b["runchanges"].CreateBucket([]byte(r.ID))
				put(cb, string(binary.BigEndian.AppendUint64(nil, 0)), store.Change{Entity: "absences", Key: "k-" + r.ID, Kind: "Nieuw"})
			}
		}
		for _, p := range []string{"acme", "beta"} {
			pb, _ := b["state"].CreateBucket([]byte(p))
			eb, _ := pb.CreateBucket([]byte("absences"))
			for i := 0; i < 3; i++ {
				if err := eb.Put([]byte(fmt.Sprintf("%s-%d", p, i)), store.EncodeValues([]string{p, fmt.Sprint(i)})); err != nil {
					return err
				}
			}
		}
		put(b["pending"], "beta", store.Pending{Temp: "/out/.beta", Final: "/out/beta"})
		// delta has state but no runs left; epsilon only a pending rename.
		pb, _ := b["state"].CreateBucket([]byte("delta"))
		eb, _ := pb.CreateBucket([]byte("absences"))
		if err := eb.Put([]byte("d"), store.EncodeValues([]string{"delta"})); err != nil {
			return err
		}
		put(b["pending"], "epsilon", store.Pending{Temp: "/out/.e", Final: "/out/e"})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func checkMigrated(t *testing.T, s *store.Store) {
	t.Helper()
	runs, err := s.Runs("acme")
	if err != nil || ids(runs) != "20250601-100000-aaaa 20250601-090000-cccc 20250601-080000-bbbb" {
		t.Errorf("runs of acme: %s %v", ids(runs), err)
	}
	all, err := s.Runs("")
	if err != nil || len(all) != 5 || all[4].ID != "20250601-070000-eeee" || all[3].Profile != "acme" || all[2].Profile != "beta" {
		t.Errorf("all runs: %s %v", ids(all), err)
	}
	if l, _ := s.RunLogs("20250601-090000-cccc"); len(l) != 1 || l[0].Code != "log-20250601-090000-cccc" {
		t.Errorf("logs: %v", l)
	}
	if c, _ := s.RunChanges("20250601-083000-dddd"); len(c) != 0 {
		t.Errorf("changes of a run without: %v", c)
	}
	if c, _ := s.RunChanges("20250601-090000-cccc"); len(c) != 1 || c[0].Key != "k-20250601-090000-cccc" {
		t.Errorf("changes: %v", c)
	}
	if got := stateOf(t, s, "acme", "absences"); got != "acme-0=acme,0 acme-1=acme,1 acme-2=acme,2" {
		t.Errorf("state of acme: %q", got)
	}
	if got := stateOf(t, s, "beta", "absences"); !strings.HasPrefix(got, "beta-0=beta,0 ") {
		t.Errorf("state of beta: %q", got)
	}
	if p, err := s.PendingOf("beta"); err != nil || p == nil || p.Final != "/out/beta" {
		t.Errorf("pending of beta: %v %v", p, err)
	}
	if got := stateOf(t, s, "delta", "absences"); got != "d=delta" {
		t.Errorf("state of delta: %q", got)
	}
	if p, err := s.PendingOf("epsilon"); err != nil || p == nil || p.Final != "/out/e" {
		t.Errorf("pending of epsilon: %v %v", p, err)
	}
	if p, _ := s.PendingOf("acme"); p != nil {
		t.Errorf("pending of acme: %v", p)
	}
	if d, _ := s.LastDelivery("acme"); d == nil || d.ID != "20250601-100000-aaaa" {
		t.Errorf("last delivery of acme: %v", d)
	}
	if d, _ := s.LastDelivery("beta"); d != nil {
		t.Errorf("a preview as last delivery: %v", d)
	}
	if p, err := s.Profile("acme"); err != nil || !strings.Contains(p.Account.Token, tokenData) {
		t.Errorf("profile after migration: %v", err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("check: %v", err)
	}
}

func catalogBuckets(t *testing.T, path string) string {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var names []string
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(n []byte, _ *bolt.Bucket) error {
			names = append(names, string(n))
			return nil
		})
	})
	return strings.Join(names, " ")
}

func TestMigrationFromTheSingleFileLayout(t *testing.T) {
	path := oldStore(t)
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path)
	checkMigrated(t, s)
	s.Close()
	if got := catalogBuckets(t, path); got != "meta profiles" {
		t.Errorf("catalog buckets after migration: %s", got)
	}
	for _, n := range []string{"acme", "beta", "gone", "delta", "epsilon"} {
		if _, err := os.Stat(filepath.Join(path+".d", n+".db")); err != nil {
			t.Errorf("profile file of %s: %v", n, err)
		}
	}
	// Opening again changes nothing.
	s = openStore(t, path)
	checkMigrated(t, s)
	s.Close()

	// Interrupted after acme was migrated, before beta and the clean-up: acme is not migrated
	// twice, beta is.
	if err := os.WriteFile(path, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(path+".d", "beta.db")); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, path)
	checkMigrated(t, s)
	if got := catalogBuckets(t, path+".d/beta.db"); got != "bounds meta runchanges runids runlogs runs state" {
		t.Errorf("profile file buckets: %s", got)
	}
}

func TestMigrationOfADamagedRun(t *testing.T) {
	path := oldStore(t)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("runs")).Put([]byte("x"), []byte("{")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = store.Open(path, nil)
	damaged(t, err, "migrating")
	if got := catalogBuckets(t, path); !strings.Contains(got, "runs") {
		t.Errorf("old data dropped: %s", got)
	}
}
