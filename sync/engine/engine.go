// Package engine runs a coupling end to end: read the GetConnectors, map, compare with the last
// delivery, deliver and commit. Rows stream through it — read by key in ranges side by side,
// mapped and compared page by page against the stored state, changes staged in the store — so a
// run holds indexes, not rows. It reports what it does as a stream of events that the CLI prints
// and the TUI renders.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/token"
	"github.com/koppel-nl/koppel/sync/values"
)

// Run statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusBlocked = "blocked"
)

// Stages of a run, in order. Reading, mapping and comparing overlap: rows stream through them.
const (
	StageFetch   = "fetch"   // read, map and compare, page by page
	StageCompare = "compare" // what is gone, and the deletion guard
	StageDeliver = "deliver"
	StageCommit  = "commit"
	StageDone    = "done"
)

// Event is one thing a run reports. Type is "stage", "progress", "log", "counts" (the entity
// counts as far as they are known) or "summary".
type Event struct {
	Type      string
	Stage     string
	Connector string
	Pages     int
	Rows      int
	Done      bool
	Log       *runlog.Log
	Counts    map[string]store.EntityCounts
	Run       *store.Run
	Upload    *UploadEvent // Type "upload" (upload.go)
}

// Options tune one run.
type Options struct {
	// Couplings limits the run to these couplings; empty runs all enabled ones.
	Couplings    []string
	DryRun       bool
	AllowDeletes bool
	// PageSize is take per AFAS call (default: AFAS's guideline of 150,000 cells per page, per
	// connector); Parallel the calls in flight at once, over all connectors (default 4; AFAS
	// allows 5 per environment).
	PageSize int
	Parallel int
	// MaxAnswerBytes caps one AFAS answer, MaxRows the rows of one connector (zero: the client's
	// defaults, 64 MiB and 5 million); MaxRunTime bounds the whole run (zero: no bound).
	MaxAnswerBytes int64
	MaxRows        int
	MaxRunTime     time.Duration
	// RequestTimeout, MaxRetryTime and RetryBase tune the AFAS client (zero: its defaults).
	RequestTimeout time.Duration
	MaxRetryTime   time.Duration
	RetryBase      time.Duration
	HTTPClient     *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Day is the day koppel explain evaluates the rules as on (zero: today by Now).
	Day time.Time
	// Uploader sends deliveries over SFTP (nil: sync/sftp); see upload.go.
	Uploader Uploader
}

// Result is a finished run: its record, the changes against the last delivery and the log.
type Result struct {
	Run     *store.Run
	Changes []store.Change
	Logs    []runlog.Log
}

// UsageError is a run that cannot start: unknown profile, coupling not enabled. Exit code 2.
// Code and Args name its message in the catalog.
type UsageError struct {
	Code string
	Args []string
}

func (e *UsageError) Error() string { return e.Text(i18n.EN) }

// Text renders the error in a language.
func (e *UsageError) Text(l i18n.Lang) string { return l.T(e.Code, e.Args...) }

// Session is what a run needs of a profile held in the store (store.Session): the profile is
// held for the whole run, so two runs of one profile never overlap.
type Session interface {
	Close() error
	Pending() (*store.Pending, error)
	ClearPending() error
	Get(entity, key string) ([]string, bool, error)
	GetMany(entity string, keys []string, fn func(i int, raw []byte) error) error
	EachState(entity string, fn func(key string, vals []string) error) error
	EachStateRaw(entity string, fn func(key, raw []byte) error) error
	Stage(entity string, rows []store.Staged) error
	EachDelivered(entity string, fn func(key string, vals []string, kind string) error) error
	EachDeliveredRaw(entity string, fn func(key, raw []byte, kind string) error) error
	EachStagedRaw(entity string, fn func(key, raw []byte, kind string) error) error
	Prepare(entity string) error
	StageIntoState(entity string)
	Commit(run *store.Run, logs []runlog.Log, changes []store.Change, pending *store.Pending, bounds map[string][]string) error
	RecordRun(run *store.Run, logs []runlog.Log, changes []store.Change) error
	Discard() error
	Bounds(connector string) ([]string, error)
}

// Store is what a run needs of koppel's store (store.Store).
type Store interface {
	Profile(name string) (*profile.Profile, error)
	Hold(name string) (*store.Session, error)
}

// Engine runs profiles from a store.
type Engine struct {
	Store Store
}

// New returns an engine on a store.
func New(s Store) *Engine { return &Engine{Store: s} }

// NewRunID returns a run id that sorts by time.
func NewRunID(now time.Time) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

type run struct {
	e          *Engine
	sess       Session
	stageName  string
	stageStart time.Time
	p          *profile.Profile
	opts       Options
	emitMu     sync.Mutex
	emitFn     func(Event)
	rec        *store.Run
	logs       []runlog.Log
	logMu      sync.Mutex
	changes    []store.Change
	changeMu   sync.Mutex
	abortFn    context.CancelCauseFunc
	pushed     []UploadEvent // what sendQueue tried (upload.go)
	// The delivery folder, created at the first download or at the delivery stage (outFolder).
	out     *delivery.Folder
	outOnce sync.Once
	outErr  error
	// early writes the files of entities already compared during the reading (nil: a dry run).
	early *earlyFiles
}

func (r *run) emit(ev Event) {
	if r.emitFn == nil {
		return
	}
	r.emitMu.Lock()
	defer r.emitMu.Unlock()
	r.emitFn(ev)
}

func (r *run) log(l runlog.Log) {
	r.logMu.Lock()
	r.logs = append(r.logs, l)
	r.logMu.Unlock()
	r.emit(Event{Type: "log", Log: &l})
}

// abort stops the reading and the other stages of a run with an error.
func (r *run) abort(err error) {
	if r.abortFn != nil {
		r.abortFn(err)
	}
}

// stage reports a new stage and times the one before it.
func (r *run) stage(s string) {
	now := r.opts.Now()
	if r.stageName != "" {
		if r.rec.Timings == nil {
			r.rec.Timings = map[string]float64{}
		}
		r.rec.Timings[r.stageName] = now.Sub(r.stageStart).Seconds()
	}
	r.stageName, r.stageStart = s, now
	r.emit(Event{Type: "stage", Stage: s})
}

// counts reports a copy of the entity counts so far.
func (r *run) counts() {
	r.changeMu.Lock()
	c := make(map[string]store.EntityCounts, len(r.rec.Entities))
	for k, v := range r.rec.Entities {
		c[k] = *v
	}
	r.changeMu.Unlock()
	r.emit(Event{Type: "counts", Counts: c})
}

func (r *run) levels() {
	r.rec.Levels = map[string]int{}
	for _, l := range r.logs {
		r.rec.Levels[l.Level.String()]++
	}
}

// Run runs a profile. A run that fails on AFAS or data is recorded with status failed and
// returned with an error; a blocked run is recorded and returned without error (check Status).
// A cancelled run records nothing and delivers nothing.
func (e *Engine) Run(ctx context.Context, name string, opts Options, emit func(Event)) (*Result, error) {
	p, err := e.Store.Profile(name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, &UsageError{Code: "run.unknown_profile", Args: []string{name}}
		}
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if p.Draft {
		return nil, &UsageError{Code: "run.draft", Args: []string{name}}
	}
	couplings := p.Enabled()
	if len(opts.Couplings) > 0 {
		for _, c := range opts.Couplings {
			if !slices.Contains(couplings, c) {
				return nil, &UsageError{Code: "run.coupling_disabled", Args: []string{c, name, strings.Join(couplings, ", ")}}
			}
		}
		couplings = opts.Couplings
	}
	held, err := e.Store.Hold(name)
	if err != nil {
		return nil, err
	}
	defer held.Close()
	held.Retention = p.History.KeepRuns
	r := &run{e: e, sess: held, p: p, opts: opts, emitFn: emit}
	start := opts.Now()
	r.rec = &store.Run{
		ID: NewRunID(start), Profile: name, Mode: p.Delivery.Mode, Couplings: couplings,
		DateFrom: p.DateFrom, DryRun: opts.DryRun, Started: start.UTC(), Entities: map[string]*store.EntityCounts{},
	}
	r.warnOpenMatch()
	rctx, cancel := runDeadline(ctx, opts.MaxRunTime)
	defer cancel()
	// From here every failure is on record: a run that cannot even use its outbox is a failed
	// run in the history, not just an error on a scheduler's screen.
	if !opts.DryRun {
		err = r.recover()
	}
	if err == nil {
		// An earlier delivery still queued goes first; while it cannot, AFAS is not read.
		err = r.sendQueue(rctx)
	}
	if err == nil {
		err = r.execute(rctx, couplings)
	}
	r.rec.Finished = opts.Now().UTC()
	r.levels()
	res := &Result{Run: r.rec, Changes: r.changes, Logs: r.logs}
	if err != nil && ctx.Err() != nil {
		// Cancelled before the commit: nothing was delivered or recorded. (Once committed, a
		// run completes whatever happens to ctx.)
		_ = held.Discard()
		return nil, ctx.Err()
	}
	if err != nil {
		_ = held.Discard()
		r.rec.Status = StatusFailed
		r.rec.Error = token.Clean(err.Error(), 4<<10)
		r.rec.ErrorCode, r.rec.ErrorArgs = failure(err)
		r.rec.Delivery = ""
		for _, c := range r.rec.Entities {
			c.Delivered = 0 // a failed run delivered nothing
		}
		if serr := held.RecordRun(r.rec, r.logs, nil); serr != nil {
			return res, errors.Join(err, serr)
		}
		r.emit(Event{Type: "summary", Run: r.rec})
		return res, err
	}
	// A blocked run and a preview are on record with their log and changes, so `runs show`
	// explains them; neither counts as a delivery.
	if r.rec.Status == StatusBlocked || opts.DryRun {
		if serr := held.RecordRun(r.rec, r.logs, r.changes); serr != nil {
			return res, serr
		}
	}
	r.stage(StageDone)
	r.emit(Event{Type: "summary", Run: r.rec})
	return res, nil
}

// recover finishes or cleans up what an interrupted run left: a delivery committed in the store
// whose rename did not happen is renamed now; hidden temporary folders are removed.
func (r *run) recover() error {
	pend, err := r.sess.Pending()
	if err != nil {
		return err
	}
	if pend != nil {
		if _, err := os.Stat(pend.Temp); err == nil {
			if err := delivery.Publish(pend.Temp, pend.Final); err != nil {
				return err
			}
			r.log(runlog.Log{Level: runlog.Melding, Code: "run.recovered", Args: []string{pend.Final}})
		}
		if err := r.sess.ClearPending(); err != nil {
			return err
		}
	}
	removed, err := delivery.CleanLeftovers(r.p.Delivery.Outbox, r.p.Name, "")
	for _, name := range removed {
		r.log(runlog.Log{Level: runlog.Melding, Code: "run.cleaned", Args: []string{name}})
	}
	return err
}

func (r *run) execute(ctx context.Context, couplings []string) error {
	p := r.p
	dateFrom, err := values.ParseDay(p.DateFrom)
	if err != nil {
		return fmt.Errorf("date_from: %w", err)
	}
	sel := p.Selection(couplings)
	cfg := mappingConfig(p, sel, dateFrom)
	m := mapping.NewMapper(cfg, r.log)
	cons := connectors.Needed(sel)
	var roles []string
	for _, c := range cons {
		roles = append(roles, c.Role)
	}
	pl := newPipeline(r, r.sess, m, roles, sel)

	parallel := r.opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	pool := afas.NewPool(parallel)
	// The profile may raise the caps for a large customer; a run's flags go first.
	if r.opts.MaxAnswerBytes <= 0 && p.Limits.MaxAnswerMB > 0 {
		r.opts.MaxAnswerBytes = int64(p.Limits.MaxAnswerMB) << 20
	}
	if r.opts.MaxRows <= 0 && p.Limits.MaxRows > 0 {
		r.opts.MaxRows = p.Limits.MaxRows
	}
	client, err := afas.New(afas.Config{
		URL: p.URL(), Token: p.Account.Token, PageSize: r.opts.PageSize, RequestTimeout: r.opts.RequestTimeout,
		MaxRetryTime: r.opts.MaxRetryTime, RetryBase: r.opts.RetryBase, HTTPClient: r.opts.HTTPClient,
		MaxAnswerBytes: r.opts.MaxAnswerBytes, MaxRows: r.opts.MaxRows, Pool: pool,
		OnRetry: func(connector string, attempt int, wait time.Duration, err error) {
			r.log(runlog.Log{Level: runlog.Melding, Entity: connector, Code: "run.retry", Args: []string{connector, strconv.Itoa(attempt), err.Error(), wait.Round(time.Millisecond).String()}})
		},
	})
	if err != nil {
		return err
	}
	maxRows := r.opts.MaxRows
	if maxRows <= 0 {
		maxRows = afas.DefaultMaxRows
	}
	rd := &reader{r: r, client: client, pool: pool, dateFrom: dateFrom, maxRows: maxRows}
	if sel.Documenten {
		pl.docs = pl.newDocStage(client, pool.Size())
	}
	committed := false
	defer func() {
		if !committed && r.out != nil {
			r.out.Discard()
		}
	}()

	r.stage(StageFetch)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	r.abortFn = cancel
	if !r.opts.DryRun {
		r.early = r.newEarlyFiles(ctx)
	}
	prev := func(id string) []string {
		b, _ := r.sess.Bounds(id)
		return b
	}
	var bounds map[string][]string
	var readErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		bounds, readErr = rd.read(ctx, cons, prev, func(role string, page []any) error { return pl.feed(ctx, role, page) }, pl.end)
		if readErr != nil {
			cancel(readErr)
		}
		pl.closeAll()
	}()
	plErr := pl.run(ctx)
	<-done
	// The files started early are written before anything reads the counts they set.
	if err := r.early.wait(); err != nil && plErr == nil {
		plErr = err
	}
	r.abortFn = nil
	if readErr != nil {
		return readErr
	}
	if plErr != nil {
		return plErr
	}
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	r.stage(StageCompare)
	for ent, c := range m.Counts() {
		ec := r.rec.Entities[ent]
		if ec == nil {
			ec = &store.EntityCounts{}
			r.rec.Entities[ent] = ec
		}
		ec.Fetched, ec.Rejected = c.Fetched, c.Rejected
	}
	r.counts()
	if len(r.rec.Blocked) > 0 {
		// Entities finish side by side; report them in file order.
		order := pl.entities()
		slices.SortStableFunc(r.rec.Blocked, func(a, b store.GuardHit) int {
			return slices.Index(order, a.Entity) - slices.Index(order, b.Entity)
		})
		r.rec.Status = StatusBlocked
		// Nothing is delivered, also of an entity whose file was written before the guard of
		// another one stopped the run (its folder is removed with the rest).
		for _, c := range r.rec.Entities {
			c.Delivered = 0
		}
		return nil
	}
	if r.opts.DryRun {
		// A preview walks the files a run would write, in the configured columns, so it says what
		// the run would (a removal that a file without a mutation column cannot carry).
		for _, ent := range pl.entities() {
			if err := r.writeFile(ctx, nil, ent); err != nil {
				return err
			}
		}
		r.rec.Status = StatusOK
		r.log(runlog.Log{Level: runlog.Metadata, Code: "run.dry"})
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	r.stage(StageDeliver)
	folder, err := r.outFolder()
	if err != nil {
		return err
	}
	var names []string
	for _, ent := range pl.entities() {
		names = append(names, mapping.FileOf(ent))
		if r.early.done(ent) {
			continue
		}
		write := r.writeFile
		if ent == mapping.Documents {
			write = func(ctx context.Context, f *delivery.Folder, _ string) error {
				return r.writeDocuments(ctx, f, pl.docs)
			}
		}
		if err := write(ctx, folder, ent); err != nil {
			return err
		}
	}
	folder.SortFiles(names) // the files written early came in the order their entities finished
	err = folder.Seal(delivery.Manifest{
		Profile: p.Name, Run: r.rec.ID, Couplings: r.rec.Couplings, Mode: p.Delivery.Mode,
		DateFrom: p.DateFrom, Created: r.opts.Now().UTC(),
	})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	// The commit: run record, new state and the pending rename become final together. Before it,
	// nothing is visible and the stored state is unchanged; after it, the rename is all that is
	// left, and the next run completes it if this process dies first.
	r.stage(StageCommit)
	r.rec.Status = StatusOK
	r.rec.Delivery = folder.Final
	r.rec.Finished = r.opts.Now().UTC()
	r.log(runlog.Log{Level: runlog.Metadata, Code: "run.delivered", Args: []string{folder.Final}})
	r.levels()
	for _, d := range pl.diffs {
		r.rec.StateWrites += d.staged
	}
	r.rec.Upload = r.queuedUpload() // committed queued: the commit itself queues the delivery
	if err := r.sess.Commit(r.rec, r.logs, r.changes, &store.Pending{Temp: folder.Temp, Final: folder.Final}, bounds); err != nil {
		return fmt.Errorf("commit run: %w", err)
	}
	committed = true
	// From here the run is delivered: its state has advanced and the next run's recovery
	// publishes the folder if this process cannot. A failure now is a warning on the run, never
	// a failed run (which would contradict the state the store already holds).
	code := ""
	var perr error
	if perr = delivery.Publish(folder.Temp, folder.Final); perr != nil {
		code = "run.publish_failed"
	} else if perr = r.sess.ClearPending(); perr != nil {
		code = "run.pending_failed"
	}
	if code != "" {
		r.log(runlog.Log{Level: runlog.Waarschuwing, Code: code, Args: []string{folder.Final, perr.Error()}})
		r.rec.Levels[runlog.Waarschuwing.String()]++
		// Best effort: the run record gains the warning; if the store fails too, the event
		// stream still carries it.
		_ = r.sess.RecordRun(r.rec, r.logs, r.changes)
	}
	r.uploadOwn(ctx)
	return nil
}

// mutationFile tells whether an entity's file lists mutations: in mode mutaties, except
// verzuim.csv, which Xpert Suite's absence import only knows as a complete delivery (a case
// missing from it is closed or deleted there).
func mutationFile(p *profile.Profile, entity string) bool {
	return p.Delivery.Mode == profile.ModeMutaties && entity != mapping.Absences
}

// failure says why a run failed in the catalog's terms, so its record reads in any language:
// the AFAS failure with the connector, its kind and AFAS's own text; a folder that cannot be
// written; or, for anything else, no code (the English text stays).
func failure(err error) (string, []string) {
	var ae *afas.Error
	var pe *fs.PathError
	var qe *QueueError
	switch {
	case errors.As(err, &qe):
		return qe.code()
	case errors.As(err, &ae):
		msg := ae.Message
		if msg == "" && ae.Err != nil {
			msg = token.Clean(ae.Err.Error(), 1<<10)
		}
		kind := i18n.CodeArg + "cli.afas." + ae.Kind.String()
		if ae.Connector != "" {
			return "cli.afas_error_connector", []string{ae.Connector, kind, msg}
		}
		return "cli.afas_error", []string{kind, msg}
	case errors.As(err, &pe):
		return "run.failed_path", []string{pe.Path, i18n.CodeArg + pathProblem(pe.Err)}
	}
	return "", nil
}

// pathProblem names what went wrong with a file or folder.
func pathProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return "run.path_permission"
	case errors.Is(err, fs.ErrNotExist):
		return "run.path_missing"
	case errors.Is(err, syscall.ENOTDIR):
		return "run.path_not_dir"
	case errors.Is(err, syscall.ENOSPC):
		return "run.path_full"
	}
	return "run.path_other"
}
