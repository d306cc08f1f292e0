package store_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// The SFTP key and its passphrase are sealed like the token: not in the catalog in the clear,
// read back whole, unreadable with another key.
func TestSFTPKeyEncryptedAtRest(t *testing.T) {
	key, _, err := sftptest.NewClientKey("ed25519")
	if err != nil {
		t.Fatal(err)
	}
	s, path := newStore(t)
	p := testProfile()
	p.Delivery.SFTP = &profile.SFTP{URL: "sftp://koppel@sftp.example.nl/import", Key: string(key), Passphrase: "geheim-wachtwoord", HostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBtT6nRYUlYVyqE0fIcz9zXzCsGWnqWbZZzFfn3G3ZQL"}
	if err := s.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	got, err := s.Profile("acme")
	if err != nil {
		t.Fatal(err)
	}
	if got.Delivery.SFTP.Key != string(key) || got.Delivery.SFTP.Passphrase != "geheim-wachtwoord" || got.Delivery.SFTP.URL != p.Delivery.SFTP.URL {
		t.Fatalf("read back %+v", got.Delivery.SFTP)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	body := strings.Split(string(key), "\n")[1]
	if bytes.Contains(raw, []byte(body[:20])) || bytes.Contains(raw, []byte("geheim-wachtwoord")) {
		t.Fatal("the SFTP key or passphrase is stored in plain text")
	}
	s2, err := store.Open(path, bytes.Repeat([]byte{9}, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.Profile("acme"); err == nil {
		t.Error("read with another key")
	}
}

func delivery(id string, queued bool) *store.Run {
	r := &store.Run{ID: id, Profile: "acme", Status: store.StatusOK, Delivery: "/out/acme/" + id, Started: time.Now()}
	if queued {
		r.Upload = &store.Upload{Status: store.UploadQueued}
	}
	return r
}

func queueIDs(t *testing.T, h *store.Session) string {
	t.Helper()
	q, err := h.Queue()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range q {
		ids = append(ids, r.ID)
	}
	return strings.Join(ids, ",")
}

// A delivery committed queued is in the queue from that very commit, in run order; SetUpload
// takes it out; failed runs, previews and deliveries of profiles without SFTP never are queued;
// a queued delivery outlives the history's retention.
func TestUploadQueue(t *testing.T) {
	s, _ := newStore(t)
	if err := s.PutProfile(testProfile()); err != nil {
		t.Fatal(err)
	}
	h := hold(t, s, "acme")
	h.Retention = 2
	for _, r := range []*store.Run{delivery("r1", true), delivery("r2", false), delivery("r3", true)} {
		if err := h.Commit(r, nil, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	failed := &store.Run{ID: "r4", Profile: "acme", Status: "failed", Upload: &store.Upload{Status: store.UploadQueued, Error: "down"}}
	preview := delivery("r5", true)
	preview.DryRun = true
	for _, r := range []*store.Run{failed, preview} {
		if err := h.RecordRun(r, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := queueIDs(t, h); got != "r1,r3" {
		t.Fatalf("queue %q, want r1,r3", got)
	}
	// Retention 2 would have pruned r1 and r3: queued deliveries stay.
	runs, _ := s.Runs("acme")
	var kept []string
	for _, r := range runs {
		kept = append(kept, r.ID)
	}
	if strings.Join(kept, ",") != "r5,r4,r3,r1" {
		t.Errorf("runs kept %v", kept)
	}

	if err := h.SetUpload("r1", &store.Upload{Status: store.UploadQueued, Error: "connection refused", ErrorKind: "network", Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	if got := queueIDs(t, h); got != "r1,r3" {
		t.Fatalf("a failed upload left the queue: %q", got)
	}
	if err := h.SetUpload("r1", &store.Upload{Status: store.UploadOK, Remote: "sftp://x/r1", Attempts: 2}); err != nil {
		t.Fatal(err)
	}
	if got := queueIDs(t, h); got != "r3" {
		t.Fatalf("queue %q after r1 was sent", got)
	}
	h.Close()
	r1, err := s.Run("r1")
	if err != nil || r1.Upload.Status != store.UploadOK || r1.Upload.Attempts != 2 {
		t.Fatalf("r1 %+v %v", r1.Upload, err)
	}
	q, err := s.QueueOf("acme")
	if err != nil || len(q) != 1 || q[0].ID != "r3" {
		t.Fatalf("QueueOf %v %v", q, err)
	}
	if err := s.Check(); err != nil {
		t.Errorf("store check: %v", err)
	}
	h2 := hold(t, s, "acme")
	if err := h2.SetUpload("nope", &store.Upload{Status: store.UploadOK}); err == nil {
		t.Error("SetUpload of an unknown run")
	}
}

// Many queued deliveries come back in the order of their runs, not of their ids.
func TestUploadQueueKeepsRunOrder(t *testing.T) {
	s, _ := newStore(t)
	if err := s.PutProfile(testProfile()); err != nil {
		t.Fatal(err)
	}
	h := hold(t, s, "acme")
	var want []string
	for i := 12; i > 0; i-- {
		id := fmt.Sprintf("run-%02d", i) // ids sorting backwards
		want = append(want, id)
		if err := h.Commit(delivery(id, true), nil, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := queueIDs(t, h); got != strings.Join(want, ",") {
		t.Fatalf("queue %s", got)
	}
}
