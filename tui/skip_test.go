package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// unreachableSFTP is an SFTP destination every upload fails to reach (a network error).
func unreachableSFTP(t *testing.T) *profile.SFTP {
	url, key, hostKey := sftptest.Unreachable(t)
	return &profile.SFTP{URL: url, Key: string(key), HostKey: hostKey}
}

// A delivery the server never took is taken out of the upload queue from the run's details,
// after a question that says what it means (esc keeps it); the details then say so.
func TestSkipQueuedDeliveryFromDetails(t *testing.T) {
	f := newFixture(t, afassim.Options{Seed: 12, Employees: 20})
	p := f.addProfile("acme")
	p.Delivery.Mode = profile.ModeMutaties
	p.Delivery.SFTP = unreachableSFTP(t)
	if err := f.st.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, err := engine.New(f.st).Run(context.Background(), "acme", engine.Options{MaxRetryTime: 10 * time.Millisecond, RetryBase: time.Millisecond}, nil)
	if err != nil || res.Run.Upload == nil || res.Run.Upload.Status != store.UploadQueued {
		t.Fatalf("run: %v %+v", err, res.Run.Upload)
	}
	a := New(context.Background(), f.deps, "")
	view := keys(t, a, "h", "enter")
	if !strings.Contains(view, "in wachtrij") || !strings.Contains(view, "uit de wachtrij") {
		t.Fatalf("details of a queued delivery:\n%s", view)
	}
	view = keys(t, a, "u")
	if !strings.Contains(view, "uit de wachtrij halen?") || !strings.Contains(view, "mutaties") || !strings.Contains(view, "[ In de wachtrij laten ]") {
		t.Fatalf("the question:\n%s", view)
	}
	// j and k are list keys: they never answer. esc keeps the delivery queued.
	keys(t, a, "j", "k", "esc")
	if q, _ := f.st.QueueOf("acme"); len(q) != 1 {
		t.Fatalf("queue after esc: %d", len(q))
	}
	view = keys(t, a, "u", "right", "enter")
	if !strings.Contains(view, "is uit de wachtrij gehaald") || !strings.Contains(view, "niet verzonden: uit de wachtrij gehaald op") {
		t.Errorf("after the skip:\n%s", view)
	}
	if q, _ := f.st.QueueOf("acme"); len(q) != 0 {
		t.Errorf("queue after the skip: %d", len(q))
	}
	if view = keys(t, a, "u"); strings.Contains(view, "halen?") {
		t.Errorf("a skipped delivery is offered again:\n%s", view)
	}
}
