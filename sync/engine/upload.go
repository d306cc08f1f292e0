package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/sftp"
	"github.com/koppel-nl/koppel/sync/token"
)

// Uploader sends one sealed delivery folder to the SFTP server, exactly once (sftp.Upload:
// .part files renamed when complete, manifest.json last, and nothing sent when the server holds
// the complete delivery already).
type Uploader interface {
	Upload(ctx context.Context, cfg sftp.Config, localDir, runID string) (sftp.Result, error)
}

type sftpUploader struct{}

func (sftpUploader) Upload(ctx context.Context, cfg sftp.Config, localDir, runID string) (sftp.Result, error) {
	return sftp.Upload(ctx, cfg, localDir, runID)
}

// queueSession is what uploading needs of the held profile (store.Session).
type queueSession interface {
	Queue() ([]*store.Run, error)
	SetUpload(runID string, u *store.Upload) error
}

// Upload event statuses (UploadEvent.Status).
const (
	UploadStart  = "start"  // about to upload a delivery
	UploadSent   = "sent"   // the server holds it complete; the store records it next
	UploadFailed = "failed" // it stays queued
)

// UploadEvent is the progress of one delivery's upload (Event.Type "upload").
type UploadEvent struct {
	Run          string `json:"run"`
	Status       string `json:"status"`
	N            int    `json:"n"`  // this delivery's place in what is being sent, from 1
	Of           int    `json:"of"` // how many are being sent
	Remote       string `json:"remote,omitempty"`
	Files        int    `json:"files,omitempty"`
	Bytes        int64  `json:"bytes,omitempty"`
	AlreadyThere bool   `json:"already_there,omitempty"`
	Error        string `json:"error,omitempty"`
	ErrorKind    string `json:"error_kind,omitempty"`
}

// QueueError is a delivery that could not be uploaded: it stays queued, and so does every
// delivery after it. A run that meets it reads nothing from AFAS (exit code 4).
type QueueError struct {
	Run  string // the delivery that could not be uploaded
	Kind string // as in store.Upload.ErrorKind
	Err  error
}

func (e *QueueError) Error() string {
	return fmt.Sprintf("the upload of delivery %s failed and it stays queued: %v", e.Run, e.Err)
}

func (e *QueueError) Unwrap() error { return e.Err }

// Text renders the error in a language.
func (e *QueueError) Text(l i18n.Lang) string {
	return l.T("run.upload_queue_failed", e.Run, l.T("run.upload_kind."+e.Kind), uploadDetail(e.Err))
}

// Detail is the upload's error as it may be shown: no token, cut.
func (e *QueueError) Detail() string { return uploadDetail(e.Err) }

func (e *QueueError) code() (string, []string) {
	return "run.upload_queue_failed", []string{e.Run, i18n.CodeArg + "run.upload_kind." + e.Kind, uploadDetail(e.Err)}
}

// uploadDetail is an upload error's text as it may be shown and stored: no token, cut.
func uploadDetail(err error) string { return token.Clean(err.Error(), 2<<10) }

// errorKind names an upload failure's kind for the catalog (run.upload_kind.*).
func errorKind(err error) string {
	if k := sftp.KindOf(err); k != 0 {
		return strings.ReplaceAll(k.String(), " ", "_")
	}
	return "other"
}

// PushResult is what Push did: one entry per delivery it tried, in order, and what remains.
type PushResult struct {
	Profile string        `json:"profile"`
	Pushed  []UploadEvent `json:"deliveries"`
	Queued  int           `json:"queued"` // deliveries still queued afterwards
}

// uploading reports whether this run uploads: a delivery (not a preview) of a profile with an
// SFTP destination.
func (r *run) uploading() bool { return r.p.Delivery.SFTP != nil && !r.opts.DryRun }

// queuedUpload is the upload state a delivery is committed with: queued, so that the commit
// itself puts it in the queue (nil when the profile does not upload).
func (r *run) queuedUpload() *store.Upload {
	if !r.uploading() {
		return nil
	}
	return &store.Upload{Status: store.UploadQueued}
}

// sendQueue uploads the queued deliveries, oldest first, and stops at the first that fails: a
// later delivery must never overtake an earlier one. Its error is a *QueueError; r.rec.Upload
// says then what is queued and why.
func (r *run) sendQueue(ctx context.Context) error {
	if !r.uploading() {
		return nil
	}
	q, ok := r.sess.(queueSession)
	if !ok {
		return errors.New("the store keeps no upload queue")
	}
	queue, err := q.Queue()
	if err != nil {
		return err
	}
	for i, d := range queue {
		ev, err := r.upload(ctx, q, d, i+1, len(queue))
		r.pushed = append(r.pushed, ev)
		if err != nil {
			r.rec.Upload = &store.Upload{Status: store.UploadQueued, Error: ev.Error, ErrorKind: ev.ErrorKind}
			return err
		}
	}
	return nil
}

// uploadOwn uploads the run's own delivery after its commit. It never fails the run: a delivery
// that cannot be uploaded stays queued for the next run or koppel push.
func (r *run) uploadOwn(ctx context.Context) {
	if !r.uploading() || r.rec.Upload == nil {
		return
	}
	q, ok := r.sess.(queueSession)
	if !ok {
		return
	}
	_, _ = r.upload(ctx, q, r.rec, 1, 1)
	// Best effort: the run's log gains the upload's lines (its state is recorded already).
	r.levels()
	_ = r.sess.RecordRun(r.rec, r.logs, r.changes)
}

// upload sends one delivery and records the outcome on its run (and on r.rec when it is this
// run's). The event "sent" is reported before the record: a process that dies in between leaves
// the delivery queued, and the next upload finds it complete on the server and sends nothing.
func (r *run) upload(ctx context.Context, q queueSession, d *store.Run, n, of int) (UploadEvent, error) {
	ev := UploadEvent{Run: d.ID, Status: UploadStart, N: n, Of: of}
	r.emitUpload(ev)
	prev := d.Upload
	if prev == nil {
		prev = &store.Upload{Status: store.UploadQueued}
	}
	res, err := r.sendOne(ctx, d)
	u := &store.Upload{Status: store.UploadQueued, Attempts: prev.Attempts + 1, Remote: res.Remote}
	if err == nil {
		ev.Status, ev.Remote, ev.Files, ev.Bytes, ev.AlreadyThere = UploadSent, res.Remote, res.Files, res.Bytes, res.AlreadyThere
		r.emitUpload(ev)
		u.Status, u.Sent, u.AlreadyThere = store.UploadOK, r.opts.Now().UTC(), res.AlreadyThere
		code := "run.uploaded"
		if res.AlreadyThere {
			code = "run.upload_already"
		}
		r.log(runlog.Log{Level: runlog.Metadata, Code: code, Args: []string{d.ID, res.Remote}})
	} else {
		ev.Status, ev.Error, ev.ErrorKind = UploadFailed, uploadDetail(err), errorKind(err)
		if u.Remote == "" {
			u.Remote = prev.Remote
		}
		u.Error, u.ErrorKind = ev.Error, ev.ErrorKind
		r.emitUpload(ev)
		r.log(runlog.Log{Level: runlog.Waarschuwing, Code: "run.upload_failed", Args: []string{d.ID, i18n.CodeArg + "run.upload_kind." + ev.ErrorKind, ev.Error}})
	}
	if d.ID == r.rec.ID {
		r.rec.Upload = u
	}
	if serr := q.SetUpload(d.ID, u); serr != nil {
		if err == nil {
			// On the server, not on record: the next upload finds it complete and sends nothing.
			err = serr
		}
		return ev, &QueueError{Run: d.ID, Kind: "other", Err: err}
	}
	if err != nil {
		return ev, &QueueError{Run: d.ID, Kind: ev.ErrorKind, Err: err}
	}
	return ev, nil
}

// emitUpload reports a copy of ev: the caller goes on changing its own.
func (r *run) emitUpload(ev UploadEvent) { r.emit(Event{Type: "upload", Upload: &ev}) }

func (r *run) sendOne(ctx context.Context, d *store.Run) (sftp.Result, error) {
	cfg, err := r.p.Delivery.SFTP.Config()
	if err != nil {
		return sftp.Result{}, &sftp.Error{Kind: sftp.KindConfig, Op: "read known_hosts", Err: err}
	}
	if r.opts.MaxRetryTime > 0 {
		cfg.MaxRetryTime = r.opts.MaxRetryTime
	}
	if r.opts.RetryBase > 0 {
		cfg.RetryBase = r.opts.RetryBase
	}
	cfg.OnRetry = func(attempt int, wait time.Duration, err error) {
		r.log(runlog.Log{Level: runlog.Melding, Code: "run.upload_retry", Args: []string{d.ID, strconv.Itoa(attempt), uploadDetail(err), wait.Round(time.Millisecond).String()}})
	}
	up := r.opts.Uploader
	if up == nil {
		up = sftpUploader{}
	}
	return up.Upload(ctx, cfg, d.Delivery, d.ID)
}

// Push uploads a profile's queued deliveries, oldest first, holding the profile meanwhile (so
// no run starts in between). What an interrupted run left (a delivery committed but not
// published) is completed first. With nothing queued it does nothing; a failed upload is a
// *QueueError, and the delivery stays queued.
func (e *Engine) Push(ctx context.Context, name string, opts Options, emit func(Event)) (*PushResult, error) {
	p, err := e.Store.Profile(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &UsageError{Code: "run.unknown_profile", Args: []string{name}}
		}
		return nil, err
	}
	if p.Delivery.SFTP == nil {
		// A queue left from before the SFTP destination was removed can only be skipped.
		if ids := e.queued(name); len(ids) > 0 {
			return nil, &UsageError{Code: "run.push_no_sftp_queued", Args: []string{name, strings.Join(ids, ", ")}}
		}
		return nil, &UsageError{Code: "run.push_no_sftp", Args: []string{name}}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.DryRun = false
	held, err := e.Store.Hold(name)
	if err != nil {
		return nil, err
	}
	defer held.Close()
	r := &run{e: e, sess: held, p: p, opts: opts, emitFn: emit, rec: &store.Run{Profile: name}}
	if err := r.recover(); err != nil {
		return nil, err
	}
	err = r.sendQueue(ctx)
	res := &PushResult{Profile: name, Pushed: r.pushed}
	if res.Pushed == nil {
		res.Pushed = []UploadEvent{}
	}
	if left, qerr := held.Queue(); qerr == nil {
		res.Queued = len(left)
	} else if err == nil {
		err = qerr
	}
	return res, err
}

// SkipUpload takes a queued delivery out of the upload queue: koppel never sends it, and the
// deliveries after it no longer wait for it. It is the way out for a delivery the server keeps
// refusing, one placed on the server by hand, or the queue of a profile that no longer delivers
// over SFTP. The run record keeps the last error and says when it was skipped. runID must be
// queued; otherwise a *UsageError names what is. left is what stays queued.
func (e *Engine) SkipUpload(ctx context.Context, name, runID string, now time.Time) (skipped *store.Run, left int, err error) {
	if _, err := e.Store.Profile(name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, 0, &UsageError{Code: "run.unknown_profile", Args: []string{name}}
		}
		return nil, 0, err
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	held, err := e.Store.Hold(name)
	if err != nil {
		return nil, 0, err
	}
	defer held.Close()
	queue, err := held.Queue()
	if err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(queue, func(d *store.Run) bool { return d.ID == runID })
	if i < 0 {
		queued := strings.Join(queueIDs(queue), ", ")
		if queued == "" {
			queued = "—"
		}
		return nil, 0, &UsageError{Code: "run.skip_not_queued", Args: []string{runID, name, queued}}
	}
	d := queue[i]
	u := store.Upload{Status: store.UploadQueued}
	if d.Upload != nil {
		u = *d.Upload
	}
	u.Status, u.Skipped = store.UploadNone, now.UTC()
	if err := held.SetUpload(d.ID, &u); err != nil {
		return nil, 0, err
	}
	d.Upload = &u
	return d, len(queue) - 1, nil
}

// queued lists the runs of a profile's upload queue, oldest first (none when it cannot be read:
// only a message depends on it).
func (e *Engine) queued(name string) []string {
	held, err := e.Store.Hold(name)
	if err != nil {
		return nil
	}
	defer held.Close()
	queue, err := held.Queue()
	if err != nil {
		return nil
	}
	return queueIDs(queue)
}

func queueIDs(queue []*store.Run) []string {
	ids := make([]string, len(queue))
	for i, d := range queue {
		ids[i] = d.ID
	}
	return ids
}
