// Package engine runs a coupling end to end: read the GetConnectors, map, compare with the last
// delivery, deliver and commit. It reports what it does as a stream of events that the CLI prints
// and the TUI renders.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/koppel-nl/koppel/store"
	"github.com/koppel-nl/koppel/sync/afas"
	"github.com/koppel-nl/koppel/sync/connectors"
	"github.com/koppel-nl/koppel/sync/delivery"
	"github.com/koppel-nl/koppel/sync/i18n"
	"github.com/koppel-nl/koppel/sync/mapping"
	"github.com/koppel-nl/koppel/sync/profile"
	"github.com/koppel-nl/koppel/sync/runlog"
	"github.com/koppel-nl/koppel/sync/values"
)

// Run statuses.
const (
	StatusOK      = "ok"
	StatusFailed  = "failed"
	StatusBlocked = "blocked"
)

// Stages of a run, in order.
const (
	StageFetch   = "fetch"
	StageMap     = "map"
	StageCompare = "compare"
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
}

// Options tune one run.
type Options struct {
	// Couplings limits the run to these couplings; empty runs all enabled ones.
	Couplings    []string
	DryRun       bool
	AllowDeletes bool
	// PageSize is take per AFAS call (default 1000); Parallel the connectors read at once (default 4).
	PageSize int
	Parallel int
	// RequestTimeout, MaxRetryTime and RetryBase tune the AFAS client (zero: its defaults).
	RequestTimeout time.Duration
	MaxRetryTime   time.Duration
	RetryBase      time.Duration
	HTTPClient     *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
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

// Store is what a run needs of koppel's store (store.Store).
type Store interface {
	Profile(name string) (*profile.Profile, error)
	EachState(name, entity string, fn func(key string, vals []string) error) error
	PendingOf(name string) (*store.Pending, error)
	ClearPending(name string) error
	// Commit makes a delivery final: run record, state and pending rename in one transaction.
	Commit(run *store.Run, logs []runlog.Log, changes []store.Change, updates []store.StateUpdate, pending *store.Pending) error
	// RecordRun records a run that delivered nothing.
	RecordRun(run *store.Run, logs []runlog.Log, changes []store.Change) error
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
	c := make(map[string]store.EntityCounts, len(r.rec.Entities))
	for k, v := range r.rec.Entities {
		c[k] = *v
	}
	r.emit(Event{Type: "counts", Counts: c})
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
	couplings := p.Enabled()
	if len(opts.Couplings) > 0 {
		for _, c := range opts.Couplings {
			if !slices.Contains(couplings, c) {
				return nil, &UsageError{Code: "run.coupling_disabled", Args: []string{c, name, strings.Join(couplings, ", ")}}
			}
		}
		couplings = opts.Couplings
	}
	r := &run{e: e, p: p, opts: opts, emitFn: emit}
	start := opts.Now()
	r.rec = &store.Run{
		ID: NewRunID(start), Profile: name, Mode: p.Delivery.Mode, Couplings: couplings,
		DateFrom: p.DateFrom, DryRun: opts.DryRun, Started: start.UTC(), Entities: map[string]*store.EntityCounts{},
	}
	if !opts.DryRun {
		if err := r.recover(); err != nil {
			return nil, err
		}
	}
	err = r.execute(ctx, couplings)
	r.rec.Finished = opts.Now().UTC()
	r.rec.Levels = map[string]int{}
	for _, l := range r.logs {
		r.rec.Levels[l.Level.String()]++
	}
	res := &Result{Run: r.rec, Changes: r.changes, Logs: r.logs}
	if err != nil && ctx.Err() != nil {
		// Cancelled before the commit: nothing was delivered or recorded. (Once committed, a
		// run completes whatever happens to ctx.)
		return nil, ctx.Err()
	}
	if err != nil {
		r.rec.Status = StatusFailed
		r.rec.Error = err.Error()
		r.rec.Delivery = ""
		if !opts.DryRun {
			if serr := e.Store.RecordRun(r.rec, r.logs, nil); serr != nil {
				return res, errors.Join(err, serr)
			}
		}
		r.emit(Event{Type: "summary", Run: r.rec})
		return res, err
	}
	if r.rec.Status == StatusBlocked && !opts.DryRun {
		if serr := e.Store.RecordRun(r.rec, r.logs, r.changes); serr != nil {
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
	st := r.e.Store
	pend, err := st.PendingOf(r.p.Name)
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
		if err := st.ClearPending(r.p.Name); err != nil {
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
	werknemer, verzuim := slices.Contains(couplings, profile.CouplingWerknemer), slices.Contains(couplings, profile.CouplingVerzuim)

	r.stage(StageFetch)
	in, err := r.fetch(ctx, p.Roles(couplings), dateFrom)
	if err != nil {
		return err
	}

	r.stage(StageMap)
	cfg := mapping.Config{
		DefaultEmployer: p.Employer,
		EmployerAffix:   [2]string{p.Rewrite.Employer.Prefix, p.Rewrite.Employer.Suffix},
		EmployeeAffix:   [2]string{p.Rewrite.Employee.Prefix, p.Rewrite.Employee.Suffix},
		DateFrom:        dateFrom, Werknemer: werknemer, Verzuim: verzuim,
		Managers: p.Couplings.Werknemer.Managers, UserGroup: p.Couplings.Werknemer.UserGroup,
		Classifications: p.Couplings.Verzuim.Classifications,
	}
	if s := p.Couplings.Werknemer.Salary; s != nil {
		cfg.SalaryColumn, cfg.SalaryKind = s.Column, profile.SalaryKindLabel(s.Kind)
	}
	mapped := mapping.Map(cfg, *in)
	for _, l := range mapped.Logs {
		r.log(l)
	}
	for ent, c := range mapped.Counts {
		r.rec.Entities[ent] = &store.EntityCounts{Fetched: c.Fetched, Rejected: c.Rejected}
	}
	r.counts()
	for _, ent := range []string{mapping.Departments, mapping.Employments, mapping.Absences, mapping.Users} {
		c := mapped.Counts[ent]
		if c != nil && c.Rejected > 0 && len(mapped.Records[ent]) == 0 {
			r.log(runlog.Log{Level: runlog.Uitval, Entity: ent, Code: "run.all_rejected", Args: []string{strconv.Itoa(c.Rejected), ent}})
			return fmt.Errorf("every record of %s was rejected (%d Uitval); see the log", ent, c.Rejected)
		}
	}

	r.stage(StageCompare)
	plan, err := r.compare(mapped)
	if err != nil {
		return err
	}
	r.counts()
	if len(r.rec.Blocked) > 0 {
		r.rec.Status = StatusBlocked
		return nil
	}
	if r.opts.DryRun {
		r.rec.Status = StatusOK
		r.log(runlog.Log{Level: runlog.Metadata, Code: "run.dry"})
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	r.stage(StageDeliver)
	folder, err := delivery.Create(p.Delivery.Outbox, p.Name, r.rec.ID)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			folder.Discard()
		}
	}()
	for _, ent := range plan.order {
		header := mapping.Columns(ent)
		mutaties := mutationFile(p, ent)
		if mutaties {
			header = append([]string{"Mutatie"}, header...)
		}
		rows := plan.rows[ent]
		if err := folder.WriteCSV(mapping.FileOf(ent), header, func(emit func([]string) error) error {
			var buf []string
			for _, row := range rows {
				if err := ctx.Err(); err != nil {
					return err
				}
				out := row.vals
				if mutaties {
					buf = append(append(buf[:0], row.kind), row.vals...)
					out = buf
				}
				if err := emit(out); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
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

	// The commit: run record, new state and the pending rename in one transaction. Before it,
	// nothing is visible and the store is unchanged; after it, the rename is all that is left,
	// and the next run completes it if this process dies first.
	r.stage(StageCommit)
	r.rec.Status = StatusOK
	r.rec.Delivery = folder.Final
	r.rec.Finished = r.opts.Now().UTC()
	r.log(runlog.Log{Level: runlog.Metadata, Code: "run.delivered", Args: []string{folder.Final}})
	r.rec.Levels = map[string]int{}
	for _, l := range r.logs {
		r.rec.Levels[l.Level.String()]++
	}
	for _, u := range plan.updates {
		r.rec.StateWrites += len(u.Put) + len(u.Delete)
	}
	if err := r.e.Store.Commit(r.rec, r.logs, r.changes, plan.updates, &store.Pending{Temp: folder.Temp, Final: folder.Final}); err != nil {
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
	} else if perr = r.e.Store.ClearPending(p.Name); perr != nil {
		code = "run.pending_failed"
	}
	if code != "" {
		r.log(runlog.Log{Level: runlog.Waarschuwing, Code: code, Args: []string{folder.Final, perr.Error()}})
		r.rec.Levels[runlog.Waarschuwing.String()]++
		// Best effort: the run record gains the warning; if the store fails too, the event
		// stream still carries it.
		_ = r.e.Store.RecordRun(r.rec, r.logs, r.changes)
	}
	return nil
}

// fetch reads the connectors the couplings need, several at once, each sorted on its key and
// filtered on date-from at AFAS's side.
func (r *run) fetch(ctx context.Context, roles []string, dateFrom time.Time) (*mapping.Input, error) {
	p := r.p
	client, err := afas.New(afas.Config{
		URL: p.URL(), Token: p.Account.Token, PageSize: r.opts.PageSize, RequestTimeout: r.opts.RequestTimeout,
		MaxRetryTime: r.opts.MaxRetryTime, RetryBase: r.opts.RetryBase, HTTPClient: r.opts.HTTPClient,
		OnRetry: func(connector string, attempt int, wait time.Duration, err error) {
			r.log(runlog.Log{Level: runlog.Melding, Entity: connector, Code: "run.retry", Args: []string{connector, strconv.Itoa(attempt), err.Error(), wait.Round(time.Millisecond).String()}})
		},
	})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parallel := r.opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	in := &mapping.Input{}
	day := dateFrom.Format("2006-01-02")
	for _, role := range roles {
		con, _ := connectors.ByRole(role)
		id := p.ConnectorID(role)
		salary := p.SalaryColumn()
		q := afas.Query{Connector: id, Fields: con.Whitelist(salary), Sort: con.Sort, Rename: p.FieldRenames(role)}
		if con.DateFilter != "" {
			q.Filters = afas.OnOrAfterOrEmpty(con.DateFilter, day)
		}
		q.Progress = func(st afas.Stats) {
			r.emit(Event{Type: "progress", Connector: id, Pages: st.Pages, Rows: st.Rows})
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			// Each connector collects into its own slice; no lock is needed until the end.
			var recs []any
			st, err := client.Read(ctx, q, func(row afas.Row) error { recs = append(recs, con.Decode(row, salary)); return nil })
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			r.emit(Event{Type: "progress", Connector: id, Pages: st.Pages, Rows: st.Rows, Done: true})
			r.log(runlog.Log{Level: runlog.Metadata, Entity: id, Code: "run.read", Args: []string{id, strconv.Itoa(st.Rows), strconv.Itoa(st.Pages)}})
			if len(st.Dropped) > 0 {
				r.log(runlog.Log{Level: runlog.Waarschuwing, Entity: id, Code: "run.fields_dropped", Args: []string{id, strings.Join(st.Dropped, ", ")}})
			}
			in.Add(recs)
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// mutationFile tells whether an entity's file lists mutations: in mode mutaties, except
// verzuim.csv, which Xpert Suite's absence import only knows as a complete delivery (a case
// missing from it is closed or deleted there).
func mutationFile(p *profile.Profile, entity string) bool {
	return p.Delivery.Mode == profile.ModeMutaties && entity != mapping.Absences
}
