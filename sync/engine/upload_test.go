package engine_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afassim"
	"github.com/koppel-nl/koppel/sync/engine"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/sftp"
	"github.com/koppel-nl/koppel/sync/sftp/sftptest"
)

// withSFTP points the profile at an in-process SFTP server, its host key in a known_hosts file.
func (e *env) withSFTP(srv *sftptest.Server) {
	e.t.Helper()
	kh := filepath.Join(e.t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, srv.KnownHosts(), 0o600); err != nil {
		e.t.Fatal(err)
	}
	srv.Mkdir("/import/acme")
	p, err := e.store.Profile("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	p.Delivery.SFTP = &profile.SFTP{URL: srv.URL("/import/acme"), Key: string(srv.ClientKey), KnownHosts: kh}
	if err := e.store.PutProfile(p); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) try(opts engine.Options) (*engine.Result, []engine.Event, error) {
	var events []engine.Event
	opts.RetryBase, opts.MaxRetryTime = time.Millisecond, 300*time.Millisecond
	res, err := e.eng.Run(context.Background(), "acme", opts, func(ev engine.Event) { events = append(events, ev) })
	return res, events, err
}

func (e *env) queue() []string {
	e.t.Helper()
	q, err := e.store.QueueOf("acme")
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, r := range q {
		ids = append(ids, r.ID)
	}
	return ids
}

// sameFiles tells whether the remote run folder holds exactly the local delivery.
func sameFiles(t *testing.T, local, remote string) {
	t.Helper()
	les, _ := os.ReadDir(local)
	res, _ := os.ReadDir(remote)
	if len(les) != len(res) || len(les) == 0 {
		t.Fatalf("local %d files, remote %d", len(les), len(res))
	}
	for _, le := range les {
		a, _ := os.ReadFile(filepath.Join(local, le.Name()))
		b, err := os.ReadFile(filepath.Join(remote, le.Name()))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s differs on the server (%v)", le.Name(), err)
		}
	}
}

func TestRunUploadsItsDelivery(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 11, Employees: 30}, profile.ModeMutaties)
	srv := sftptest.Start(t, sftptest.Options{})
	e.withSFTP(srv)
	res, events, err := e.try(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Run.Upload
	if u == nil || u.Status != store.UploadOK || !strings.HasSuffix(u.Remote, "/import/acme/"+res.Run.ID) {
		t.Fatalf("upload %+v", u)
	}
	sameFiles(t, res.Run.Delivery, srv.Path("/import/acme/"+res.Run.ID))
	var statuses []string
	for _, ev := range events {
		if ev.Type == "upload" {
			statuses = append(statuses, ev.Upload.Status)
		}
	}
	if strings.Join(statuses, ",") != "start,sent" {
		t.Errorf("upload events %v", statuses)
	}
	stored, _ := e.store.Run(res.Run.ID)
	if stored.Upload == nil || stored.Upload.Status != store.UploadOK || len(e.queue()) != 0 {
		t.Errorf("stored upload %+v, queue %v", stored.Upload, e.queue())
	}
	logs, _ := e.store.RunLogs(res.Run.ID)
	if !slices.ContainsFunc(logs, func(l runlog.Log) bool { return l.Code == "run.uploaded" }) {
		t.Error("the run's log does not say it was uploaded")
	}
}

// While the server is down a delivery stays queued; the next run reads nothing from AFAS and
// fails with a *QueueError; once the server is back the queue goes first, then the run's own.
func TestStuckQueueBlocksTheNextRun(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 12, Employees: 30}, profile.ModeMutaties)
	srv := sftptest.Start(t, sftptest.Options{})
	e.withSFTP(srv)
	srv.Refuse(true)
	r1, _, err := e.try(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Run.Status != store.StatusOK || r1.Run.Upload.Status != store.UploadQueued || r1.Run.Upload.ErrorKind != "network" {
		t.Fatalf("run 1: %s %+v", r1.Run.Status, r1.Run.Upload)
	}
	if q := e.queue(); len(q) != 1 || q[0] != r1.Run.ID {
		t.Fatalf("queue %v", q)
	}

	calls := e.sim.Requests()
	r2, events, err := e.try(engine.Options{})
	var qe *engine.QueueError
	if !errors.As(err, &qe) || qe.Run != r1.Run.ID {
		t.Fatalf("run behind the queue: %v", err)
	}
	if e.sim.Requests() != calls || slices.ContainsFunc(events, func(ev engine.Event) bool { return ev.Stage == engine.StageFetch }) {
		t.Error("AFAS was read behind a stuck queue")
	}
	if r2.Run.Status != engine.StatusFailed || r2.Run.ErrorCode != "run.upload_queue_failed" || r2.Run.Upload.Status != store.UploadQueued {
		t.Errorf("run 2 recorded %s %s %+v", r2.Run.Status, r2.Run.ErrorCode, r2.Run.Upload)
	}
	entries, _ := os.ReadDir(filepath.Join(e.outbox, "acme"))
	if len(entries) != 1 {
		t.Errorf("the blocked run delivered: %d folders", len(entries))
	}

	srv.Refuse(false)
	r3, _, err := e.try(engine.Options{})
	if err != nil || r3.Run.Upload.Status != store.UploadOK {
		t.Fatalf("run 3: %v %+v", err, r3.Run.Upload)
	}
	if len(e.queue()) != 0 {
		t.Errorf("queue %v", e.queue())
	}
	// Run 1's manifest reached the server before any file of run 3.
	evs := srv.Events()
	first3 := slices.IndexFunc(evs, func(ev sftptest.Event) bool { return strings.Contains(ev.Path, r3.Run.ID) })
	man1 := slices.IndexFunc(evs, func(ev sftptest.Event) bool {
		return strings.Contains(ev.Op, "rename") && strings.HasSuffix(ev.Target, r1.Run.ID+"/manifest.json")
	})
	if man1 < 0 || first3 < 0 || man1 > first3 {
		t.Errorf("order: run 1's manifest at %d, run 3's first file at %d", man1, first3)
	}
	sameFiles(t, r1.Run.Delivery, srv.Path("/import/acme/"+r1.Run.ID))
}

// A host key that is not the known one: nothing is sent, no login, no retry.
func TestWrongHostKeySendsNothing(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 13, Employees: 20}, profile.ModeCompleet)
	srv := sftptest.Start(t, sftptest.Options{})
	srv.Mkdir("/import/acme")
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(other)
	p, _ := e.store.Profile("acme")
	p.Delivery.SFTP = &profile.SFTP{URL: srv.URL("/import/acme"), Key: string(srv.ClientKey), HostKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))}
	if err := e.store.PutProfile(p); err != nil {
		t.Fatal(err)
	}
	res, _, err := e.try(engine.Options{MaxRetryTime: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	u := res.Run.Upload
	if u.Status != store.UploadQueued || u.ErrorKind != "host_key" || !strings.Contains(u.Error, ssh.FingerprintSHA256(srv.HostKey)) {
		t.Fatalf("upload %+v", u)
	}
	if srv.Logins() != 0 || srv.Connections() != 1 || srv.FilesWritten() != 0 {
		t.Errorf("%d logins, %d connections, %d files", srv.Logins(), srv.Connections(), srv.FilesWritten())
	}
}

// crashingUploader uploads for real and then fails, as a process that dies after the upload and
// before its record would leave things.
type crashingUploader struct{}

func (crashingUploader) Upload(ctx context.Context, cfg sftp.Config, dir, runID string) (sftp.Result, error) {
	if _, err := sftp.Upload(ctx, cfg, dir, runID); err != nil {
		return sftp.Result{}, err
	}
	return sftp.Result{}, &sftp.Error{Kind: sftp.KindCanceled, Op: "record", Err: context.Canceled}
}

func TestPushAfterACrashSendsNothingTwice(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 14, Employees: 20}, profile.ModeCompleet)
	srv := sftptest.Start(t, sftptest.Options{})
	e.withSFTP(srv)
	res, _, err := e.try(engine.Options{Uploader: crashingUploader{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Run.Upload.Status != store.UploadQueued {
		t.Fatalf("upload %+v", res.Run.Upload)
	}
	written := srv.FilesWritten()
	pushed, err := e.eng.Push(context.Background(), "acme", engine.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pushed.Pushed) != 1 || !pushed.Pushed[0].AlreadyThere || pushed.Queued != 0 || srv.FilesWritten() != written {
		t.Fatalf("push %+v; files written %d -> %d", pushed, written, srv.FilesWritten())
	}
	stored, _ := e.store.Run(res.Run.ID)
	if stored.Upload.Status != store.UploadOK || !stored.Upload.AlreadyThere || stored.Upload.Attempts != 2 {
		t.Errorf("stored %+v", stored.Upload)
	}
	// Nothing queued: push does nothing.
	again, err := e.eng.Push(context.Background(), "acme", engine.Options{}, nil)
	if err != nil || len(again.Pushed) != 0 || srv.FilesWritten() != written {
		t.Errorf("second push %+v %v", again, err)
	}
	var ue *engine.UsageError
	p, _ := e.store.Profile("acme")
	p.Delivery.SFTP = nil
	_ = e.store.PutProfile(p)
	if _, err := e.eng.Push(context.Background(), "acme", engine.Options{}, nil); !errors.As(err, &ue) {
		t.Errorf("push without SFTP: %v", err)
	}
}

// A delivery taken out of the queue is never sent, also once the server is back, and no longer
// holds up the runs after it; only a queued delivery can be skipped.
func TestSkippedDeliveryIsNeverSent(t *testing.T) {
	e := newEnv(t, afassim.Options{Seed: 14, Employees: 20}, profile.ModeMutaties)
	srv := sftptest.Start(t, sftptest.Options{})
	e.withSFTP(srv)
	srv.Refuse(true)
	r1, _, err := e.try(engine.Options{})
	if err != nil || r1.Run.Upload.Status != store.UploadQueued {
		t.Fatalf("run 1: %v %+v", err, r1.Run.Upload)
	}
	now := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	var ue *engine.UsageError
	if _, _, err := e.eng.SkipUpload(context.Background(), "acme", "20260101-000000-abcd", now); !errors.As(err, &ue) || ue.Code != "run.skip_not_queued" || ue.Args[2] != r1.Run.ID {
		t.Fatalf("skipping a run not queued: %v", err)
	}
	skipped, left, err := e.eng.SkipUpload(context.Background(), "acme", r1.Run.ID, now)
	if err != nil || left != 0 {
		t.Fatalf("skip: %v, %d left", err, left)
	}
	stored, _ := e.store.Run(r1.Run.ID)
	for _, u := range []*store.Upload{skipped.Upload, stored.Upload} {
		if u.Status != store.UploadNone || !u.Skipped.Equal(now) || u.ErrorKind != "network" || u.Attempts != 1 {
			t.Errorf("skipped upload %+v", u)
		}
	}
	if q := e.queue(); len(q) != 0 {
		t.Fatalf("queue after the skip: %v", q)
	}
	srv.Refuse(false)
	r2, _, err := e.try(engine.Options{})
	if err != nil || r2.Run.Upload.Status != store.UploadOK {
		t.Fatalf("run 2: %v %+v", err, r2.Run.Upload)
	}
	for _, ev := range srv.Events() {
		if strings.Contains(ev.Path, r1.Run.ID) || strings.Contains(ev.Target, r1.Run.ID) {
			t.Fatalf("the skipped delivery reached the server: %+v", ev)
		}
	}
	if _, _, err := e.eng.SkipUpload(context.Background(), "acme", r1.Run.ID, now); !errors.As(err, &ue) || ue.Code != "run.skip_not_queued" {
		t.Errorf("skipping twice: %v", err)
	}
}
