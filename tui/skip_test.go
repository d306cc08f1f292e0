package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
)

// unreachableSFTP is an SFTP destination on a loopback port nothing listens on, with a client
// key and a pinned host key: every upload fails as a network error.
func unreachableSFTP(t *testing.T) *profile.SFTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	hostPub, _, _ := ed25519.GenerateKey(rand.Reader)
	hk, err := ssh.NewPublicKey(hostPub)
	if err != nil {
		t.Fatal(err)
	}
	return &profile.SFTP{URL: "sftp://koppel@" + addr + "/import", Key: string(pem.EncodeToMemory(block)),
		HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hk)))}
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
