package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
)

const tokenData = "feedfacecafebeef0123456789abcdef0123456789abcdef0123456789abcdef"

func testProfile() *profile.Profile {
	p := &profile.Profile{
		Name: "acme", Account: profile.Account{Name: "Acme", Participant: "12345", Environment: "test", Token: tokenData},
		Employer: "ACME", Couplings: profile.Couplings{Verzuim: profile.Verzuim{Enabled: true}},
		DateFrom: "2022-01-31", Delivery: profile.Delivery{Outbox: "/tmp/out"},
	}
	p.Defaults()
	return p
}

func TestTokenEncryptedAtRestAndFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "k.db")
	s, err := store.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutProfile(testProfile()); err != nil {
		t.Fatal(err)
	}
	p, err := s.Profile("acme")
	if err != nil || !strings.Contains(p.Account.Token, tokenData) {
		t.Fatalf("token not read back: %v", err)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(tokenData)) || bytes.Contains(raw, []byte(tokenData[:16])) {
		t.Fatal("the token is stored in plain text")
	}
	for _, f := range []string{path, path + ".key"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
		}
	}
	// Another key cannot read the token.
	other := bytes.Repeat([]byte{7}, store.KeySize)
	s2, err := store.Open(path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Profile("acme"); err == nil || strings.Contains(err.Error(), tokenData) {
		t.Errorf("read with another key: %v", err)
	}
}

func TestParseKey(t *testing.T) {
	for _, ok := range []string{strings.Repeat("ab", 32), "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA="} {
		if _, err := store.ParseKey(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "geheim", strings.Repeat("ab", 31)} {
		if _, err := store.ParseKey(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestReimportKeepsHistoryAndState(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := testProfile()
	if err := s.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	run := &store.Run{ID: "20260101-000000-0001", Profile: "acme", Status: "ok"}
	logs := []runlog.Log{{Level: runlog.Uitval, Entity: "absences", Key: "1/2", Code: "abs.percentage_range", Args: []string{"120"}}}
	upd := []store.StateUpdate{{Entity: "absences", Put: map[string][]string{"k1": {"a", "", "c;d"}}}}
	if err := s.Commit(run, logs, []store.Change{{Entity: "absences", Key: "k1", Kind: "Nieuw", After: []string{"a"}}}, upd, nil); err != nil {
		t.Fatal(err)
	}
	p.Account.Name = "Acme Zorg"
	if err := s.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	st, _ := s.State("acme", "absences")
	if got := st["k1"]; len(got) != 3 || got[2] != "c;d" || got[1] != "" {
		t.Errorf("state after re-import: %v", st)
	}
	runs, _ := s.Runs("acme")
	gotLogs, _ := s.RunLogs(run.ID)
	changes, _ := s.RunChanges(run.ID)
	if len(runs) != 1 || len(gotLogs) != 1 || gotLogs[0].Args[0] != "120" || len(changes) != 1 {
		t.Errorf("history after re-import: %d runs, logs %v, changes %v", len(runs), gotLogs, changes)
	}
	if err := s.DeleteProfile("acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Profile("acme"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted profile: %v", err)
	}
	if st, _ := s.State("acme", "absences"); len(st) != 0 {
		t.Errorf("state survives deletion")
	}
}

func TestInvalidProfileNotStored(t *testing.T) {
	s, err := store.Open(filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := testProfile()
	p.DateFrom = "2022-31-01"
	if err := s.PutProfile(p); err == nil {
		t.Fatal("invalid profile stored")
	}
	if names, _ := s.ProfileNames(); len(names) != 0 {
		t.Errorf("stored: %v", names)
	}
}

func TestRunsNewestFirst(t *testing.T) {
	s, _ := newStore(t)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Runs of a profile are listed in the order they were recorded, newest first, even when
	// their clocks disagree; all profiles' runs merge on their start time.
	for i, id := range []string{"20260101-000000-aaaa", "20260103-000000-bbbb", "20260102-000000-cccc"} {
		if err := s.RecordRun(&store.Run{ID: id, Profile: "acme", Status: "failed", Started: t0.Add(time.Duration(i) * time.Hour)}, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordRun(&store.Run{ID: "20260101-013000-dddd", Profile: "beta", Status: "ok", Started: t0.Add(90 * time.Minute)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Started at the same moment, the greater id is the newer.
	if err := s.RecordRun(&store.Run{ID: "20260101-000000-0000", Profile: "gamma", Status: "ok", Started: t0}, nil, nil); err != nil {
		t.Fatal(err)
	}
	runs, err := s.Runs("acme")
	if err != nil || ids(runs) != "20260102-000000-cccc 20260103-000000-bbbb 20260101-000000-aaaa" {
		t.Errorf("runs of acme: %s %v", ids(runs), err)
	}
	all, err := s.Runs("")
	if err != nil || ids(all) != "20260102-000000-cccc 20260101-013000-dddd 20260103-000000-bbbb 20260101-000000-aaaa 20260101-000000-0000" {
		t.Errorf("all runs: %s %v", ids(all), err)
	}
	last, err := s.LastRun("acme")
	if err != nil || last.ID != "20260102-000000-cccc" {
		t.Errorf("last run: %v %v", last, err)
	}
	if r, err := s.LastRun("nobody"); r != nil || err != nil {
		t.Errorf("last run of a profile without runs: %v %v", r, err)
	}
	for _, id := range []string{"20260103-000000-bbbb", "20260101-013000-dddd"} {
		if r, err := s.Run(id); err != nil || r.ID != id {
			t.Errorf("run %s: %v %v", id, r, err)
		}
	}
	if _, err := s.Run("20990101-000000-ffff"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	// A second Store (as another process would) finds runs without having listed them.
	s2 := openStore(t, s.Path())
	if r, err := s2.Run("20260101-013000-dddd"); err != nil || r.Profile != "beta" {
		t.Errorf("run found by another store: %v %v", r, err)
	}
}

func ids(runs []*store.Run) string {
	var out []string
	for _, r := range runs {
		out = append(out, r.ID)
	}
	return strings.Join(out, " ")
}

func TestValuesRoundTrip(t *testing.T) {
	for _, vals := range [][]string{{}, {""}, {"a", "", "ünï;\"code\"\n", strings.Repeat("x", 300)}} {
		got, err := store.DecodeValues(store.EncodeValues(vals))
		if err != nil || strings.Join(got, "\x00") != strings.Join(vals, "\x00") || len(got) != len(vals) {
			t.Errorf("%q → %q %v", vals, got, err)
		}
	}
	if _, err := store.DecodeValues([]byte{0x05, 'a'}); err == nil {
		t.Errorf("corrupt value accepted")
	}
}

func TestStoreOfAnotherVersionIsRefused(t *testing.T) {
	s, path := newStore(t)
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("format"), []byte("9")) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := store.Open(path, nil); err == nil || !strings.Contains(err.Error(), "another koppel version") {
		t.Errorf("open: %v", err)
	}
}

func TestDecodeValuesRefusesBrokenLengths(t *testing.T) {
	for _, b := range [][]byte{{0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, {0x01, 'a', 0x02, 'b'}} {
		if got, err := store.DecodeValues(b); err == nil {
			t.Errorf("% x read as %q", b, got)
		}
	}
}

func BenchmarkDecodeValues(b *testing.B) {
	vals := make([]string, 27)
	for i := range vals {
		vals[i] = strings.Repeat("v", i%12)
	}
	raw := store.EncodeValues(vals)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := store.DecodeValues(raw); err != nil {
			b.Fatal(err)
		}
	}
}
